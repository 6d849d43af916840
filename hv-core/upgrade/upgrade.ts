/**
 * Upgrades an ACRN v2.x scenario (optionally with its v2 launch XML) to the v3 schema of a given
 * ACRN tree: a TypeScript re-implementation of ACRN v3.3's
 * misc/config_tools/scenario_config/upgrader.py (ScenarioUpgrader over ScenarioTransformer).
 *
 * The v3 tree is built by walking the sliced v3 schema: for each element the schema allows, a
 * "data mover" picks the old data that belongs there (by the same XPaths upgrader.py uses) and
 * makes the new element(s). Every old element with text that no mover consumed is reported as
 * dropped, with the reason ACRN gives where it gives one; every value that changes shape on the
 * way (renamed, converted, regrouped) is reported as changed. Both point at the v2 line and column.
 * test/integration/upgrade-ground-truth.test.ts compares the result with upgrader.py's, element by
 * element, on every official v2.5/v2.6/v2.7 scenario.
 */
import { LineIndex } from '../xml/positions.js';
import { select } from './query.js';
import type { SourceFile } from './tree.js';
import { Node, parseTree, serialize } from './tree.js';
import type { UpgradeSchema, XsdComplex, XsdElement } from './xsd.js';
import { findComplex, loadUpgradeSchema } from './xsd.js';

export interface UpgradeOptions {
  /** An ACRN v3 tree (path) or its schema, loaded with loadUpgradeSchema(). */
  v3Tree: string | UpgradeSchema;
  /** The v2 launch XML for the scenario's post-launched VMs (upgrader.py --launch). */
  launchText?: string;
  /** Accepted for symmetry with the other engines; the upgrade itself never reads the board. */
  board?: unknown;
}

export interface UpgradeItem {
  kind: 'dropped' | 'changed' | 'note';
  /** 'warning' where data is lost or a value must be checked by hand; 'info' where ACRN says why that is fine. */
  severity: 'info' | 'warning';
  file: SourceFile;
  /** 1-based, in `file`. */
  line: number;
  column: number;
  /** lxml element path in the old file, e.g. `vm[2]/guest_flags/guest_flag[1]`. */
  v2Path: string;
  v2Value: string;
  /** Where it went in the v3 file (changed items). */
  v3Path?: string;
  v3Value?: string;
  reason: string;
}

export interface UpgradeResult {
  text: string;
  items: UpgradeItem[];
  /** The v2 scenario's launch XML was ignored (upgrader.py needs a Service VM to map user_vm ids). */
  launchIgnored: boolean;
}

/** Why ACRN drops some data on purpose (upgrader.py's UpgradingScenarioStage.filters). */
const FILTERS: [path: string, data: string | null, info: string | null][] = [
  ['hv/FEATURES/IVSHMEM', null, 'IVSHMEM is now automatically enabled if any IVSHMEM region is specified.'],
  ['hv/FEATURES/NVMX_ENABLED', null, 'Nest virtualization support is now automatically included if enabled for any VM.'],
  ['hv/CAPACITIES/IOMMU_BUS_NUM', null, 'The maximum bus number to be supported by ACRN IOMMU configuration is now inferred from board data.'],
  ['hv/MISC_CFG/UEFI_OS_LOADER_NAME', null, null],
  ['vm/guest_flags/guest_flag', '0', null],
  ['vm/clos/vcpu_clos', null, 'clos nodes are no longer needed in scenario definitions.'],
  ['vm/epc_section/base', '0', 'Post-launched VMs cannot have EPC sections.'],
  ['vm/epc_section/size', '0', 'Post-launched VMs cannot have EPC sections.'],
  ['vm/os_config/name', null, 'Guest OS names are no longer needed in scenario definitions.'],
];

/** Marks a report item where acrn-nest does not do what ACRN's upgrader does, on purpose. */
export const DIFFERENCE = 'acrn-nest differs from ACRN\'s upgrader here, on purpose:';

type Mover = (u: Upgrader, xsd: XsdElement, parent: Node, out: Node[]) => boolean | undefined;

interface Change {
  from: Node;
  fromPath: string;
  fromValue: string;
  to: Node | undefined;
  reason: string;
}

interface Endpoint {
  vmName: string;
  ioPort: string | null;
  pciBdf: string | null;
}
interface Connection {
  name: string;
  ty: string;
  endpoints: Endpoint[];
}
interface Region {
  providedBy: string;
  name: string;
  size: string;
  sharedVms: [string, string][];
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** Python's int(s, 16) (accepting an 0x prefix and surrounding whitespace); throws like Python on junk. */
function pyHex(s: string | null): number {
  const t = (s ?? '').trim().replace(/^0[xX]/, '');
  if (!/^[0-9a-fA-F]+(_[0-9a-fA-F]+)*$/.test(t)) throw new Error(`invalid literal for int() with base 16: '${s}'`);
  return parseInt(t.replace(/_/g, ''), 16);
}

class Upgrader {
  readonly oldData = new Set<Node>();
  readonly map = new Map<Node, Node>();
  readonly changes: Change[] = [];
  readonly notes: { node: Node; text: string }[] = [];
  launch: Node | undefined;
  serviceVmId = 0;
  launchIgnored = false;
  // upgrader.py keeps these on the classes; one Upgrader is one run of upgrader.py.
  private vuartNextDev = new Map<string, number>();
  private vuartNextId = 1;
  private shmNextDev = new Map<string, number>();

  constructor(readonly schema: UpgradeSchema, readonly old: Node, launch: Node | undefined) {
    if (launch) {
      const isSvc = (v: Node): boolean => [...v.descendants()].some((d) => (d.tag === 'load_order' || d.tag === 'vm_type') && d.stringValue() === 'SERVICE_VM');
      const id = select(old, '//vm').filter(isSvc).map((v) => v.get('id')).find((x) => x !== undefined);
      if (id === undefined) this.launchIgnored = true;
      else {
        this.launch = launch;
        this.serviceVmId = parseInt(id, 10);
      }
    }
    for (const n of old.iter()) if (n.text) this.oldData.add(n);
    if (this.launch) for (const n of this.launch.iter()) if (n.text) this.oldData.add(n);
  }

  discard(n: Node): void {
    this.oldData.delete(n);
  }

  change(from: Node, to: Node | undefined, reason: string): void {
    this.changes.push({ from, fromPath: from.elementPath(), fromValue: from.text ?? '', to, reason });
  }

  // ---- schema helpers (scenario_transformer.py) ----

  complexTypeOf(xsd: XsdElement, xml?: Node): XsdComplex | undefined {
    let type = xsd.type;
    let inline = xsd.inline;
    if (xml) {
      for (const alt of xsd.alternatives) {
        if (evalTest(xml, alt.test)) {
          type = alt.type;
          inline = undefined;
          break;
        }
      }
    }
    if (inline) return inline;
    return type ? findComplex(this.schema, type) : undefined;
  }

  transformNode(xsd: XsdElement, xml: Node): void {
    const ct = this.complexTypeOf(xsd, xml);
    if (!ct) return;
    if (ct.sequence) this.transformSequence(ct.sequence, xml);
    if (ct.all) this.transformAll(ct.all, xml);
  }

  transformSequence(list: XsdElement[], xml: Node): void {
    const children = xml.children.map((c, i) => [i, c] as const);
    for (const el of list) {
      if (children.length === 0 || children[0]![1].tag !== el.name) {
        this.addAndTransformMissing(el, xml, children.length ? children[0]![0] : undefined);
      } else {
        while (children.length && children[0]![1].tag === el.name) this.transformNode(el, children.shift()![1]);
      }
    }
  }

  transformAll(list: XsdElement[], xml: Node): void {
    for (const el of list) {
      if (!el.name) continue;
      const kids = xml.findAll(el.name);
      if (kids.length === 0) this.addAndTransformMissing(el, xml);
      else for (const k of kids) this.transformNode(el, k);
    }
  }

  addAndTransformMissing(el: XsdElement, parent: Node, anchor?: number): void {
    for (const n of this.addMissing(el, parent, anchor)) this.transformNode(el, n);
  }

  addMissing(el: XsdElement, parent: Node, anchor: number | undefined): Node[] {
    const out: Node[] = [];
    const key = MOVERS[`${parent.tag}/${el.name}`] ? `${parent.tag}/${el.name}` : MOVERS[el.name] ? el.name : 'default';
    const visit = MOVERS[key]!(this, el, parent, out);
    if (anchor !== undefined && out.length) {
      // upgrader.py passes a list index where it expects an element here and fails.
      throw new Error(`upgrade: ACRN's upgrader cannot insert <${el.name}> among existing children of <${parent.tag}>`);
    }
    for (const n of out) parent.append(n);
    return visit ? out : [];
  }

  // ---- old data lookups ----

  fromOld(parent: Node, xpath: string): Node[] {
    const hv = parent.tag === 'vm' || parent.tag === 'hv' ? parent : [...parent.ancestors()].find((a) => a.tag === 'vm' || a.tag === 'hv');
    const old = hv ? this.map.get(hv) : undefined;
    if (!old) throw new Error(`upgrade: <${parent.tag}> has no hv or vm above it`);
    return select(old, xpath);
  }

  fromLaunch(parent: Node, xpath: string): Node[] {
    if (!this.launch) return [];
    const vm = parent.tag === 'vm' ? parent : [...parent.ancestors()].find((a) => a.tag === 'vm');
    if (!vm) return [];
    const old = this.map.get(vm)!;
    const id = parseInt(old.get('id') ?? 'NaN', 10) - this.serviceVmId;
    const uvm = select(this.launch, `//user_vm[@id = '${id}']`);
    return uvm.length ? select(uvm[0]!, xpath) : [];
  }

  // ---- generic movers ----

  byXpath(xpath: string, xsd: XsdElement, parent: Node, out: Node[], reason: string, scenarioOnly = false, launchOnly = false): boolean {
    let old: Node[] = [];
    if (!launchOnly) old = this.fromOld(parent, xpath);
    if (!scenarioOnly && old.length === 0 && this.launch) old = this.fromLaunch(parent, xpath);
    if (!this.complexTypeOf(xsd)) {
      const raw = xsd.maxOccurs;
      const max = raw === 'unbounded' ? old.length : raw === undefined ? 1 : parseInt(raw, 10);
      if (old.length <= max) {
        for (const n of old) {
          const nn = new Node(xsd.name);
          nn.text = n.text;
          for (const [k, v] of n.attrs) if (k === 'id' || k === 'name') nn.set(k, v);
          out.push(nn);
          this.discard(n);
          this.change(n, nn, reason);
        }
      }
      return false;
    }
    if (old.length) {
      if (old[0]!.tag === 'usb_xhci') old[0]!.attrs = [];
      const nn = new Node(xsd.name);
      for (const [k, v] of old[0]!.attrs) nn.set(k, v);
      out.push(nn);
    }
    return true;
  }

  sameTag(xsd: XsdElement, parent: Node, out: Node[]): boolean {
    return this.byXpath(`.//${xsd.name}`, xsd, parent, out, 'moved');
  }

  // ---- the upgrade ----

  run(): Node {
    const root = new Node(this.old.tag);
    for (const old of this.old.children) {
      const nn = new Node(old.tag);
      if (old.tag === 'vm') {
        const lo = nn.sub('load_order');
        const vmType = select(old, './/vm_type').find((n) => n.text !== null)?.text ?? undefined;
        const oldLo = select(old, './/load_order');
        if (oldLo.length) {
          lo.text = oldLo[0]!.text;
          this.discard(oldLo[0]!);
        } else if (vmType !== undefined) {
          lo.text = vmType.startsWith('PRE_') || vmType === 'SAFETY_VM' ? 'PRE_LAUNCHED_VM' : vmType.startsWith('POST_') ? 'POST_LAUNCHED_VM' : 'SERVICE_VM';
          if (vmType === 'KATA_VM') this.notes.push({ node: select(old, './/vm_type')[0]!, text: 'ACRN\'s upgrader takes a KATA_VM for a Service VM (load_order SERVICE_VM): check this VM by hand' });
        } else {
          this.notes.push({ node: old, text: 'Cannot infer the load order of this VM (no vm_type or load_order): it is left out' });
          continue;
        }
      }
      root.append(nn);
      for (const [k, v] of old.attrs) nn.set(k, v);
      this.map.set(nn, old);
    }
    const decl = this.schema.elements.find((e) => e.name === root.tag);
    if (decl) this.transformNode(decl, root);
    return root;
  }

  // ---- special movers (upgrader.py's move_*) ----

  buildType(xsd: XsdElement, parent: Node, out: Node[]): boolean {
    const rel = select(this.old, '//hv//RELEASE')[0];
    if (rel) {
      const nn = new Node(xsd.name);
      nn.text = rel.text === 'y' ? 'release' : 'debug';
      out.push(nn);
      this.discard(rel);
      this.change(rel, nn, 'v3 names the build type (release or debug) instead of RELEASE (y or n)');
    } else this.byXpath('.//BUILD_TYPE', xsd, parent, out, 'moved');
    return false;
  }

  virtioDevices(_xsd: XsdElement, parent: Node, out: Node[]): boolean | undefined {
    const olds = this.fromOld(parent, './/virtio_devices');
    const old = olds[olds.length - 1];
    if (!old) return undefined;
    const v = new VirtioDevices();
    v.add(old);
    for (const c of old.iter()) this.discard(c);
    const nn = v.format();
    out.push(nn);
    this.change(old, nn, 'virtio devices are structured elements in v3');
    return false;
  }

  memory(xsd: XsdElement, parent: Node, out: Node[]): boolean {
    const nn = new Node(xsd.name);
    const mem = this.map.get(parent)!.findAll('memory');
    const starts: Node[] = [];
    const sizes: Node[] = [];
    const wholes: Node[] = [];
    const origins = new Map<Node, [string, string]>();
    const note = (n: Node): void => {
      origins.set(n, [n.elementPath(), n.text ?? '']);
    };
    if (mem.length) {
      for (const e of [...mem[0]!.children]) {
        note(e);
        if (e.tag.includes('start_hpa')) starts.push(e);
        else if (e.tag.includes('size')) {
          if ((e.text ?? '').includes('0x')) e.text = String(Math.floor(pyHex(e.text) / 1024 / 1024));
          sizes.push(e);
        } else if (e.tag.includes('whole')) wholes.push(e);
        else if (e.tag.includes('hpa_region')) {
          for (const s of e.children) {
            note(s);
            if (s.tag.includes('start_hpa')) starts.push(s);
            else if (s.tag.includes('size')) sizes.push(s);
            else if (s.tag.includes('whole')) wholes.push(s);
          }
        }
      }
    }
    const moved: Node[] = [];
    if (starts.length && sizes.length) {
      for (let i = 0; i < starts.length; i++) {
        const s = sizes[i];
        if (!s) throw new Error('upgrade: ACRN\'s upgrader fails on a v2 memory with more start_hpa than size elements');
        if (pyHex(starts[i]!.text) !== 0 && pyHex(s.text) !== 0) {
          const r = nn.sub('hpa_region');
          s.tag = 'size_hpa';
          r.append(starts[i]!);
          r.append(s);
          moved.push(starts[i]!, s);
        }
      }
    } else if (wholes.length || (!starts.length && sizes.length)) {
      for (const w of wholes.length ? wholes : sizes) {
        w.tag = 'size';
        nn.append(w);
        moved.push(w);
      }
    }
    out.push(nn);
    for (const n of [...starts, ...sizes, ...wholes]) {
      this.discard(n);
      const [p, v] = origins.get(n)!;
      if (moved.includes(n)) {
        if (n.text !== v || !p.endsWith(n.tag)) this.changes.push({ from: n, fromPath: p, fromValue: v, to: n, reason: (n.text !== v ? 'v3 gives memory sizes in MB' : 'v3 groups a VM\'s host memory as hpa_region (start_hpa, size_hpa)') });
      } else if (n.text !== null && !/^(0x)?0+$/i.test(v.trim())) this.changes.push({ from: n, fromPath: p, fromValue: v, to: undefined, reason: 'not carried over: v3 takes a memory region only when both its start and size are non-zero, and a size only with a start (ACRN\'s upgrader)' });
    }
    return false;
  }

  consoleVuart(xsd: XsdElement, parent: Node, out: Node[]): boolean {
    const nn = new Node(xsd.name);
    nn.text = 'None';
    out.push(nn);
    const loadOrder = this.fromOld(parent, './/load_order').find((n) => n.text !== null)?.text;
    const legacy = this.fromOld(parent, ".//legacy_vuart[@id = '0']")[0];
    const cons = this.fromOld(parent, './/console_vuart')[0];
    const lcons = this.fromLaunch(parent, './/console_vuart')[0];
    if (!legacy && !cons && !lcons) return false;
    let origin: Node | undefined;
    const pciBase = cons?.find('base');
    const legacyBase = legacy?.find('type')?.text === 'VUART_LEGACY_PIO' ? legacy.find('base')?.text ?? '' : undefined;
    if (!cons?.text && pciBase?.text === 'PCI_VUART' && (legacyBase === undefined || legacyBase === 'INVALID_COM_BASE')) {
      // Deliberate difference (docs/upgrade.md): upgrader.py means to turn a PCI console vUART into
      // `PCI` but compares an element with a string, so it writes None (or nothing) and the Service
      // VM loses its console, which the nested-virtualization recipe needs as PCI.
      nn.text = 'PCI';
      this.changes.push({ from: pciBase, fromPath: pciBase.elementPath(), fromValue: 'PCI_VUART', to: nn, reason: `${DIFFERENCE} v2 console_vuart base PCI_VUART is the v3 console_vuart PCI; ACRN's upgrader (v3.3) writes ${legacyBase === undefined ? 'an empty console_vuart' : 'None'} here, which turns the VM's console off (and breaks the nested-virtualization recipe: Service VM console_vuart = PCI)` });
      for (const x of [legacy, cons, lcons]) if (x) for (const n of x.iter()) this.discard(n);
      return false;
    }
    if (cons && cons.text) {
      nn.text = cons.text;
      origin = cons;
    } else if (legacy && legacy.find('type')?.text === 'VUART_LEGACY_PIO') {
      const base = legacy.find('base')?.text ?? '';
      if (base === 'CONFIG_COM_BASE') {
        this.notes.push({ node: legacy, text: 'v3 cannot place a console vUART at CONFIG_COM_BASE: the console vUART is None' });
        return false;
      }
      for (const i of [1, 2, 3, 4]) if (base.endsWith(`COM${i}_BASE`)) nn.text = `COM Port ${i}`;
      origin = legacy.find('base') ?? legacy;
      if (loadOrder === 'SERVICE_VM') this.notes.push({ node: origin, text: `The console virtual UART of the service VM is moved to ${nn.text}. Please double check the console= command line option in the OS bootargs of the service VM.` });
    } else if (cons) {
      nn.text = cons.text;
      origin = cons;
    } else if (lcons && lcons.children.length > 0 && lcons.text !== 'Disable') {
      nn.text = 'PCI';
      origin = lcons;
    }
    if (origin) this.change(origin, nn, 'v3 names the console vUART by its COM port (or PCI)');
    for (const x of [legacy, cons, lcons]) if (x) for (const n of x.iter()) this.discard(n);
    return false;
  }

  vuartConnections(xsd: XsdElement, _parent: Node, out: Node[]): boolean {
    const conns: Connection[] = [];
    const sources = new Map<Connection, Node[]>();
    const dangling = new Map<string, Connection>();
    const endpointOf = (el: Node): Endpoint => {
      const vm = [...el.ancestors()].find((a) => a.tag === 'vm');
      const names = vm ? vm.findAll('name').filter((n) => n.text !== null) : [];
      if (!names.length) throw new Error('no VM name');
      const vmName = names[names.length - 1]!.text!;
      if (el.tag.includes('legacy')) {
        const b = el.find('base');
        if (!b || b.text === null) throw new Error('no base');
        const base = b.text;
        const port = base.endsWith('COM1_BASE') ? '0x3F8' : base.endsWith('COM2_BASE') ? '0x2F8' : base.endsWith('COM3_BASE') ? '0x3E8' : base.endsWith('COM4_BASE') ? '0x2E8' : b.text;
        return { vmName, ioPort: port, pciBdf: null };
      }
      const dev = this.vuartNextDev.get(vmName) ?? 16;
      this.vuartNextDev.set(vmName, dev + 1);
      return { vmName, ioPort: null, pciBdf: `00:${hex2(dev)}.0` };
    };
    const addEndpoint = (el: Node): boolean => {
      try {
        const vm = [...el.ancestors()].find((a) => a.tag === 'vm');
        const vmId = vm?.get('id');
        const id = el.get('id');
        if (vmId === undefined || id === undefined) throw new Error('no id');
        const key = JSON.stringify([vmId, id]);
        const c = dangling.get(key);
        if (c) {
          dangling.delete(key);
          c.endpoints.push(endpointOf(el));
          sources.get(c)!.push(el);
          conns.push(c);
        } else {
          const conn: Connection = { name: `vUART connection ${this.vuartNextId++}`, ty: el.tag.includes('legacy') ? 'legacy' : 'pci', endpoints: [] };
          sources.set(conn, [el]);
          conn.endpoints.push(endpointOf(el));
          const tv = el.findAll('target_vm_id').filter((n) => n.text !== null);
          const tu = el.findAll('target_uart_id').filter((n) => n.text !== null);
          if (!tv.length || !tu.length) throw new Error('no target');
          dangling.set(JSON.stringify([tv[tv.length - 1]!.text, tu[tu.length - 1]!.text]), conn);
        }
        return true;
      } catch {
        return false;
      }
    };
    const endpoints = select(this.old, "//legacy_vuart[@id != '0' and base != 'INVALID_COM_BASE'] | //communication_vuart[base != 'INVALID_PCI_BASE']");
    for (const ep of endpoints) {
      if (addEndpoint(ep)) for (const c of ep.iter()) this.discard(c);
      else this.notes.push({ node: ep, text: 'this vUART endpoint is incomplete (no VM name, base or target): it is not carried over' });
    }
    for (const conn of select(this.old, '//vuart_connection')) {
      const c: Connection = { name: conn.find('name')?.text ?? `vUART connection ${this.vuartNextId++}`, ty: conn.find('type')?.text ?? 'legacy', endpoints: [] };
      for (const ep of conn.findAll('endpoint')) c.endpoints.push({ vmName: ep.find('vm_name')?.text ?? '', ioPort: ep.find('io_port')?.text ?? null, pciBdf: ep.find('vbdf')?.text ?? null });
      conns.push(c);
      for (const n of conn.iter()) this.discard(n);
    }
    const top = new Node(xsd.name);
    for (const c of conns) {
      const n = top.sub('vuart_connection');
      n.sub('name', c.name);
      n.sub('type', c.ty);
      for (const e of c.endpoints) {
        const en = n.sub('endpoint');
        en.sub('vm_name', e.vmName);
        if (e.ioPort) en.sub('io_port', e.ioPort);
        if (e.pciBdf) en.sub('vbdf', e.pciBdf);
      }
    }
    out.push(top);
    for (const c of dangling.values()) for (const ep of sources.get(c) ?? []) this.change(ep, undefined, 'not carried over: no endpoint in the target VM points back at this vUART endpoint (ACRN\'s upgrader drops it without a warning)');
    for (const c of conns) for (const ep of sources.get(c) ?? []) this.change(ep, top.children[conns.indexOf(c)], 'v2 vUART endpoint pairs become v3 vuart_connection elements');
    for (const n of select(this.old, "//legacy_vuart[@id != '0' and base = 'INVALID_COM_BASE'] | //communication_vuart[base = 'INVALID_PCI_BASE']")) for (const c of n.iter()) this.discard(c);
    return false;
  }

  ivshmem(_xsd: XsdElement, _parent: Node, out: Node[]): boolean {
    const regions = new Map<string, Region>();
    const next = (vm: string): string => {
      const d = this.shmNextDev.get(vm) ?? 8;
      this.shmNextDev.set(vm, d + 1);
      return `00:${hex2(d)}.0`;
    };
    const split = (text: string): string[] => text.slice(text.indexOf('/') + 1).split(',').map((p) => p.trim());
    const add = (node: Node): void => {
      if (node.children.length === 0) {
        if (node.tag === 'IVSHMEM_REGION' && node.text !== null) {
          const text = node.text;
          const parts = split(text);
          const r: Region = { providedBy: text.startsWith('dm:/') ? 'Device Model' : 'Hypervisor', name: parts[0]!, size: parts[1]!, sharedVms: [] };
          if (parts[2] === undefined) throw new Error(`upgrade: ACRN's upgrader cannot read the IVSHMEM region '${text}'`);
          for (const id of parts[2].split(':')) {
            const vmName = select(this.old, `//vm[@id='${id}']/name`)[0];
            if (!vmName) {
              this.notes.push({ node, text: `VM ${id}, which is referred by shared memory region ${r.name}, is not defined in the scenario.` });
              continue;
            }
            r.sharedVms.push([vmName.text ?? '', next(vmName.text ?? '')]);
          }
          regions.set(r.name, r);
          this.change(node, undefined, 'IVSHMEM regions are structured elements in v3 (IVSHMEM_REGION with NAME, PROVIDED_BY, IVSHMEM_SIZE, IVSHMEM_VMS)');
        } else if (node.tag === 'shm_region' && node.text) {
          const parts = split(node.text);
          const r: Region = { providedBy: 'Device Model', name: parts[0]!, size: parts[1]!, sharedVms: [] };
          const uvm = [...node.ancestors()].find((a) => a.tag === 'user_vm');
          const vmName = uvm?.findAll('vm_name').find((n) => n.text !== null)?.text;
          if (vmName !== undefined && vmName !== null) r.sharedVms.push([vmName, next(vmName)]);
          const had = regions.get(r.name);
          if (had) had.sharedVms.push(...r.sharedVms);
          else regions.set(r.name, r);
          this.change(node, undefined, 'a launch XML shm_region becomes a v3 IVSHMEM region provided by the Device Model');
        }
      } else {
        const name = node.get('name') ?? node.find('NAME')?.text ?? `shared_memory_region_${regions.size + 1}`;
        const r: Region = { providedBy: node.find('PROVIDED_BY')?.text ?? 'Hypervisor', name, size: node.find('IVSHMEM_SIZE')?.text ?? '', sharedVms: [] };
        for (const v of node.find('IVSHMEM_VMS')?.children ?? []) r.sharedVms.push([v.find('VM_NAME')?.text ?? '', v.find('VBDF')?.text ?? '']);
        regions.set(name, r);
      }
    };
    for (const r of select(this.old, '//IVSHMEM_REGION')) {
      add(r);
      for (const c of r.iter()) this.discard(c);
    }
    if (this.launch) {
      for (const r of select(this.launch, '//shm_region')) {
        add(r);
        for (const c of r.iter()) this.discard(c);
      }
    }
    const top = new Node('IVSHMEM');
    for (const r of regions.values()) {
      const n = top.sub('IVSHMEM_REGION');
      n.sub('NAME', r.name);
      n.sub('PROVIDED_BY', r.providedBy);
      n.sub('IVSHMEM_SIZE', r.size);
      const vms = n.sub('IVSHMEM_VMS');
      for (const [vm, bdf] of r.sharedVms) {
        const v = vms.sub('IVSHMEM_VM');
        v.sub('VM_NAME', vm);
        v.sub('VBDF', bdf);
      }
    }
    for (const c of this.changes) if (c.to === undefined && (c.from.tag === 'IVSHMEM_REGION' || c.from.tag === 'shm_region')) c.to = top;
    out.push(top);
    return false;
  }

  vmType(xsd: XsdElement, parent: Node, out: Node[]): boolean | undefined {
    const olds = this.fromOld(parent, './/vm_type');
    const old = olds[olds.length - 1];
    if (!old) return undefined;
    const rt = this.fromOld(parent, ".//guest_flag[text() = 'GUEST_FLAG_RT']");
    const rtos = this.fromLaunch(parent, './/rtos_type');
    const nn = new Node(xsd.name);
    const t = old.text ?? '';
    if (t === 'PRE_RT_VM' || t === 'POST_RT_VM' || rt.length || (rtos.length && (rtos[0]!.text === 'Soft RT' || rtos[0]!.text === 'Hard RT'))) nn.text = 'RTVM';
    else if (['SAFETY_VM', 'PRE_STD_VM', 'POST_STD_VM', 'SERVICE_VM', 'SOS_VM'].includes(t)) nn.text = 'STANDARD_VM';
    else nn.text = old.text;
    out.push(nn);
    this.discard(old);
    this.change(old, nn, 'v3 VM types are STANDARD_VM or RTVM; the v3 load_order says pre-launched, Service VM or post-launched');
    for (const n of rt) {
      this.discard(n);
      this.change(n, nn, 'GUEST_FLAG_RT makes the v3 vm_type RTVM');
    }
    for (const n of rtos) {
      this.discard(n);
      this.change(n, nn, 'the launch XML rtos_type makes the v3 vm_type RTVM');
    }
    return false;
  }

  pcpu(xsd: XsdElement, parent: Node, out: Node[]): boolean {
    const vmType = parent.parent?.tag === 'vm' ? parent.parent.find('vm_type')?.text ?? null : null;
    let pcpus = this.fromLaunch(parent, "cpu_affinity/pcpu_id[text() != '']");
    if (!pcpus.length) pcpus = this.fromOld(parent, "cpu_affinity/pcpu_id[text() != '']");
    if (pcpus.length) {
      for (const n of pcpus) {
        const nn = new Node(xsd.name);
        nn.sub('pcpu_id', n.text);
        if (vmType === 'RTVM') nn.sub('real_time_vcpu', 'y');
        out.push(nn);
        this.discard(n);
        this.change(n, nn.children[0], 'v3 lists each pCPU as cpu_affinity/pcpu/pcpu_id');
      }
    } else {
      for (const n of this.fromOld(parent, 'cpu_affinity/pcpu')) {
        out.push(n);
        for (const c of n.iter()) this.discard(c);
      }
    }
    return false;
  }

  osType(xsd: XsdElement, parent: Node, out: Node[]): boolean {
    const olds = this.fromLaunch(parent, './/user_vm_type');
    if (olds.length) {
      const nn = new Node(xsd.name);
      nn.text = olds[0]!.text === 'WINDOWS' ? 'Windows OS' : 'Non-Windows OS';
      out.push(nn);
      for (const n of olds) {
        this.discard(n);
        this.change(n, nn, 'the launch XML user_vm_type becomes the v3 os_type');
      }
    } else this.sameTag(xsd, parent, out);
    return false;
  }

  guestFlag(flag: string, xsd: XsdElement, parent: Node, out: Node[]): boolean {
    const olds = this.fromOld(parent, `.//guest_flag[text() = '${flag}']`);
    if (olds.length) {
      const nn = new Node(xsd.name);
      nn.text = 'y';
      out.push(nn);
      for (const n of olds) {
        this.discard(n);
        this.change(n, nn, `the v2 guest flag ${flag} is the v3 option ${xsd.name}`);
      }
    } else this.sameTag(xsd, parent, out);
    return false;
  }

  lapicPassthrough(xsd: XsdElement, parent: Node, out: Node[]): boolean {
    const rtos = this.fromLaunch(parent, './/rtos_type');
    if (rtos.length && rtos[0]!.text === 'Hard RT') {
      const nn = new Node(xsd.name);
      nn.text = 'y';
      out.push(nn);
      this.change(rtos[0]!, nn, 'a Hard RT user VM (launch XML rtos_type) gets lapic_passthrough in v3');
    } else this.guestFlag('GUEST_FLAG_LAPIC_PASSTHROUGH', xsd, parent, out);
    return false;
  }

  enablement(xpath: string, xsd: XsdElement, parent: Node, out: Node[], enabled = ['Enable'], disabled = ['Disable']): boolean {
    const ret = this.byXpath(xpath, xsd, parent, out, 'v3 uses y/n where v2 had Enable/Disable or the inverted option');
    for (const n of out) {
      if (n.text !== null && enabled.includes(n.text)) n.text = 'y';
      else if (n.text !== null && disabled.includes(n.text)) n.text = 'n';
    }
    return ret;
  }

  hierarchy(xsd: XsdElement, parent: Node, out: Node[]): undefined {
    for (const n of this.fromOld(parent, `//${xsd.name}`)) {
      out.push(n);
      for (const c of n.iter()) this.discard(c);
    }
    return undefined;
  }

  eitherXml(scenario: string, launch: string, xsd: XsdElement, parent: Node, out: Node[]): boolean {
    let ret = this.byXpath(launch, xsd, parent, out, 'taken from the launch XML', false, true);
    if (!out.length) ret = this.byXpath(scenario, xsd, parent, out, 'moved', true);
    else this.byXpath(scenario, xsd, parent, [], 'the launch XML\'s value is used instead', true);
    return ret;
  }

  bothXmls(scenario: string, launch: string, xsd: XsdElement, parent: Node, out: Node[]): boolean {
    const a = this.byXpath(scenario, xsd, parent, out, 'moved', true);
    const b = this.byXpath(launch, xsd, parent, out, 'a launch XML passthrough device becomes a v3 pci_dev', false, true);
    return a || b;
  }

  createIf(scenario: string, launch: string, xsd: XsdElement, parent: Node, out: Node[]): boolean {
    if (this.fromOld(parent, scenario).length || this.fromLaunch(parent, launch).length) {
      out.push(new Node(xsd.name));
      return true;
    }
    return false;
  }

  rename(oldX: string, newX: string, xsd: XsdElement, parent: Node, out: Node[]): boolean {
    let ret = this.byXpath(oldX, xsd, parent, out, `v3 renames ${oldX.split('/').pop()} to ${xsd.name}`);
    if (!out.length) ret = this.byXpath(newX, xsd, parent, out, 'moved');
    return ret;
  }
}

/** `.//tag = 'value'`, the only form of xs:alternative test in ACRN's schemas. */
function evalTest(xml: Node, test: string): boolean {
  const m = /^\s*\.\/\/([\w-]+)\s*=\s*'([^']*)'\s*$/.exec(test);
  if (!m) throw new Error(`upgrade: unsupported xs:alternative test ${test}`);
  for (const n of xml.descendants()) if (n.tag === m[1] && n.stringValue() === m[2]) return true;
  return false;
}

class VirtioDevices {
  gpu: (string | null)[][] = [];
  blocks: (string | null)[] = [];
  inputs: [string | null, string | null][] = [];
  networks: [string | null, string | null][] = [];
  consoles: [string | null, string | null, string | null][] = [];

  add(node: Node): void {
    const t = (n: Node, tag: string): string | null => n.find(tag)?.text ?? null;
    const nets = node.findAll('network');
    if (!nets.length) throw new Error('upgrade: ACRN\'s upgrader fails on virtio_devices without a network element');
    if (nets[0]!.text !== null) for (const n of nets) this.networks.push([null, n.text]);
    else for (const n of nets) this.networks.push([t(n, 'virtio_framework'), t(n, 'interface_name')]);
    const inputs = node.findAll('input');
    if (inputs.length) {
      if (inputs[0]!.text !== null) for (const n of inputs) this.inputs.push([null, n.text]);
      else for (const n of inputs) this.inputs.push([t(n, 'backend_device_file'), t(n, 'id')]);
    }
    for (const c of node.findAll('console')) {
      if (c.text !== null) {
        const text = c.text;
        const use = text.startsWith('@') ? 'Virtio console' : 'Virtio serial port';
        const backend = text.split(':')[0]!.replaceAll('@', '');
        const file = text.includes('=') ? text.split('=')[1]!.split(':')[0]! : null;
        this.consoles.push([use, backend, file]);
      } else this.consoles.push([t(c, 'use_type'), t(c, 'backend_type'), t(c, 'file_path')]);
    }
    for (const b of node.findAll('block')) this.blocks.push(b.text);
    for (const g of node.findAll('gpu')) {
      if (g.text !== null) {
        const m = /^geometry=([0-9]+x[0-9]+)\+([0-9]+)\+([0-9]+)/.exec(g.text);
        if (m) this.gpu.push(['Window', m[1]!, m[2]!, m[3]!]);
        else {
          const p = g.text.split(':');
          if (p.length < 2) throw new Error(`upgrade: ACRN's upgrader cannot read the virtio GPU '${g.text}'`);
          this.gpu.push(['Full screen', p[1]!]);
        }
      } else {
        const dt = g.find('display_type')?.text ?? null;
        for (const d of g.find('displays')?.findAll('display') ?? []) {
          if (dt === 'Window') this.gpu.push([dt, t(d, 'window_resolutions'), t(d, 'horizontal_offset'), t(d, 'vertical_offset')]);
          else if (dt === 'Full screen') this.gpu.push([dt, t(d, 'monitor_id')]);
        }
      }
    }
  }

  format(): Node {
    const node = new Node('virtio_devices');
    for (const [use, backend, file] of this.consoles) {
      const c = node.sub('console');
      if (use !== null) c.sub('use_type', use);
      if (backend !== null) c.sub('backend_type', backend);
      if (backend === 'socket') c.sub('sock_file_path', file);
      if (backend === 'tty') c.sub('tty_device_path', file);
      if (backend === 'file') c.sub('output_file_path', file);
    }
    for (const [fw, name] of this.networks) {
      const n = node.sub('network');
      if (fw !== null) n.sub('virtio_framework', fw);
      if (name !== null) n.sub('interface_name', name);
    }
    for (const [file, id] of this.inputs) {
      const n = node.sub('input');
      if (file !== null) n.sub('backend_device_file', file);
      if (id !== null) n.sub('id', id);
    }
    for (const b of this.blocks) node.sub('block', b);
    const g = node.sub('gpu');
    if (this.gpu.length) {
      g.sub('display_type', this.gpu[0]![0]!);
      const ds = g.sub('displays');
      for (const d of this.gpu) {
        if (d[0] === 'Window') {
          const x = ds.sub('display');
          x.sub('window_resolutions', d[1] ?? null);
          x.sub('horizontal_offset', d[2] ?? null);
          x.sub('vertical_offset', d[3] ?? null);
        } else if (d[0] === 'Full screen') ds.sub('display').sub('monitor_id', d[1] ?? null);
      }
    }
    return node;
  }
}

const flag = (f: string): Mover => (u, x, p, o) => u.guestFlag(f, x, p, o);
const enable = (xpath: string, en?: string[], dis?: string[]): Mover => (u, x, p, o) => u.enablement(xpath, x, p, o, en, dis);
const byXpath = (xpath: string): Mover => (u, x, p, o) => u.byXpath(xpath, x, p, o, 'moved');
const either = (s: string, l: string): Mover => (u, x, p, o) => u.eitherXml(s, l, x, p, o);

/** upgrader.py's data_movers, by `parent/tag`, then `tag`, then 'default'. */
const MOVERS: Record<string, Mover> = {
  'vm/name': either('name', 'vm_name'),
  pcpu: (u, x, p, o) => u.pcpu(x, p, o),
  pcpu_id: either("cpu_affinity/pcpu_id[text() != '']", "cpu_affinity/pcpu_id[text() != '']"),
  pci_dev: (u, x, p, o) => u.bothXmls('.//pci_devs/pci_dev[text()]', 'passthrough_devices/*[text()] | sriov/*[text()]', x, p, o),
  PTM: either('.//PTM', 'enable_ptm'),
  'os_config/name': byXpath('.//os_config/name'),
  'epc_section/base': byXpath('.//epc_section/base'),
  'console_vuart/base': byXpath('.//console_vuart/base'),
  'epc_section/size': byXpath('.//epc_section/size'),
  'memory/size': byXpath('.//memory/size'),
  lapic_passthrough: (u, x, p, o) => u.lapicPassthrough(x, p, o),
  io_completion_polling: flag('GUEST_FLAG_IO_COMPLETION_POLLING'),
  nested_virtualization_support: flag('GUEST_FLAG_NVMX_ENABLED'),
  virtual_cat_support: flag('GUEST_FLAG_VCAT_ENABLED'),
  secure_world_support: flag('GUEST_FLAG_SECURITY_VM'),
  hide_mtrr_support: flag('GUEST_FLAG_HIDE_MTRR'),
  security_vm: flag('GUEST_FLAG_SECURITY_VM'),
  vuart0: enable('.//vuart0'),
  vbootloader: enable('.//vbootloader', ['ovmf', 'Enable'], ['no', 'Disable']),
  MCE_ON_PSC_ENABLED: enable('.//MCE_ON_PSC_DISABLED', ['n'], ['y']),
  SPLIT_LOCK_DETECTION_ENABLED: enable('.//ENFORCE_TURNOFF_AC', ['n'], ['y']),
  UC_LOCK_DETECTION_ENABLED: enable('.//ENFORCE_TURNOFF_GP', ['n'], ['y']),
  pci_devs: (u, x, p, o) => u.createIf('.//pci_devs', ".//passthrough_devices/*[text() != ''] | .//sriov/*[text() != '']", x, p, o),
  BUILD_TYPE: (u, x, p, o) => u.buildType(x, p, o),
  RELOC_ENABLED: (u, x, p, o) => u.rename('FEATURES/RELOC', 'FEATURES/RELOC_ENABLED', x, p, o),
  MULTIBOOT2_ENABLED: (u, x, p, o) => u.rename('FEATURES/MULTIBOOT2', 'FEATURES/MULTIBOOT2_ENABLED', x, p, o),
  console_vuart: (u, x, p, o) => u.consoleVuart(x, p, o),
  vuart_connections: (u, x, p, o) => u.vuartConnections(x, p, o),
  IVSHMEM: (u, x, p, o) => u.ivshmem(x, p, o),
  vm_type: (u, x, p, o) => u.vmType(x, p, o),
  os_type: (u, x, p, o) => u.osType(x, p, o),
  virtio_devices: (u, x, p, o) => u.virtioDevices(x, p, o),
  memory: (u, x, p, o) => u.memory(x, p, o),
  CACHE_REGION: (u, x, p, o) => u.hierarchy(x, p, o),
  default: (u, x, p, o) => u.sameTag(x, p, o),
};

const simplify = (p: string): string => p.replace(/\[[^\]]*\]/g, '');

/**
 * A change that is no change for the user: the same element name and value, moved by the default
 * mover or landing at the same path (VM indices aside).
 */
function unchanged(c: Change): boolean {
  if (!c.to || c.to.tag !== c.from.tag || (c.to.text ?? '').trim() !== c.fromValue.trim()) return false;
  const below = (p: string): string => simplify(p).split('/').slice(1).join('/');
  return c.reason === 'moved' || below(c.fromPath) === below(c.to.elementPath());
}

export function upgradeScenario(v2Text: string, options: UpgradeOptions): UpgradeResult {
  const schema = typeof options.v3Tree === 'string' ? loadUpgradeSchema(options.v3Tree) : options.v3Tree;
  const old = parseTree(v2Text, 'scenario');
  const launch = options.launchText !== undefined ? parseTree(options.launchText, 'launch') : undefined;
  const u = new Upgrader(schema, old, launch);
  const root = u.run();
  const idx: Record<SourceFile, LineIndex> = { scenario: new LineIndex(v2Text), launch: new LineIndex(options.launchText ?? '') };
  const where = (n: Node): { file: SourceFile; line: number; column: number } => {
    const at = n.at ?? { file: 'scenario' as const, offset: 0 };
    const p = idx[at.file].positionAt(at.offset);
    return { file: at.file, line: p.line + 1, column: p.character + 1 };
  };
  const items: UpgradeItem[] = [];
  // Dropped data, in upgrader.py's order (sorted by path, then value).
  const dropped = [...u.oldData].map((n) => ({ n, path: n.elementPath(), data: n.text ?? '' }));
  dropped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.data < b.data ? -1 : a.data > b.data ? 1 : 0));
  for (const d of dropped) {
    const simp = simplify(d.path);
    const f = FILTERS.find(([p, data]) => simp.endsWith(p) && (data === null || data === d.data));
    if (f && f[2] === null) continue; // ACRN drops these silently: placeholders with nothing to carry
    items.push({ kind: 'dropped', severity: f ? 'info' : 'warning', ...where(d.n), v2Path: d.path, v2Value: d.data, reason: f ? f[2]! : 'discarded: the v3 schema has no place for it' });
  }
  for (const c of u.changes) {
    if (unchanged(c)) continue;
    items.push({ kind: 'changed', severity: c.to ? 'info' : 'warning', ...where(c.from), v2Path: c.fromPath, v2Value: c.fromValue, ...(c.to ? { v3Path: c.to.elementPath(), v3Value: c.to.children.length ? '' : c.to.text ?? '' } : {}), reason: c.reason });
  }
  for (const nt of u.notes) items.push({ kind: 'note', severity: 'warning', ...where(nt.node), v2Path: nt.node.elementPath(), v2Value: nt.node.text ?? '', reason: nt.text });
  nvmxNotes(old, root, items, where);
  if (u.launchIgnored) items.push({ kind: 'note', severity: 'warning', file: 'launch', line: 1, column: 1, v2Path: '.', v2Value: '', reason: 'the launch XML is not used: the scenario has no VM with vm_type or load_order SERVICE_VM, which ACRN\'s upgrader needs to match user_vm ids to VMs (as upgrader.py does)' });
  items.sort((a, b) => (a.file === b.file ? a.line - b.line || a.column - b.column : a.file === 'scenario' ? -1 : 1));
  return { text: serialize(root), items, launchIgnored: u.launchIgnored };
}

/**
 * Nested virtualization across the upgrade. ACRN's upgrader carries GUEST_FLAG_NVMX_ENABLED and
 * GUEST_FLAG_LAPIC_PASSTHROUGH of the Service VM to nested_virtualization_support and
 * lapic_passthrough, and drops hv/FEATURES/NVMX_ENABLED (v3 derives it). The report says so, and
 * warns where v2 asked for NVMX in a way v3 cannot keep.
 */
function nvmxNotes(old: Node, root: Node, items: UpgradeItem[], where: (n: Node) => { file: SourceFile; line: number; column: number }): void {
  const hvFlag = select(old, '//hv/FEATURES/NVMX_ENABLED')[0];
  const flagged = select(old, '//vm').filter((v) => select(v, ".//guest_flag[text() = 'GUEST_FLAG_NVMX_ENABLED']").length > 0);
  if (!flagged.length && hvFlag?.text?.trim() !== 'y') return;
  const svc = root.findAll('vm').find((v) => v.find('load_order')?.text === 'SERVICE_VM');
  const on = svc?.find('nested_virtualization_support')?.text === 'y';
  if (hvFlag?.text?.trim() === 'y' && !flagged.length) {
    items.push({ kind: 'note', severity: 'warning', ...where(hvFlag), v2Path: hvFlag.elementPath(), v2Value: 'y', reason: 'NVMX_ENABLED=y but no VM has GUEST_FLAG_NVMX_ENABLED: nested virtualization is off in the v3 scenario (v3 enables it per VM: run `acrn-nest nvmx enable`)' });
  }
  for (const vm of flagged) {
    const f = select(vm, ".//guest_flag[text() = 'GUEST_FLAG_NVMX_ENABLED']")[0]!;
    const isSvc = svc !== undefined && vm.get('id') === svc.get('id');
    if (isSvc && on) items.push({ kind: 'note', severity: 'info', ...where(f), v2Path: f.elementPath(), v2Value: f.text ?? '', v3Path: `${svc.elementPath()}/nested_virtualization_support`, v3Value: 'y', reason: 'nested virtualization carried over: the Service VM keeps nested_virtualization_support=y (and lapic_passthrough where v2 had GUEST_FLAG_LAPIC_PASSTHROUGH), as ACRN\'s upgrader does' });
    else if (!isSvc) items.push({ kind: 'note', severity: 'warning', ...where(f), v2Path: f.elementPath(), v2Value: f.text ?? '', reason: 'GUEST_FLAG_NVMX_ENABLED on a VM that is not the Service VM: v3 has nested virtualization only for the Service VM, so it is dropped' });
  }
}
