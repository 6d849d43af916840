/**
 * What the NVMX recipe needs to know about a scenario, read once from the parsed document (and
 * the board, when known): the Service VM, every VM's kind and pCPUs, the scheduler, the build
 * type, the vUARTs. Rules, status and the engine all stand on these facts, so they agree.
 */
import type { XmlDocument, XmlElement } from '../xml/model.js';
import { attr, child, childrenNamed, path, valueOf } from '../xml/model.js';
import type { Dialect } from '../scenario/dialect.js';

export type VmKind = 'service' | 'pre' | 'post' | 'unknown';

export interface PcpuRef {
  id: number;
  /** The pcpu_id element. */
  el: XmlElement;
}

export interface VmInfo {
  el: XmlElement;
  /** The id attribute ('' when missing). */
  id: string;
  /** name element value, or `vm id=N` when unnamed. */
  name: string;
  label: string;
  kind: VmKind;
  /** v2 vm_type value, v3 load_order value. */
  typeValue: string;
  /** The element that says the kind (vm_type / load_order), for ranges. */
  typeEl: XmlElement | undefined;
  cpuAffinity: XmlElement | undefined;
  /** Explicit pCPUs (cpu_affinity). */
  pcpus: PcpuRef[];
}

export interface ScenarioFacts {
  text: string;
  doc: XmlDocument;
  dialect: Dialect;
  family: 'v2' | 'v3';
  root: XmlElement;
  hv: XmlElement | undefined;
  features: XmlElement | undefined;
  scheduler: XmlElement | undefined;
  /** Effective scheduler (schema default SCHED_BVT when the element is missing). */
  schedulerValue: string;
  /** v2 only: FEATURES/NVMX_ENABLED. */
  nvmxEnabledEl: XmlElement | undefined;
  /** Debug build: v2 RELEASE=n (default n), v3 BUILD_TYPE=debug (default debug). */
  debug: boolean;
  /** A hypervisor serial console is configured (v2: SERIAL_CONSOLE non-empty; v3: not None). */
  serialConsole: boolean;
  vms: VmInfo[];
  service: VmInfo | undefined;
  /** pCPU ids of the board, when a board document is known. */
  boardPcpus: number[] | undefined;
  /** Core type per pCPU ('Core' / 'Atom') on hybrid boards; empty when the board does not say. */
  coreTypes: Map<number, string>;
}

const V2_SERVICE = new Set(['SOS_VM', 'SERVICE_VM']);
const V2_PRE = new Set(['PRE_STD_VM', 'PRE_RT_VM', 'SAFETY_VM']);
const V2_POST = new Set(['POST_STD_VM', 'POST_RT_VM', 'KATA_VM']);

export function collectFacts(text: string, doc: XmlDocument, dialect: Dialect, board?: XmlDocument): ScenarioFacts | undefined {
  const root = doc.root;
  if (!root || dialect.kind !== 'scenario' || !dialect.family) return undefined;
  const family = dialect.family;
  const hv = child(root, 'hv');
  const features = child(hv, 'FEATURES');
  const scheduler = child(features, 'SCHEDULER');
  const vms: VmInfo[] = childrenNamed(root, 'vm').map((el) => vmInfo(el, family));
  let debug: boolean;
  let serialConsole: boolean;
  if (family === 'v2') {
    const rel = path(hv, 'DEBUG_OPTIONS', 'RELEASE');
    debug = (rel ? valueOf(rel) : 'n') !== 'y';
    const sc = path(hv, 'DEBUG_OPTIONS', 'SERIAL_CONSOLE');
    serialConsole = sc ? valueOf(sc) !== '' : true;
  } else {
    const bt = child(hv, 'BUILD_TYPE');
    debug = (bt ? valueOf(bt) : 'debug') !== 'release';
    const sc = path(hv, 'DEBUG_OPTIONS', 'SERIAL_CONSOLE');
    const v = sc ? valueOf(sc) : 'None';
    serialConsole = v !== '' && v !== 'None';
  }
  return {
    text,
    doc,
    dialect,
    family,
    root,
    hv,
    features,
    scheduler,
    schedulerValue: scheduler && valueOf(scheduler) ? valueOf(scheduler) : 'SCHED_BVT',
    nvmxEnabledEl: family === 'v2' ? child(features, 'NVMX_ENABLED') : undefined,
    debug,
    serialConsole,
    vms,
    service: vms.find((v) => v.kind === 'service'),
    boardPcpus: board ? boardPcpus(board) : undefined,
    coreTypes: board ? boardCoreTypes(board) : new Map(),
  };
}

function vmInfo(el: XmlElement, family: 'v2' | 'v3'): VmInfo {
  const id = attr(el, 'id') ?? '';
  const nameEl = child(el, 'name');
  const name = valueOf(nameEl);
  let kind: VmKind = 'unknown';
  let typeEl: XmlElement | undefined;
  if (family === 'v2') {
    typeEl = child(el, 'vm_type');
    const t = valueOf(typeEl);
    kind = V2_SERVICE.has(t) ? 'service' : V2_PRE.has(t) ? 'pre' : V2_POST.has(t) ? 'post' : 'unknown';
  } else {
    typeEl = child(el, 'load_order');
    const t = valueOf(typeEl);
    kind = t === 'SERVICE_VM' ? 'service' : t === 'PRE_LAUNCHED_VM' ? 'pre' : t === 'POST_LAUNCHED_VM' ? 'post' : 'unknown';
  }
  const cpuAffinity = child(el, 'cpu_affinity');
  const pcpus: PcpuRef[] = [];
  if (cpuAffinity) {
    const ids = family === 'v2' ? childrenNamed(cpuAffinity, 'pcpu_id') : childrenNamed(cpuAffinity, 'pcpu').map((p) => child(p, 'pcpu_id')).filter((x): x is XmlElement => !!x);
    // Tolerate v2-style pcpu_id directly under a v3 cpu_affinity (and the reverse) without crashing.
    if (family === 'v3') ids.push(...childrenNamed(cpuAffinity, 'pcpu_id'));
    for (const p of ids) {
      const v = valueOf(p);
      if (/^\d+$/.test(v)) pcpus.push({ id: Number(v), el: p });
    }
  }
  const typeValue = valueOf(typeEl);
  const label = name ? `VM ${id} "${name}"` : `VM ${id} (${typeValue || 'no type'})`;
  return { el, id, name: name || `vm id=${id}`, label, kind, typeValue, typeEl, cpuAffinity, pcpus };
}

/** pCPU ids of a board file: v3 `processors//thread/cpu_id`, else v2 CPU_PROCESSOR_INFO. */
export function boardPcpus(board: XmlDocument): number[] | undefined {
  const root = board.root;
  if (!root) return undefined;
  const ids = new Set<number>();
  const walk = (el: XmlElement): void => {
    for (const c of el.children) {
      if (c.kind !== 'element') continue;
      if (c.name === 'cpu_id' && el.name === 'thread') {
        const v = valueOf(c);
        if (/^(0x[0-9a-f]+|\d+)$/i.test(v)) ids.add(Number(v));
      } else walk(c);
    }
  };
  const procs = child(root, 'processors');
  if (procs) walk(procs);
  if (ids.size === 0) {
    const info = valueOf(child(root, 'CPU_PROCESSOR_INFO'));
    for (const p of info.split(',')) if (/^\s*\d+\s*$/.test(p)) ids.add(Number(p.trim()));
  }
  return ids.size ? [...ids].sort((a, b) => a - b) : undefined;
}

/** Core type of each thread (`processors//thread/{cpu_id, core_type}`). */
export function boardCoreTypes(board: XmlDocument): Map<number, string> {
  const out = new Map<number, string>();
  const walk = (el: XmlElement): void => {
    for (const c of el.children) {
      if (c.kind !== 'element') continue;
      if (c.name === 'thread') {
        const id = valueOf(child(c, 'cpu_id'));
        const t = valueOf(child(c, 'core_type'));
        if (/^\d+$/.test(id) && t) out.set(Number(id), t);
      } else walk(c);
    }
  };
  const procs = child(board.root, 'processors');
  if (procs) walk(procs);
  return out;
}

/**
 * ACRN allows only one core type per VM on hybrid boards: the largest same-type group of the
 * given pCPUs (ties: the type of the lowest pCPU).
 */
export function sameCoreType(f: ScenarioFacts, pcpus: number[]): number[] {
  if (!f.coreTypes.size) return pcpus;
  const groups = new Map<string, number[]>();
  for (const c of pcpus) {
    const t = f.coreTypes.get(c) ?? '?';
    groups.set(t, [...(groups.get(t) ?? []), c]);
  }
  let best: number[] = [];
  for (const g of groups.values()) if (g.length > best.length) best = g;
  return best;
}

/**
 * The pCPUs the Service VM runs on: its explicit cpu_affinity, else (as ACRN's allocator does)
 * every board pCPU not used by a pre-launched VM; undefined without a board.
 */
export function servicePcpus(f: ScenarioFacts): number[] | undefined {
  const s = f.service;
  if (!s) return undefined;
  if (s.pcpus.length) return [...new Set(s.pcpus.map((p) => p.id))].sort((a, b) => a - b);
  if (!f.boardPcpus) return undefined;
  const pre = new Set(f.vms.filter((v) => v.kind === 'pre').flatMap((v) => v.pcpus.map((p) => p.id)));
  return f.boardPcpus.filter((c) => !pre.has(c));
}

/** Is nested virtualization switched on in the file (any of its switches)? */
export function nvmxOn(f: ScenarioFacts): boolean {
  if (f.family === 'v2') return valueOf(f.nvmxEnabledEl) === 'y' || f.vms.some((v) => guestFlags(v).some((g) => valueOf(g) === 'GUEST_FLAG_NVMX_ENABLED'));
  // Only the Service VM's switch counts: on another VM it is invalid (ACRN's slicer and
  // nvmx/nested-only-service-vm say so), and nothing is built on it.
  return serviceNested(f);
}

export function guestFlags(vm: VmInfo): XmlElement[] {
  return childrenNamed(child(vm.el, 'guest_flags'), 'guest_flag');
}

export function hasFlag(vm: VmInfo, flag: string): boolean {
  return guestFlags(vm).some((g) => valueOf(g) === flag);
}

/** v2: legacy_vuart / console_vuart with the given id. */
export function vuartById(vm: VmInfo, name: 'legacy_vuart' | 'console_vuart' | 'communication_vuart', id: string): XmlElement | undefined {
  return childrenNamed(vm.el, name).find((e) => attr(e, 'id') === id);
}

/** Does the Service VM run with LAPIC passthrough? */
export function serviceLapicPt(f: ScenarioFacts): boolean {
  const s = f.service;
  if (!s) return false;
  return f.family === 'v2' ? hasFlag(s, 'GUEST_FLAG_LAPIC_PASSTHROUGH') : valueOf(child(s.el, 'lapic_passthrough')) === 'y';
}

/** Does the Service VM have nested virtualization on? */
export function serviceNested(f: ScenarioFacts): boolean {
  const s = f.service;
  if (!s) return false;
  return f.family === 'v2' ? hasFlag(s, 'GUEST_FLAG_NVMX_ENABLED') : valueOf(child(s.el, 'nested_virtualization_support')) === 'y';
}

/** Effective pCPUs of a VM: explicit, or the Service VM's derived set. */
export function effectivePcpus(f: ScenarioFacts, vm: VmInfo): number[] {
  if (vm.kind === 'service') return servicePcpus(f) ?? [];
  return [...new Set(vm.pcpus.map((p) => p.id))];
}

/** Short list formatting: "1, 2 and 3". */
export function list(xs: (string | number)[]): string {
  const s = xs.map(String);
  if (s.length <= 1) return s.join('');
  return `${s.slice(0, -1).join(', ')} and ${s[s.length - 1]}`;
}
