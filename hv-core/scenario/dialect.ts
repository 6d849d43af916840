/**
 * Which kind of ACRN file a document is. Scenario files carry no version marker, so the dialect is
 * read from content (see README "Dialects"):
 *  - v3.x: load_order, hv/BUILD_TYPE, hv/vuart_connections, FEATURES/RELOC_ENABLED;
 *  - v2.x: guest_flags, legacy_vuart, DEBUG_OPTIONS/RELEASE, FEATURES/RELOC;
 *  - v2.7 vs older: SERVICE_VM vs SOS_VM (and v2.7-only names);
 *  - v2.6 vs v2.5: elements v2.6 introduced (ENFORCE_TURNOFF_GP, SECURITY_VM_FIXUP,
 *    MAX_EFI_MMAP_ENTRIES, GUEST_FLAG_SECURITY_VM).
 * Board files share the `acrn-config` root but hold BIOS_INFO, processors, … instead of hv/vm.
 * v2 launch files (uos_launcher / user_vm_launcher) are recognised and named, nothing more.
 */
import type { XmlDocument, XmlElement } from '../xml/model.js';
import { child, childrenNamed, elementChildren, path, valueOf } from '../xml/model.js';

export type AcrnVersion = '2.5' | '2.6' | '2.7' | '3.x';
export type AcrnFileKind = 'scenario' | 'board' | 'launch';

export interface Dialect {
  kind: AcrnFileKind;
  /** Scenario/launch version family; undefined for board files. */
  version: AcrnVersion | undefined;
  /** 'v2' for 2.5–2.7, 'v3' for 3.x. */
  family: 'v2' | 'v3' | undefined;
  /** What the status bar says: "ACRN v2.6 scenario", "ACRN v3.x scenario", "ACRN board". */
  label: string;
  /** Why: the element or value that decided (for hover and logs). */
  evidence: string;
}

const BOARD_CHILDREN = new Set(['BIOS_INFO', 'BASE_BOARD_INFO', 'PCI_DEVICE', 'PCI_VID_PID', 'WAKE_VECTOR_INFO', 'RESERVED_RAM', 'RTCT', 'IOMEM_INFO', 'BLOCK_DEVICE_INFO', 'TTYS_INFO', 'AVAILABLE_IRQ_INFO', 'TOTAL_MEM_INFO', 'CPU_PROCESSOR_INFO', 'MAX_MSIX_TABLE_NUM', 'CLOS_INFO', 'processors', 'caches', 'memory', 'devices', 'ioapics', 'S3_INFO', 'S5_INFO', 'DRHD_INFO', 'CPU_BRAND', 'SYSTEM_RAM_INFO', 'MMCFG_BASE_INFO', 'PM_INFO']);

const V26_FEATURES = ['ENFORCE_TURNOFF_GP', 'SECURITY_VM_FIXUP'];

/**
 * Quick check on raw text: is the root element `<acrn-config>`? Only a prolog (XML declaration,
 * comments, processing instructions, DOCTYPE, white space) may come before it, so binary files
 * and other XML are rejected without a parse. Cheap enough for every XML document.
 */
export function looksLikeAcrn(text: string): boolean {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = Math.min(text.length, 1 << 20);
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      i++;
      continue;
    }
    if (c !== 60 /* < */) return false;
    if (text.startsWith('<!--', i)) {
      const e = text.indexOf('-->', i + 4);
      if (e < 0) return false;
      i = e + 3;
    } else if (text.startsWith('<?', i)) {
      const e = text.indexOf('?>', i + 2);
      if (e < 0) return false;
      i = e + 2;
    } else if (text.startsWith('<!DOCTYPE', i)) {
      const e = doctypeEnd(text, i + 9);
      if (e < 0) return false;
      i = e;
    } else {
      return /^<acrn-config[\s>/]/.test(text.slice(i, i + 13)) || text.slice(i) === '<acrn-config';
    }
  }
  return false;
}

/**
 * Where a DOCTYPE ends (after its '>'), or -1: an internal subset `[...]` may hold '>' in
 * declarations, quoted literals and comments, so the first '>' is not the end.
 */
function doctypeEnd(text: string, i: number): number {
  let depth = 0;
  let quote = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (quote) {
      if (c === quote) quote = 0;
    } else if (c === 34 || c === 39) quote = c;
    else if (c === 91 /* [ */) depth++;
    else if (c === 93 /* ] */) depth--;
    else if (depth > 0 && text.startsWith('<!--', i)) {
      const e = text.indexOf('-->', i + 4);
      if (e < 0) return -1;
      i = e + 3;
      continue;
    } else if (c === 62 /* > */ && depth <= 0) return i + 1;
    i++;
  }
  return -1;
}

export function detectDialect(doc: XmlDocument): Dialect | undefined {
  const root = doc.root;
  if (!root || root.name !== 'acrn-config') return undefined;
  const kids = elementChildren(root);
  const names = new Set(kids.map((k) => k.name));

  if (root.attributes.some((a) => a.name === 'uos_launcher' || a.name === 'user_vm_launcher') || names.has('uos') || names.has('user_vm')) {
    const v27 = root.attributes.some((a) => a.name === 'user_vm_launcher') || names.has('user_vm');
    return v27
      ? { kind: 'launch', version: '2.7', family: 'v2', label: 'ACRN v2.7 launch config', evidence: 'user_vm_launcher' }
      : { kind: 'launch', version: undefined, family: 'v2', label: 'ACRN v2.5/v2.6 launch config', evidence: 'uos_launcher' };
  }

  if (!names.has('hv') && !names.has('vm') && kids.some((k) => BOARD_CHILDREN.has(k.name))) {
    return { kind: 'board', version: undefined, family: undefined, label: 'ACRN board', evidence: kids.find((k) => BOARD_CHILDREN.has(k.name))!.name };
  }

  const hv = child(root, 'hv');
  const vms = childrenNamed(root, 'vm');
  const features = child(hv, 'FEATURES');

  // v3 markers.
  const v3Marker =
    (vms.some((vm) => child(vm, 'load_order')) && 'vm/load_order') ||
    (child(hv, 'BUILD_TYPE') && 'hv/BUILD_TYPE') ||
    (child(hv, 'vuart_connections') && 'hv/vuart_connections') ||
    (child(features, 'RELOC_ENABLED') && 'FEATURES/RELOC_ENABLED') ||
    (vms.some((vm) => child(vm, 'nested_virtualization_support') || child(vm, 'lapic_passthrough')) && 'vm/nested_virtualization_support');
  if (v3Marker) return scenario('3.x', v3Marker);

  // v2 markers.
  const v2Marker =
    (vms.some((vm) => child(vm, 'guest_flags')) && 'vm/guest_flags') ||
    (vms.some((vm) => child(vm, 'legacy_vuart')) && 'vm/legacy_vuart') ||
    (path(hv, 'DEBUG_OPTIONS', 'RELEASE') && 'DEBUG_OPTIONS/RELEASE') ||
    (child(features, 'RELOC') && 'FEATURES/RELOC') ||
    (vms.some((vm) => /^(SOS_VM|SERVICE_VM|POST_STD_VM|PRE_STD_VM|POST_RT_VM|PRE_RT_VM|SAFETY_VM|KATA_VM)$/.test(valueOf(child(vm, 'vm_type')))) && 'vm/vm_type');
  if (!v2Marker) {
    if (names.has('hv') || names.has('vm')) return scenario('3.x', 'no v2 element (v3 files may omit elements with defaults)');
    return undefined;
  }

  const types = vms.map((vm) => valueOf(child(vm, 'vm_type')));
  if (types.includes('SERVICE_VM')) return scenario('2.7', 'vm_type SERVICE_VM');
  if (path(hv, 'CAPACITIES', 'MAX_VM_NUM')) return scenario('2.7', 'hv/CAPACITIES/MAX_VM_NUM');
  if (vms.some((vm) => child(vm, 'priority'))) return scenario('2.7', 'vm/priority');
  if (types.includes('SOS_VM') || types.includes('KATA_VM')) {
    return scenario(isV26(root, vms) ? '2.6' : '2.5', v2Marker);
  }
  // No Service VM at all (logical partition): v2.7 renamed the vUART bases and added SCHED_PRIO.
  if (hasV27Names(root)) return scenario('2.7', 'v2.7 names (SERVICE_VM_COM / SCHED_PRIO / CONFIG_COM_BASE)');
  return scenario(isV26(root, vms) ? '2.6' : '2.5', v2Marker);
}

function isV26(root: XmlElement, vms: XmlElement[]): boolean {
  const features = path(root, 'hv', 'FEATURES');
  if (V26_FEATURES.some((f) => child(features, f))) return true;
  if (path(root, 'hv', 'CAPACITIES', 'MAX_EFI_MMAP_ENTRIES')) return true;
  for (const vm of vms) {
    if (childrenNamed(child(vm, 'guest_flags'), 'guest_flag').some((f) => valueOf(f) === 'GUEST_FLAG_SECURITY_VM')) return true;
  }
  return false;
}

function hasV27Names(root: XmlElement): boolean {
  const stack: XmlElement[] = [root];
  while (stack.length) {
    const el = stack.pop()!;
    if (el.children.length === 1 || el.children.length === 0) {
      const v = valueOf(el);
      if (/^SERVICE_VM_COM\d_(BASE|IRQ)$|^SCHED_PRIO$|^CONFIG_COM_(BASE|IRQ)$/.test(v)) return true;
    }
    for (const c of elementChildren(el)) stack.push(c);
  }
  return false;
}

function scenario(version: AcrnVersion, evidence: string): Dialect {
  const family = version === '3.x' ? 'v3' : 'v2';
  return { kind: 'scenario', version, family, label: `ACRN v${version} scenario`, evidence };
}
