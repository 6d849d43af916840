/**
 * The NVMX recipe engine: the plan to switch nested virtualization on or off in a scenario, as
 * minimal text edits (only the lines that must change; indentation, comments, attribute order and
 * every other byte kept), and the recipe as a checklist (`nvmxStatus`). No vscode: the CLI, the
 * language server and the wizard all call this.
 *
 * Values the engine changes that the user may want back (SCHEDULER, the Service VM's vUART
 * bases / console) are remembered in a comment next to the element,
 * `<!-- acrn-nest: SCHEDULER was SCHED_BVT -->`; disabling restores them and drops the comment.
 */
import type { XmlComment, XmlDocument, XmlElement } from '../xml/model.js';
import { attr, child, childrenNamed, elementChildren, valueOf } from '../xml/model.js';
import { parseXml } from '../xml/parser.js';
import type { Dialect } from '../scenario/dialect.js';
import { detectDialect } from '../scenario/dialect.js';
import type { ScenarioFacts, VmInfo } from './facts.js';
import { collectFacts, effectivePcpus, sameCoreType, guestFlags, list, nvmxOn, serviceLapicPt, serviceNested, servicePcpus, vuartById } from './facts.js';
import type { Family } from './order.js';
import { orderIndex } from './order.js';
import type { TextEdit } from './textEdits.js';
import { applyEdits, deleteElementEdit, escapeText, insertLinesEdit, setValueEdit, TextStyle } from './textEdits.js';
import { AcrnNestError } from '../errors.js';

/** Why the NVMX engine cannot work on a text: a stable `nvmx/…` code (not-xml, not-acrn, not-scenario, not-well-formed). */
export class NvmxError extends AcrnNestError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'NvmxError';
  }
}

export type SharingChoice = 'remove' | 'repin' | 'keep';

export interface SharingVm {
  id: string;
  name: string;
  label: string;
  /** vm_type (v2) / load_order (v3). */
  type: string;
  pcpus: number[];
  /** pCPUs it would share, and with whom. */
  shared: number[];
  sharesWith: string[];
  /** The recipe names this kind explicitly (POST_STD_VM, KATA_VM). */
  namedByRecipe: boolean;
  start: number;
  end: number;
  /** Per shared pCPU: the pcpu_id elements of this VM naming it, and the VM it collides with. */
  conflicts: { pcpu: number; els: XmlElement[]; other: VmInfo; reason: ShareReason }[];
  choice: SharingChoice;
  /** For 'repin': the pCPUs it gets (empty when no free pCPU exists). */
  repinTo?: number[];
}

export interface PlanOptions {
  board?: XmlDocument;
  /** Per VM id. */
  choices?: Record<string, SharingChoice>;
  /** For VMs without a choice (default 'keep'). */
  defaultChoice?: SharingChoice;
}

export interface Plan {
  action: 'enable' | 'disable';
  dialect: string;
  family: Family | undefined;
  edits: TextEdit[];
  /** One line per change, for the preview and the CLI. */
  changes: string[];
  /** What could not be done (the plan is still applicable; the rules will say what remains). */
  problems: string[];
  sharing: SharingVm[];
  /**
   * Post-launched VMs that stay although they use Service VM pCPUs, and why (enable only): under
   * SCHED_NOOP ACRN's launch script offlines those pCPUs from the Service VM before the VM starts.
   */
  kept: string[];
  /** The Service VM's pCPUs after the plan (when known). */
  servicePcpus: number[] | undefined;
  /** The text after the edits. */
  result: string;
}

const PLACEHOLDER_FLAGS = new Set(['', '0', '0UL']);
const MEMO = /^\s*acrn-nest: ([\w.-]+) was (.*?)\s*$/;

export const RECIPE = {
  constraints: 'recipe: Restrictions and Constraints, L1 guest configuration',
  serviceOnly: 'recipe: Service OS VM configuration',
  step1: 'recipe: Service OS VM configuration, step 1',
  step2: 'recipe: Service OS VM configuration, step 2',
  step3: 'recipe: Service OS VM configuration, step 3',
} as const;

/** Parses a scenario and reads its facts; throws a clear error for files the engine cannot handle. */
export function scenarioFacts(text: string, board?: XmlDocument): { doc: XmlDocument; dialect: Dialect; facts: ScenarioFacts } {
  const doc = parseXml(text);
  const fatal = doc.errors[0];
  if (!doc.root) throw new NvmxError('nvmx/not-xml', 'not an XML document');
  const dialect = detectDialect(doc);
  if (!dialect) throw new NvmxError('nvmx/not-acrn', 'not an ACRN file (root element is not <acrn-config>)');
  if (dialect.kind !== 'scenario') throw new NvmxError('nvmx/not-scenario', `this is an ${dialect.label}, not a scenario`);
  if (fatal) throw new NvmxError('nvmx/not-well-formed', `the scenario is not well-formed (${fatal.message}); fix that first`);
  const facts = collectFacts(text, doc, dialect, board);
  if (!facts) throw new NvmxError('nvmx/not-scenario', 'not a scenario file');
  return { doc, dialect, facts };
}

/** Edits collected while planning, with batched insertions per parent (kept in schema order). */
export class EditBuilder {
  readonly edits: TextEdit[] = [];
  readonly changes: string[] = [];
  readonly style: TextStyle;
  private readonly inserts = new Map<XmlElement, { name: string; lines: string[] }[]>();
  /** Elements being removed: no edit may land inside them. */
  private readonly removed: XmlElement[] = [];

  constructor(
    readonly text: string,
    readonly family: Family,
  ) {
    this.style = new TextStyle(text);
  }

  isRemoved(el: XmlElement): boolean {
    return this.removed.some((r) => el.start >= r.start && el.end <= r.end);
  }

  remove(el: XmlElement, why: string): void {
    if (this.isRemoved(el)) return;
    this.removed.push(el);
    this.edits.push(deleteElementEdit(this.style, el));
    this.changes.push(why);
  }

  set(el: XmlElement, value: string, why: string, memo?: string): void {
    if (this.isRemoved(el)) return;
    const cur = valueOf(el);
    if (cur === value) return;
    this.edits.push(setValueEdit(this.text, el, value));
    if (memo !== undefined && !memoAfter(el)) this.edits.push({ start: el.end, end: el.end, newText: ` <!-- acrn-nest: ${memo} was ${cur || 'absent'} -->` });
    this.changes.push(why);
  }

  /** Sets a child's value, inserting the child (in schema order) when it is missing. */
  ensure(parent: XmlElement, name: string, value: string, why: string, memo?: string): void {
    const el = child(parent, name);
    if (el) {
      this.set(el, value, why, memo);
      return;
    }
    const line = `<${name}>${escapeText(value)}</${name}>` + (memo !== undefined ? ` <!-- acrn-nest: ${memo} was absent -->` : '');
    this.insert(parent, name, [line], why);
  }

  /** Queues lines (relative to the parent's child indentation) for a new child `name`. */
  insert(parent: XmlElement, name: string, lines: string[], why: string): void {
    if (this.isRemoved(parent)) return;
    const list = this.inserts.get(parent) ?? [];
    list.push({ name, lines });
    this.inserts.set(parent, list);
    this.changes.push(why);
  }

  finish(): TextEdit[] {
    for (const [parent, items] of this.inserts) {
      const kids = elementChildren(parent).filter((k) => !this.isRemoved(k));
      const idx = (n: string): number => orderIndex(this.family, parent.name, n);
      items.sort((a, b) => idx(a.name) - idx(b.name));
      const groups = new Map<XmlElement | undefined, string[]>();
      for (const it of items) {
        const mine = idx(it.name);
        let anchor: XmlElement | undefined;
        let best = -1;
        for (const k of kids) {
          const ki = idx(k.name);
          if (ki >= 0 && ki < mine && ki >= best) {
            best = ki;
            anchor = k;
          }
        }
        // Unknown order: after the last child.
        if (mine < 0 || (!anchor && kids.length && !kids.some((k) => idx(k.name) > mine))) anchor = kids[kids.length - 1];
        // (insertLinesEdit goes past a same-line comment after the anchor, e.g. a memo.)
        const g = groups.get(anchor) ?? [];
        g.push(...it.lines);
        groups.set(anchor, g);
      }
      for (const [anchor, lines] of groups) this.edits.push(insertLinesEdit(this.style, parent, anchor, lines));
    }
    this.inserts.clear();
    return this.edits;
  }
}

/** The acrn-nest memo comment right after an element on its line, if any. */
function memoAfter(el: XmlElement): { comment: XmlComment; name: string; was: string } | undefined {
  const p = el.parent;
  if (!p) return undefined;
  const i = p.children.indexOf(el);
  for (let j = i + 1; j < p.children.length; j++) {
    const n = p.children[j]!;
    if (n.kind === 'text' && /^[ \t]*$/.test(n.value)) continue;
    if (n.kind === 'comment') {
      const m = MEMO.exec(n.value);
      if (m && m[1] === el.name) return { comment: n, name: m[1]!, was: m[2]! };
    }
    return undefined;
  }
  return undefined;
}

function allComments(el: XmlElement, out: XmlComment[] = []): XmlComment[] {
  for (const c of el.children) {
    if (c.kind === 'comment') out.push(c);
    else if (c.kind === 'element') allComments(c, out);
  }
  return out;
}

function pcpuLines(family: Family, style: TextStyle, ids: number[]): string[] {
  const u = style.unit;
  const lines = ['<cpu_affinity>'];
  for (const id of ids) {
    if (family === 'v2') lines.push(`${u}<pcpu_id>${id}</pcpu_id>`);
    else lines.push(`${u}<pcpu>`, `${u}${u}<pcpu_id>${id}</pcpu_id>`, `${u}</pcpu>`);
  }
  lines.push('</cpu_affinity>');
  return lines;
}

/**
 * v2: ACRN's generator wants one clos/vcpu_clos per pCPU of a VM (when the board has RDT): after
 * changing a VM's pCPU count, add copies of its last vcpu_clos or drop the extra ones.
 */
export function syncClos(f: ScenarioFacts, b: EditBuilder, vm: VmInfo, n: number): void {
  if (f.family !== 'v2' || n < 1) return;
  const clos = child(vm.el, 'clos');
  const entries = childrenNamed(clos, 'vcpu_clos');
  if (!clos || !entries.length || entries.length === n) return;
  if (entries.length > n) {
    for (const e of entries.slice(n)) b.remove(e, `drop a vcpu_clos of ${vm.label}: one per pCPU`);
    return;
  }
  const last = entries[entries.length - 1]!;
  const v = valueOf(last);
  b.edits.push(insertLinesEdit(b.style, clos, last, Array.from({ length: n - entries.length }, () => `<vcpu_clos>${escapeText(v)}</vcpu_clos>`)));
  b.changes.push(`give ${vm.label} one clos/vcpu_clos per pCPU (${n})`);
}

/** The pCPU entries of a cpu_affinity as removable units (v2 pcpu_id, v3 pcpu). */
function pcpuUnits(family: Family, aff: XmlElement): { unit: XmlElement; idEl: XmlElement }[] {
  if (family === 'v2') return childrenNamed(aff, 'pcpu_id').map((e) => ({ unit: e, idEl: e }));
  const out: { unit: XmlElement; idEl: XmlElement }[] = [];
  for (const p of childrenNamed(aff, 'pcpu')) {
    const id = child(p, 'pcpu_id');
    if (id) out.push({ unit: p, idEl: id });
  }
  return out;
}

/**
 * Why a pCPU of a VM is a conflict under SCHED_NOOP (see docs/analysis.md, "pCPU sharing"):
 * - `pre`: a pre-launched VM owns it (its vCPUs are never offlined);
 * - `post`: an earlier post-launched VM has it: both run at once and SCHED_NOOP
 *   (hypervisor/common/sched_noop.c) runs only the first vCPU woken on a pCPU, never a second;
 * - `service-bsp`: the Service VM's BSP (vCPU 0) runs there (its lowest pCPU,
 *   `get_configured_bsp_pcpu_id()` = ffs64(cpu_affinity) in hypervisor/arch/x86/guest/vm.c), and
 *   the BSP is never offlined (`hcall_service_vm_offline_cpu`: "should not offline BSP";
 *   launch_script_template.sh: "processor 0 can't be offline");
 * - `service-kata` (v2): a KATA_VM on any Service VM pCPU: Kata VMs are started by the Kata
 *   runtime, not by ACRN's generated launch script, which is what offlines the Service VM's vCPUs
 *   before a post-launched VM starts (v2.6 launch_config/com.py, `off_line_cpus()` under
 *   SCHED_NOOP); the recipe names KATA_VM for this reason.
 * A post-launched VM on a Service VM pCPU other than its BSP is NOT a conflict: under SCHED_NOOP
 * the launch script offlines those vCPUs of the Service VM before acrn-dm creates the VM
 * (v3.3 launch_script_template.sh `add_cpus()`: RTVM, SCHED_NOOP or own_pcpu; v2.6 com.py:410:
 * SCHED_NOOP or POST_RT_VM), and the hypervisor creates the VM assuming exactly that
 * (vm.c: "vcpus used by Service VM has been offlined by DM before User VM re-use it").
 */
export type ShareReason = 'pre' | 'post' | 'service-bsp' | 'service-kata';

/** The Service VM's BSP pCPU: the lowest of its pCPUs (undefined when they are unknown). */
export function serviceBsp(svc: number[] | undefined): number | undefined {
  return svc?.length ? Math.min(...svc) : undefined;
}

/**
 * The VMs that would conflict on pCPUs once SCHED_NOOP is on (reasons above): every VM other
 * than the Service VM and pre-launched VMs with at least one conflicting pCPU. A VM with a
 * conflict does not claim its pCPUs (it is to be removed or re-pinned).
 */
export function findSharing(f: ScenarioFacts, svc: number[] | undefined): SharingVm[] {
  const svcSet = new Set(svc ?? []);
  const bsp = serviceBsp(svc);
  const pre = new Map<number, VmInfo>();
  for (const vm of f.vms) if (vm.kind === 'pre') for (const p of vm.pcpus) if (!pre.has(p.id)) pre.set(p.id, vm);
  const post = new Map<number, VmInfo>();
  const out: SharingVm[] = [];
  for (const vm of f.vms) {
    if (vm.kind === 'service' || vm.kind === 'pre') continue;
    const mine = effectivePcpus(f, vm);
    const conflicts: SharingVm['conflicts'] = [];
    for (const c of mine) {
      const els = vm.pcpus.filter((p) => p.id === c).map((p) => p.el);
      const p = pre.get(c);
      if (p) conflicts.push({ pcpu: c, els, other: p, reason: 'pre' });
      else if (post.has(c)) conflicts.push({ pcpu: c, els, other: post.get(c)!, reason: 'post' });
      else if (f.service && svcSet.has(c) && c === bsp) conflicts.push({ pcpu: c, els, other: f.service, reason: 'service-bsp' });
      else if (f.service && svcSet.has(c) && f.family === 'v2' && vm.typeValue === 'KATA_VM') conflicts.push({ pcpu: c, els, other: f.service, reason: 'service-kata' });
    }
    if (conflicts.length) {
      const shared = conflicts.map((c) => c.pcpu);
      const with_ = [...new Set(conflicts.map((c) => c.other))].map((o) => (o.kind === 'service' ? `the Service VM (${o.label})` : o.label));
      out.push({ id: vm.id, name: vm.name, label: vm.label, type: vm.typeValue, pcpus: mine, shared, sharesWith: with_, namedByRecipe: vm.typeValue === 'POST_STD_VM' || vm.typeValue === 'KATA_VM', start: vm.el.start, end: vm.el.startTagEnd, conflicts, choice: 'keep' });
    } else for (const c of mine) post.set(c, vm);
  }
  return out;
}

/** The VMs enabling keeps on Service VM pCPUs (not its BSP), with the reason, for the plan. */
export function keptOnServicePcpus(f: ScenarioFacts, svc: number[] | undefined, sharing: SharingVm[]): string[] {
  if (!svc?.length) return [];
  const svcSet = new Set(svc);
  const out: string[] = [];
  for (const vm of f.vms) {
    if (vm.kind !== 'post' && vm.kind !== 'unknown') continue;
    if (sharing.some((s) => s.id === vm.id)) continue;
    const on = [...new Set(vm.pcpus.map((p) => p.id))].filter((c) => svcSet.has(c));
    if (on.length) out.push(`keep ${vm.label} (${vm.typeValue}) on pCPU ${list(on)}, also the Service VM's: with SCHED_NOOP ACRN's launch script offlines them from the Service VM before ${vm.label} starts, and they are not its BSP (pCPU ${serviceBsp(svc)}) (${RECIPE.step3})`);
  }
  return out;
}

/** The Service VM's pCPUs as enabling will set them (debug + serial console: no pCPU0). */
export function targetServicePcpus(f: ScenarioFacts): { pcpus: number[] | undefined; explicitNeeded: boolean; problem?: string } {
  // v3: ACRN's schema slicer allows no cpu_affinity on the Service VM (it takes every pCPU not
  // used by a pre-launched VM), so the recipe's pCPU0 advice has no v3 form.
  const needExplicit = f.family === 'v2' && f.debug && f.serialConsole;
  const cur = servicePcpus(f);
  if (!needExplicit) return { pcpus: cur, explicitNeeded: false };
  if (!cur) return { pcpus: undefined, explicitNeeded: true, problem: 'the Service VM has no cpu_affinity and no board file is known: give the board (--board) so its pCPUs can be chosen' };
  const without0 = svmExplicit(f) ? cur.filter((c) => c !== 0) : sameCoreType(f, cur.filter((c) => c !== 0));
  if (!without0.length) return { pcpus: undefined, explicitNeeded: true, problem: 'the Service VM would have no pCPU left without pCPU0' };
  return { pcpus: without0, explicitNeeded: true };
}

function svmExplicit(f: ScenarioFacts): boolean {
  return !!f.service && f.service.pcpus.length > 0;
}

/** Emits the edits for each sharing VM's choice (remove with its references, re-pin, keep). */
export function applySharingChoices(f: ScenarioFacts, b: EditBuilder, sharing: SharingVm[], svc: number[] | undefined, problems: string[]): void {
  const text = f.text;
  const removedIds = new Set<string>();
  const removedNames = new Set<string>();
  for (const s of sharing) {
    if (s.choice === 'remove') {
      removedIds.add(s.id);
      removedNames.add(s.name);
    }
  }
  for (const s of sharing) {
    if (s.choice !== 'remove') continue;
    const vm = f.vms.find((v) => v.id === s.id)!;
    b.remove(vm.el, `remove ${vm.label} (${vm.typeValue}): it shares pCPU ${list(s.shared)} with ${list(s.sharesWith)} (${RECIPE.step3})`);
  }
  removeReferences(f, b, removedIds, removedNames);

  // Re-pin: free pCPUs are the board's minus every pCPU a kept VM uses and the Service VM's BSP;
  // pCPUs outside the Service VM first, then its other pCPUs (offlined from it before the VM
  // starts; not for a v2 KATA_VM, which no launch script starts).
  const bsp = serviceBsp(svc);
  const svcSet = new Set(svc ?? []);
  const used = new Set<number>(bsp === undefined ? [] : [bsp]);
  for (const vm of f.vms) {
    if (vm.kind === 'service' || removedIds.has(vm.id)) continue;
    if (sharing.some((s) => s.id === vm.id && s.choice === 'repin')) continue;
    for (const p of vm.pcpus) used.add(p.id);
  }
  for (const s of sharing) {
    if (s.choice !== 'repin') continue;
    const vm = f.vms.find((v) => v.id === s.id)!;
    const rt = /RT/.test(vm.typeValue) || valueOf(child(vm.el, 'vm_type')) === 'RTVM';
    const kata = f.family === 'v2' && vm.typeValue === 'KATA_VM';
    const open = (f.boardPcpus ?? []).filter((c) => !used.has(c) && !(rt && c === 0) && !(kata && svcSet.has(c)));
    const free = sameCoreType(f, [...open.filter((c) => !svcSet.has(c)), ...open.filter((c) => svcSet.has(c))]);
    if (!f.boardPcpus) {
      problems.push(`cannot re-pin ${vm.label}: no board file is known (--board)`);
      s.repinTo = [];
      continue;
    }
    if (!free.length) {
      problems.push(`cannot re-pin ${vm.label}: no free pCPU is left on the board (remove it instead)`);
      s.repinTo = [];
      continue;
    }
    const units = vm.cpuAffinity ? pcpuUnits(f.family, vm.cpuAffinity) : [];
    const n = Math.max(1, Math.min(units.length, free.length));
    const to = free.slice(0, n);
    for (const c of to) used.add(c);
    s.repinTo = to;
    units.forEach((u, i) => {
      if (i < n) {
        if (valueOf(u.idEl) !== String(to[i])) b.edits.push(setValueEdit(text, u.idEl, String(to[i])));
      } else b.edits.push(deleteElementEdit(b.style, u.unit));
    });
    syncClos(f, b, vm, n);
    b.changes.push(`re-pin ${vm.label} from pCPU ${list(s.pcpus)} to pCPU ${list(to)} (${RECIPE.step3})`);
  }
  for (const s of sharing) if (s.choice === 'keep') problems.push(`${s.label} keeps sharing pCPU ${list(s.shared)} with ${list(s.sharesWith)}: with SCHED_NOOP this is an error (${RECIPE.step3})`);
}

export function planEnable(text: string, options: PlanOptions = {}): Plan {
  const { dialect, facts: f } = scenarioFacts(text, options.board);
  const b = new EditBuilder(text, f.family);
  const problems: string[] = [];
  const svm = f.service;
  const empty = (): Plan => ({ action: 'enable', dialect: dialect.label, family: f.family, edits: [], changes: [], problems, sharing: [], kept: [], servicePcpus: undefined, result: text });
  if (!svm) {
    problems.push(`no Service VM in this scenario: ACRN supports nested virtualization only on the Service VM (${RECIPE.serviceOnly})`);
    return empty();
  }
  if (!f.hv) {
    problems.push('the scenario has no <hv> element');
    return empty();
  }

  // Which VMs go: decide first so no edit lands inside a removed VM.
  const target = targetServicePcpus(f);
  if (target.problem) problems.push(target.problem);
  const svc = target.pcpus;
  const sharing = findSharing(f, svc);
  for (const s of sharing) s.choice = options.choices?.[s.id] ?? options.defaultChoice ?? 'keep';
  const kept = keptOnServicePcpus(f, svc, sharing);
  applySharingChoices(f, b, sharing, svc, problems);

  // Step 1: system level features.
  const features = f.features;
  if (f.family === 'v2') {
    if (features) {
      b.ensure(features, 'NVMX_ENABLED', 'y', `set hv.FEATURES.NVMX_ENABLED to y (${RECIPE.step1})`);
      b.ensure(features, 'SCHEDULER', 'SCHED_NOOP', `set hv.FEATURES.SCHEDULER to SCHED_NOOP (${RECIPE.step1})`, 'SCHEDULER');
    } else {
      const u = b.style.unit;
      b.insert(f.hv, 'FEATURES', ['<FEATURES>', `${u}<SCHEDULER>SCHED_NOOP</SCHEDULER> <!-- acrn-nest: SCHEDULER was absent -->`, `${u}<NVMX_ENABLED>y</NVMX_ENABLED>`, '</FEATURES>'], `add hv.FEATURES with NVMX_ENABLED y and SCHEDULER SCHED_NOOP (${RECIPE.step1})`);
    }
  } else if (features) {
    b.ensure(features, 'SCHEDULER', 'SCHED_NOOP', `set hv.FEATURES.SCHEDULER to SCHED_NOOP (${RECIPE.constraints})`, 'SCHEDULER');
  } else {
    const u = b.style.unit;
    b.insert(f.hv, 'FEATURES', ['<FEATURES>', `${u}<SCHEDULER>SCHED_NOOP</SCHEDULER> <!-- acrn-nest: SCHEDULER was absent -->`, '</FEATURES>'], `add hv.FEATURES with SCHEDULER SCHED_NOOP (${RECIPE.constraints})`);
  }

  // Step 2: the Service VM.
  if (f.family === 'v2') {
    enableFlagsV2(f, svm, b);
    for (const vm of f.vms) if (vm !== svm) for (const g of guestFlags(vm)) if (valueOf(g) === 'GUEST_FLAG_NVMX_ENABLED') removeFlag(b, vm, g, `remove GUEST_FLAG_NVMX_ENABLED from ${vm.label}: only the Service VM may use it (${RECIPE.serviceOnly})`);
    const legacy0 = vuartById(svm, 'legacy_vuart', '0');
    const base = child(legacy0, 'base');
    if (base) b.set(base, 'INVALID_COM_BASE', `set the Service VM's legacy_vuart 0 base to INVALID_COM_BASE (${RECIPE.step2})`, 'base');
    const console0 = vuartById(svm, 'console_vuart', '0');
    if (console0) {
      const cb = child(console0, 'base');
      if (cb) b.set(cb, 'PCI_VUART', `set the Service VM's console_vuart 0 base to PCI_VUART (${RECIPE.step2})`, 'base');
      else b.insert(console0, 'base', ['<base>PCI_VUART</base>'], `set the Service VM's console_vuart 0 base to PCI_VUART (${RECIPE.step2})`);
    } else {
      b.insert(svm.el, 'console_vuart', ['<console_vuart id="0">', `${b.style.unit}<base>PCI_VUART</base>`, '</console_vuart>'], `add the Service VM's console_vuart 0 with base PCI_VUART (${RECIPE.step2})`);
    }
  } else {
    b.ensure(svm.el, 'nested_virtualization_support', 'y', `set the Service VM's nested_virtualization_support to y (${RECIPE.step2})`);
    b.ensure(svm.el, 'lapic_passthrough', 'y', `set the Service VM's lapic_passthrough to y (${RECIPE.constraints})`);
    b.ensure(svm.el, 'console_vuart', 'PCI', `set the Service VM's console_vuart to PCI: the legacy vUART interrupt does not work with LAPIC passthrough (${RECIPE.step2})`, 'console_vuart');
    for (const vm of f.vms) {
      if (vm === svm) continue;
      const n = child(vm.el, 'nested_virtualization_support');
      if (n && valueOf(n) === 'y') b.set(n, 'n', `set nested_virtualization_support of ${vm.label} to n: only the Service VM may use it (${RECIPE.serviceOnly})`);
    }
  }

  // The Service VM's pCPUs (debug build with a serial console: explicit, without pCPU0).
  if (target.explicitNeeded && svc) {
    const aff = svm.cpuAffinity;
    const units = aff ? pcpuUnits(f.family, aff) : [];
    if (aff && units.length) {
      for (const u of units) if (valueOf(u.idEl) === '0') b.remove(u.unit, `remove pCPU0 from the Service VM's cpu_affinity: a debug build keeps the hypervisor console there (${RECIPE.step2})`);
      syncClos(f, b, svm, units.filter((u) => valueOf(u.idEl) !== '0').length);
    } else if (aff) {
      const lines = pcpuLines(f.family, b.style, svc).slice(1, -1).map((l) => l.slice(b.style.unit.length));
      b.insert(aff, f.family === 'v2' ? 'pcpu_id' : 'pcpu', lines, `pin the Service VM to pCPU ${list(svc)} (no pCPU0 in a debug build) (${RECIPE.step2})`);
    } else {
      b.insert(svm.el, 'cpu_affinity', pcpuLines(f.family, b.style, svc), `pin the Service VM to pCPU ${list(svc)} (no pCPU0 in a debug build) (${RECIPE.step2})`);
    }
    if (!(aff && units.length)) syncClos(f, b, svm, svc.length);
  }

  const edits = b.finish();
  return { action: 'enable', dialect: dialect.label, family: f.family, edits, changes: b.changes, problems, sharing, kept, servicePcpus: svc, result: applyEdits(text, edits) };
}

function enableFlagsV2(f: ScenarioFacts, svm: VmInfo, b: EditBuilder): void {
  const want = ['GUEST_FLAG_NVMX_ENABLED', 'GUEST_FLAG_LAPIC_PASSTHROUGH'];
  const gfs = child(svm.el, 'guest_flags');
  const flags = guestFlags(svm);
  const missing = want.filter((w) => !flags.some((g) => valueOf(g) === w));
  if (!missing.length) return;
  const why = `add ${missing.join(' and ')} to the Service VM's guest_flags (${RECIPE.step2})`;
  if (!gfs) {
    b.insert(svm.el, 'guest_flags', ['<guest_flags>', ...missing.map((m) => `${b.style.unit}<guest_flag>${m}</guest_flag>`), '</guest_flags>'], why);
    return;
  }
  const placeholders = flags.filter((g) => PLACEHOLDER_FLAGS.has(valueOf(g)));
  const rest = [...missing];
  for (const p of placeholders) {
    const m = rest.shift();
    if (!m) break;
    b.edits.push(setValueEdit(f.text, p, m));
  }
  if (rest.length) {
    const last = flags[flags.length - 1];
    b.edits.push(insertLinesEdit(b.style, gfs, last, rest.map((m) => `<guest_flag>${m}</guest_flag>`)));
  }
  b.changes.push(why);
}

/** Removes a guest_flag; the last one becomes `0` instead (guest_flags keeps one entry, like ACRN's files). */
function removeFlag(b: EditBuilder, vm: VmInfo, g: XmlElement, why: string): void {
  const others = guestFlags(vm).filter((x) => x !== g);
  if (others.length) b.remove(g, why);
  else {
    b.set(g, '0', why);
  }
}

/** Everything that refers to removed VMs: v3 vuart_connections (and IVSHMEM VM entries), v2 vUART targets. */
function removeReferences(f: ScenarioFacts, b: EditBuilder, ids: Set<string>, names: Set<string>): void {
  if (f.family === 'v3') {
    // Also connections that already named a VM the scenario does not have.
    const existing = new Set(f.vms.map((v) => v.name));
    const conns = childrenNamed(child(f.hv, 'vuart_connections'), 'vuart_connection');
    for (const c of conns) {
      const eps = childrenNamed(c, 'endpoint').map((e) => valueOf(child(e, 'vm_name')));
      const gone = eps.filter((n) => names.has(n) || (n !== '' && !existing.has(n)));
      if (gone.length) b.remove(c, `remove vUART connection "${valueOf(child(c, 'name'))}": it connects to ${list(gone)}, which ${names.has(gone[0]!) ? 'is removed' : 'is not in this scenario'}`);
    }
    if (!ids.size) return;
    for (const region of childrenNamed(child(f.features, 'IVSHMEM'), 'IVSHMEM_REGION')) {
      for (const vms of childrenNamed(region, 'IVSHMEM_VMS')) {
        for (const v of childrenNamed(vms, 'IVSHMEM_VM')) if (names.has(valueOf(child(v, 'VM_NAME')))) b.remove(v, `remove ${valueOf(child(v, 'VM_NAME'))} from IVSHMEM region "${valueOf(child(region, 'NAME'))}"`);
      }
    }
    return;
  }
  if (!ids.size) return;
  // ACRN v2's generator indexes VMs by id: ids must stay 0..n-1, so the VMs after a removed one
  // are renumbered (and every reference with them).
  const remaining = f.vms.filter((v) => !ids.has(v.id)).sort((a, b) => Number(a.id) - Number(b.id));
  const renum = new Map<string, string>();
  remaining.forEach((v, i) => renum.set(v.id, String(i)));
  const newId = (old: string): string => renum.get(old) ?? old;
  const svcId = newId(f.service?.id ?? '0');
  for (const vm of remaining) {
    const idAttr = vm.el.attributes.find((a) => a.name === 'id');
    if (idAttr && idAttr.valueStart >= 0 && newId(vm.id) !== vm.id) {
      b.edits.push({ start: idAttr.valueStart, end: idAttr.valueEnd, newText: newId(vm.id) });
      b.changes.push(`renumber ${vm.label} to VM ${newId(vm.id)}: ACRN v2 needs VM ids 0..n-1 (update the VM id in your launch XML too)`);
    }
  }
  // ACRN v2's generator reads target_vm_id of every vUART and looks the target up, even for
  // disabled ones: vUARTs aimed at a removed VM stay, disabled and aimed at the Service VM (as
  // ACRN's own files do for unused vUARTs); the others follow the renumbering.
  for (const vm of remaining) {
    for (const [kind, invalid] of [['legacy_vuart', 'INVALID_COM_BASE'], ['communication_vuart', 'INVALID_PCI_BASE']] as const) {
      for (const u of childrenNamed(vm.el, kind)) {
        const t = child(u, 'target_vm_id');
        if (!t) continue;
        const what = `${vm.label}'s ${kind} ${attr(u, 'id') ?? ''}`;
        if (ids.has(valueOf(t))) {
          const base = child(u, 'base');
          if (base) b.set(base, invalid, `disable ${what}: its target VM ${valueOf(t)} is removed`);
          b.set(t, svcId, `point ${what} (disabled) at the Service VM (VM ${svcId})`);
        } else if (newId(valueOf(t)) !== valueOf(t)) b.set(t, newId(valueOf(t)), `follow the renumbering in ${what}`);
      }
    }
  }
  // IVSHMEM regions: "name, size, id:id[:id]".
  const ivshmem = child(f.features, 'IVSHMEM');
  const regions = childrenNamed(ivshmem, 'IVSHMEM_REGION');
  let anyLeft = false;
  for (const r of regions) {
    const parts = valueOf(r).split(',');
    if (parts.length < 3) continue;
    const vmIds = parts[2]!.trim().split(':').map((x) => x.trim());
    const kept = vmIds.filter((x) => !ids.has(x)).map(newId);
    if (kept.length === vmIds.length && kept.every((x, i) => x === vmIds[i])) {
      anyLeft = true;
      continue;
    }
    if (kept.length >= 2) {
      anyLeft = true;
      b.set(r, `${parts[0]!.trim()}, ${parts[1]!.trim()}, ${kept.join(':')}`, `IVSHMEM region ${parts[0]!.trim()}: VMs ${kept.join(':')}`);
    } else b.set(r, '', `empty IVSHMEM region ${parts[0]!.trim()}: fewer than two of its VMs are left`);
  }
  const en = child(ivshmem, 'IVSHMEM_ENABLED');
  if (regions.length && !anyLeft && en && valueOf(en) === 'y') b.set(en, 'n', 'disable IVSHMEM: no region is left');
}

export function planDisable(text: string, options: PlanOptions = {}): Plan {
  const { dialect, facts: f } = scenarioFacts(text, options.board);
  const b = new EditBuilder(text, f.family);
  const problems: string[] = [];
  const svm = f.service;

  // Remembered values first (their elements may also be touched below: skip those).
  for (const c of allComments(f.root)) {
    const m = MEMO.exec(c.value);
    if (!m) continue;
    const p = c.parent;
    if (!p) continue;
    const i = p.children.indexOf(c);
    let el: XmlElement | undefined;
    for (let j = i - 1; j >= 0; j--) {
      const n = p.children[j]!;
      if (n.kind === 'text' && /^[ \t]*$/.test(n.value)) continue;
      if (n.kind === 'element' && n.name === m[1]) el = n;
      break;
    }
    // The comment and the blanks before it on the same line.
    let start = c.start;
    while (start > 0 && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--;
    if (!el) continue;
    const was = m[2]!;
    if (was === 'absent') {
      b.remove(el, `remove ${el.name} (acrn-nest added it when enabling)`);
      continue;
    }
    b.edits.push({ start, end: c.end, newText: '' });
    if (valueOf(el) !== was) {
      b.edits.push(setValueEdit(text, el, was));
      b.changes.push(`restore ${el.name} to ${was} (remembered when nested virtualization was enabled)`);
    } else b.changes.push(`drop the acrn-nest note on ${el.name}`);
  }

  if (f.family === 'v2') {
    if (f.nvmxEnabledEl && valueOf(f.nvmxEnabledEl) !== 'n') b.set(f.nvmxEnabledEl, 'n', 'set hv.FEATURES.NVMX_ENABLED to n');
    for (const vm of f.vms) {
      const flags = guestFlags(vm);
      const drop = flags.filter((g) => valueOf(g) === 'GUEST_FLAG_NVMX_ENABLED' || (vm === svm && valueOf(g) === 'GUEST_FLAG_LAPIC_PASSTHROUGH'));
      drop.forEach((g, i) => {
        const others = flags.filter((x) => !drop.includes(x));
        const why = `remove ${valueOf(g)} from ${vm.label}${valueOf(g) === 'GUEST_FLAG_LAPIC_PASSTHROUGH' ? ' (ACRN allows LAPIC passthrough on the Service VM only with nested virtualization)' : ''}`;
        if (others.length || i < drop.length - 1) b.remove(g, why);
        else b.set(g, '0', why);
      });
    }
  } else {
    for (const vm of f.vms) {
      const n = child(vm.el, 'nested_virtualization_support');
      if (n && valueOf(n) === 'y') b.set(n, 'n', `set nested_virtualization_support of ${vm.label} to n`);
    }
    if (svm) {
      const l = child(svm.el, 'lapic_passthrough');
      if (l && valueOf(l) === 'y') b.set(l, 'n', "set the Service VM's lapic_passthrough to n (ACRN allows it only with nested virtualization)");
    }
  }
  const edits = b.finish();
  return { action: 'disable', dialect: dialect.label, family: f.family, edits, changes: b.changes, problems, sharing: [], kept: [], servicePcpus: servicePcpus(f), result: applyEdits(text, edits) };
}

// ---------------------------------------------------------------------------------------------
// Status: the recipe as a checklist.

export interface RecipeStep {
  id: string;
  title: string;
  /** Where the recipe says it. */
  recipe: string;
  satisfied: boolean;
  /** Not relevant to this file (e.g. release build: pCPU0 is free to use). */
  notApplicable?: boolean;
  detail: string;
  /** Range of the element the step concerns (for links). */
  start: number;
  end: number;
}

export interface NvmxStatus {
  dialect: string;
  family: Family;
  /** Nested virtualization is switched on (some switch is set). */
  enabled: boolean;
  /** Every applicable step satisfied. */
  complete: boolean;
  steps: RecipeStep[];
  servicePcpus: number[] | undefined;
  sharing: SharingVm[];
}

export function nvmxStatus(text: string, options: { board?: XmlDocument } = {}): NvmxStatus {
  const { dialect, facts: f } = scenarioFacts(text, options.board);
  const steps: RecipeStep[] = [];
  const svm = f.service;
  const at = (el: XmlElement | undefined, fallback?: XmlElement): { start: number; end: number } => {
    const e = el ?? fallback ?? f.root;
    return { start: e.start, end: e.startTagEnd > 0 ? e.startTagEnd : e.end };
  };
  const add = (id: string, title: string, recipe: string, satisfied: boolean, detail: string, r: { start: number; end: number }, notApplicable = false): void => {
    steps.push({ id, title, recipe, satisfied: satisfied || notApplicable, notApplicable, detail, ...r });
  };
  add('service-vm', 'The scenario has a Service VM', RECIPE.serviceOnly, !!svm, svm ? `${svm.label} (${svm.typeValue})` : 'nested virtualization works only on the Service VM', at(svm?.el));
  const sched = f.schedulerValue;
  if (f.family === 'v2') {
    const nv = valueOf(f.nvmxEnabledEl);
    add('nvmx-enabled', 'hv.FEATURES.NVMX_ENABLED = y', RECIPE.step1, nv === 'y', `NVMX_ENABLED is ${nv || 'missing'}`, at(f.nvmxEnabledEl, f.features));
  }
  add('scheduler', 'hv.FEATURES.SCHEDULER = SCHED_NOOP (no CPU sharing)', f.family === 'v2' ? RECIPE.step1 : RECIPE.constraints, sched === 'SCHED_NOOP', `SCHEDULER is ${sched}`, at(f.scheduler, f.features));
  if (svm) {
    if (f.family === 'v2') {
      const gf = child(svm.el, 'guest_flags');
      add('flag-nvmx', 'Service VM guest_flag GUEST_FLAG_NVMX_ENABLED', RECIPE.step2, serviceNested(f), serviceNested(f) ? 'set' : 'missing', at(gf, svm.el));
      add('flag-lapic', 'Service VM guest_flag GUEST_FLAG_LAPIC_PASSTHROUGH', RECIPE.step2, serviceLapicPt(f), serviceLapicPt(f) ? 'set' : 'missing', at(gf, svm.el));
    } else {
      const n = child(svm.el, 'nested_virtualization_support');
      add('nested', 'Service VM nested_virtualization_support = y', RECIPE.step2, serviceNested(f), `nested_virtualization_support is ${valueOf(n) || 'n (default)'}`, at(n, svm.el));
      const l = child(svm.el, 'lapic_passthrough');
      add('lapic', 'Service VM lapic_passthrough = y', RECIPE.constraints, serviceLapicPt(f), `lapic_passthrough is ${valueOf(l) || 'n (default)'}`, at(l, svm.el));
    }
    const target = targetServicePcpus(f);
    const hasExplicit = svm.pcpus.length > 0;
    const has0 = svm.pcpus.some((p) => p.id === 0);
    add('pcpu0', 'Service VM cpu_affinity set, without pCPU0 (debug build with serial console)', RECIPE.step2, hasExplicit && !has0, f.family === 'v3' ? 'v3: ACRN gives the Service VM every pCPU not used by a pre-launched VM (no cpu_affinity allowed on it); with LAPIC passthrough the hypervisor console may be laggy (ACRN #6312)' : !target.explicitNeeded ? 'release build or no serial console: not needed' : hasExplicit ? (has0 ? 'pCPU0 is assigned to the Service VM' : `pCPU ${list(svm.pcpus.map((p) => p.id))}`) : 'no explicit cpu_affinity: the Service VM would take every pCPU, pCPU0 included', at(svm.cpuAffinity, svm.el), !target.explicitNeeded);
    if (f.family === 'v2') {
      const lb = child(vuartById(svm, 'legacy_vuart', '0'), 'base');
      add('legacy-vuart', "Service VM legacy_vuart 0 base = INVALID_COM_BASE", RECIPE.step2, !lb || valueOf(lb) === 'INVALID_COM_BASE', lb ? `base is ${valueOf(lb)}` : 'no legacy_vuart 0', at(lb, svm.el));
      const cb = child(vuartById(svm, 'console_vuart', '0'), 'base');
      add('console-vuart', 'Service VM console_vuart 0 base = PCI_VUART', RECIPE.step2, valueOf(cb) === 'PCI_VUART', cb ? `base is ${valueOf(cb)}` : 'no console_vuart 0', at(cb, svm.el));
    } else {
      const cv = child(svm.el, 'console_vuart');
      add('console-vuart', 'Service VM console_vuart = PCI', RECIPE.step2, valueOf(cv) === 'PCI', `console_vuart is ${valueOf(cv) || 'None (default)'}`, at(cv, svm.el));
    }
  }
  const svc = servicePcpus(f);
  const sharing = svm ? findSharing(f, svc) : [];
  const firstShare = sharing[0];
  add('no-sharing', 'No VM shares pCPUs with the Service VM or another VM (remove CPU sharing VMs)', RECIPE.step3, svc !== undefined && sharing.length === 0, svc === undefined ? 'unknown: the Service VM has no cpu_affinity and no board file is known' : sharing.length ? sharing.map((s) => `${s.label} shares pCPU ${list(s.shared)}`).join('; ') : 'no sharing', firstShare ? { start: firstShare.start, end: firstShare.end } : at(svm?.el));
  if (f.family === 'v2') {
    const stray = f.vms.filter((v) => v !== svm && guestFlags(v).some((g) => valueOf(g) === 'GUEST_FLAG_NVMX_ENABLED'));
    add('only-service', 'GUEST_FLAG_NVMX_ENABLED on no other VM', RECIPE.serviceOnly, stray.length === 0, stray.length ? stray.map((v) => v.label).join(', ') : 'none', at(stray[0]?.el));
  } else {
    const stray = f.vms.filter((v) => v !== svm && valueOf(child(v.el, 'nested_virtualization_support')) === 'y');
    add('only-service', 'nested_virtualization_support on no other VM', RECIPE.serviceOnly, stray.length === 0, stray.length ? stray.map((v) => v.label).join(', ') : 'none', at(stray[0]?.el));
    const names = new Set(f.vms.map((v) => v.name));
    const bad = childrenNamed(child(f.hv, 'vuart_connections'), 'vuart_connection').flatMap((c) => childrenNamed(c, 'endpoint').map((e) => child(e, 'vm_name'))).filter((n): n is XmlElement => !!n && !names.has(valueOf(n)));
    add('vuart-connections', 'vuart_connections name only existing VMs', RECIPE.step3, bad.length === 0, bad.length ? `unknown VM ${list(bad.map((n) => `"${valueOf(n)}"`))}` : 'ok', at(bad[0]));
  }
  const enabled = nvmxOn(f);
  return { dialect: dialect.label, family: f.family, enabled, complete: steps.every((s) => s.satisfied), steps, servicePcpus: svc, sharing };
}
