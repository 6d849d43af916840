/**
 * Single-mistake generators for official scenarios (the held-out mutations of "one mistake, one
 * diagnostic"): each returns the mutated text and what it did, or nothing when the scenario has no
 * place for it. They are written from what users get wrong (misplaced elements, bad enumeration
 * values, removed required elements, nested virtualization half enabled), not from what the
 * checkers report, and every generator applies to the scenario as it is.
 */
import type { XmlDocument, XmlElement } from '../../hv-core/xml/model';
import { child, childrenNamed, valueOf, valueSpan } from '../../hv-core/xml/model';
import { parseXml } from '../../hv-core/xml/parser';
import { planEnable } from '../../hv-core/nvmx/engine';

export interface Mutation {
  kind: string;
  what: string;
  text: string;
  /** The text the mistake was made in (the scenario, or the scenario with the recipe done). */
  base?: string;
}

type Gen = (text: string, doc: XmlDocument, family: 'v2' | 'v3', board: XmlDocument | undefined) => Mutation[];

function setValue(text: string, el: XmlElement, v: string): string {
  const s = valueSpan(text, el);
  return text.slice(0, s.start) + v + text.slice(s.end);
}

/** Removes the element and the indentation/newline before it. */
function removeEl(text: string, el: XmlElement): string {
  let a = el.start;
  while (a > 0 && (text[a - 1] === ' ' || text[a - 1] === '\t')) a--;
  if (a > 0 && text[a - 1] === '\n') a--;
  return text.slice(0, a) + text.slice(el.end);
}

function insertBeforeEnd(text: string, el: XmlElement, snippet: string): string {
  return text.slice(0, el.endTagStart) + snippet + text.slice(el.endTagStart);
}

const vms = (doc: XmlDocument): XmlElement[] => childrenNamed(doc.root, 'vm');
const kindOf = (vm: XmlElement, family: 'v2' | 'v3'): string => valueOf(child(vm, family === 'v2' ? 'vm_type' : 'load_order'));
const isService = (vm: XmlElement, family: 'v2' | 'v3'): boolean => /^(SOS_VM|SERVICE_VM)$/.test(kindOf(vm, family));
const isPost = (vm: XmlElement, family: 'v2' | 'v3'): boolean => (family === 'v2' ? /^POST_|KATA/.test(kindOf(vm, family)) : kindOf(vm, family) === 'POST_LAUNCHED_VM');

/** A bad enumeration value: a typo of the value that is there. */
const badEnum: Gen = (text, doc, family) => {
  const out: Mutation[] = [];
  const hv = child(doc.root, 'hv');
  const sched = child(child(hv, 'FEATURES'), 'SCHEDULER');
  if (sched && valueOf(sched)) out.push({ kind: 'enum', what: `SCHEDULER ${valueOf(sched)} -> typo`, text: setValue(text, sched, `${valueOf(sched)}X`) });
  const vm = vms(doc).find((v) => isPost(v, family));
  const t = vm && child(vm, family === 'v2' ? 'vm_type' : 'vm_type');
  if (t && valueOf(t)) out.push({ kind: 'enum', what: `vm_type ${valueOf(t)} -> lower case`, text: setValue(text, t, valueOf(t).toLowerCase()) });
  const svm = vms(doc).find((v) => isService(v, family));
  const cv = family === 'v3' ? child(svm, 'console_vuart') : undefined;
  if (cv && valueOf(cv)) out.push({ kind: 'enum', what: 'console_vuart -> COM Port 9', text: setValue(text, cv, 'COM Port 9') });
  return out;
};

/** An element where the schema does not allow it. */
const misplaced: Gen = (text, doc, family) => {
  const out: Mutation[] = [];
  const post = vms(doc).find((v) => isPost(v, family));
  if (post && family === 'v3') out.push({ kind: 'misplaced', what: 'nested_virtualization_support=y on a post-launched VM', text: insertBeforeEnd(text, post, '  <nested_virtualization_support>y</nested_virtualization_support>\n  ') });
  if (post && family === 'v2') {
    const flag = childrenNamed(child(post, 'guest_flags'), 'guest_flag')[0];
    if (flag) out.push({ kind: 'misplaced', what: 'GUEST_FLAG_NVMX_ENABLED on a post-launched VM', text: setValue(text, flag, 'GUEST_FLAG_NVMX_ENABLED') });
  }
  const hv = child(doc.root, 'hv');
  const features = child(hv, 'FEATURES');
  const sched = child(features, 'SCHEDULER');
  if (sched && hv) {
    // SCHEDULER moved from FEATURES up into hv.
    const moved = removeEl(text, sched);
    const hv2 = child(parseXml(moved).root, 'hv')!;
    out.push({ kind: 'misplaced', what: 'SCHEDULER moved from FEATURES to hv', text: insertBeforeEnd(moved, hv2, `  ${text.slice(sched.start, sched.end)}\n  `) });
  }
  return out;
};

/** A required element removed. */
const removed: Gen = (text, doc, family) => {
  const out: Mutation[] = [];
  const post = vms(doc).find((v) => isPost(v, family));
  const name = child(post, 'name');
  if (name) out.push({ kind: 'removed', what: 'name of a post-launched VM', text: removeEl(text, name) });
  const svm = vms(doc).find((v) => isService(v, family));
  const t = child(svm, family === 'v2' ? 'vm_type' : 'load_order');
  if (t) out.push({ kind: 'removed', what: `${t.name} of the Service VM`, text: removeEl(text, t) });
  return out;
};

/**
 * Nested virtualization half enabled: the recipe done by the engine, then one of its steps undone;
 * and the one switch (nested on the Service VM) flipped alone.
 */
const halfNvmx: Gen = (text, doc, family, board) => {
  const out: Mutation[] = [];
  const svm = vms(doc).find((v) => isService(v, family));
  if (!svm) return out;
  // The one switch flipped alone.
  const n = family === 'v3' ? child(svm, 'nested_virtualization_support') : undefined;
  if (n && valueOf(n) === 'n') out.push({ kind: 'half-nvmx', what: 'nested_virtualization_support=y on the Service VM, nothing else', text: setValue(text, n, 'y') });
  let on: string;
  try {
    on = planEnable(text, { board, defaultChoice: 'remove' }).result;
  } catch {
    return out;
  }
  const d = parseXml(on);
  const s2 = vms(d).find((v) => isService(v, family))!;
  const sched = child(child(child(d.root, 'hv'), 'FEATURES'), 'SCHEDULER');
  if (sched) out.push({ kind: 'half-nvmx', what: 'recipe done, SCHEDULER back to SCHED_BVT', text: setValue(on, sched, 'SCHED_BVT') });
  if (family === 'v3') {
    const lapic = child(s2, 'lapic_passthrough');
    if (lapic) out.push({ kind: 'half-nvmx', what: 'recipe done, lapic_passthrough n', text: setValue(on, lapic, 'n') });
    const nested = child(s2, 'nested_virtualization_support');
    if (nested) out.push({ kind: 'half-nvmx', what: 'recipe done, nested_virtualization_support n (LAPIC passthrough kept)', text: setValue(on, nested, 'n') });
    const cv = child(s2, 'console_vuart');
    if (cv) out.push({ kind: 'half-nvmx', what: 'recipe done, console_vuart COM Port 1', text: setValue(on, cv, 'COM Port 1') });
  } else {
    const nv = child(child(child(d.root, 'hv'), 'FEATURES'), 'NVMX_ENABLED');
    if (nv) out.push({ kind: 'half-nvmx', what: 'recipe done, NVMX_ENABLED n', text: setValue(on, nv, 'n') });
    const lapicFlag = childrenNamed(child(s2, 'guest_flags'), 'guest_flag').find((g) => valueOf(g) === 'GUEST_FLAG_LAPIC_PASSTHROUGH');
    if (lapicFlag) out.push({ kind: 'half-nvmx', what: 'recipe done, GUEST_FLAG_LAPIC_PASSTHROUGH removed', text: removeEl(on, lapicFlag) });
    const base = child(childrenNamed(s2, 'legacy_vuart').find((l) => l.attributes.some((a) => a.name === 'id' && a.value === '0')), 'base');
    if (base) out.push({ kind: 'half-nvmx', what: 'recipe done, legacy_vuart 0 base SOS_COM1_BASE', text: setValue(on, base, 'SOS_COM1_BASE') });
  }
  for (const m of out) if (m.text.length && m.kind === 'half-nvmx' && !m.what.startsWith('nested_virtualization_support=y')) m.base = on;
  return out;
};

export const GENERATORS: Record<string, Gen> = { badEnum, misplaced, removed, halfNvmx };

export function mutations(text: string, family: 'v2' | 'v3', board: XmlDocument | undefined): Mutation[] {
  const doc = parseXml(text);
  return Object.values(GENERATORS).flatMap((g) => g(text, doc, family, board)).filter((m) => m.text !== text);
}
