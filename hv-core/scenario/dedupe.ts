/**
 * One mistake, one diagnostic (docs/analysis.md): after every checker ran, findings that say the
 * same thing are merged and findings that only follow from another one are dropped.
 *
 * 1. Same fact, two engines: where ACRN's own schema, assert or datacheck and an `nvmx/*` rule
 *    report the same mistake (SAME below), ours stays (it cites the recipe and carries the fix)
 *    and ACRN's finding becomes related information on it (`ACRN <code>: <message>`).
 * 2. A rule's premise declared invalid: an `nvmx/*` finding on an element the schema layer already
 *    reports as wrong (bad value, not allowed there) is dropped: the schema finding names the
 *    mistake and offers its own fix; the rule would only repeat it with a weaker reason.
 */
import type { Finding } from '../findings.js';
import type { XmlDocument, XmlElement } from '../xml/model.js';
import { nodeAt } from '../xml/xpath.js';

interface Same {
  ours: string;
  /** Does this ACRN finding say what `ours` says? */
  acrn: (a: Finding) => boolean;
  /** `element`: on the same element (or one inside the other); `document`: anywhere. */
  where: 'element' | 'document';
}

/** Pairs of findings that report one fact (ACRN's wording in the pattern). */
export const SAME: Same[] = [
  // v3 slicer: nested_virtualization_support is not applicable to a pre-/post-launched VM.
  { ours: 'nvmx/nested-only-service-vm', acrn: (a) => a.source === 'schema' && /nested_virtualization_support/.test(a.message), where: 'element' },
  // v3 rdt_support.xsd: "The Service VM may not use LAPIC passthrough unless ... Nested Virtualization is enabled."
  { ours: 'nvmx/lapic-needs-nested', acrn: (a) => a.source === 'datacheck' && /LAPIC passthrough unless/i.test(a.message), where: 'element' },
  // v2 config.xsd: "Per VM GUEST_FLAG_NVMX_ENABLED can be set only if CONFIG_NVMX_ENABLED is set."
  { ours: 'nvmx/flag-needs-nvmx-enabled', acrn: (a) => a.source === 'assert' && /GUEST_FLAG_NVMX_ENABLED can be set only if/.test(a.message), where: 'document' },
  // v2 VMtypes.xsd: "If the GUEST_FLAG_NVMX_ENABLED is set, GUEST_FLAG_LAPIC_PASSTHROUGH must be set as well."
  { ours: 'nvmx/flag-needs-lapic-passthrough', acrn: (a) => a.source === 'assert' && /GUEST_FLAG_NVMX_ENABLED is set, GUEST_FLAG_LAPIC_PASSTHROUGH/.test(a.message), where: 'element' },
  // The flag on another VM: the VM's own asserts on it, and the feature assert, follow from it.
  { ours: 'nvmx/flag-not-service-vm', acrn: (a) => a.source === 'assert' && /GUEST_FLAG_NVMX_ENABLED is set, GUEST_FLAG_LAPIC_PASSTHROUGH/.test(a.message), where: 'element' },
  { ours: 'nvmx/flag-not-service-vm', acrn: (a) => a.source === 'assert' && /GUEST_FLAG_NVMX_ENABLED can be set only if/.test(a.message), where: 'document' },
  // v2 config.xsd FEATURES: not (NVMX_ENABLED = 'y' and not (SCHEDULER = 'SCHED_NOOP'))
  { ours: 'nvmx/sched-noop', acrn: (a) => a.source === 'assert' && /NVMX_ENABLED.*SCHED_NOOP/.test(a.message), where: 'document' },
  // v3 cpu_assignment.xsd: an RTVM's / own_pcpu VM's pCPU shared with another VM.
  { ours: 'nvmx/pcpu-shared', acrn: (a) => a.source === 'datacheck' && /may not be shared|exclusively owns/.test(a.message), where: 'element' },
];

const ACRN_SOURCES = new Set(['schema', 'assert', 'datacheck']);

function elementAt(doc: XmlDocument, offset: number): XmlElement | undefined {
  return nodeAt(doc, offset).element;
}

function contains(outer: XmlElement, inner: XmlElement): boolean {
  return outer.start <= inner.start && inner.end <= outer.end;
}

/** Same element, or one inside the other (ACRN reports content-model errors on the parent). */
function related(doc: XmlDocument, a: { start: number }, b: { start: number }): boolean {
  const x = elementAt(doc, a.start);
  const y = elementAt(doc, b.start);
  return !!x && !!y && (contains(x, y) || contains(y, x));
}

export function dedupeFindings(doc: XmlDocument, findings: Finding[]): Finding[] {
  const dropped = new Set<Finding>();
  const ours = findings.filter((f) => f.source === 'nvmx');
  if (!ours.length) return findings;
  const acrn = findings.filter((f) => ACRN_SOURCES.has(f.source));
  const absorbing = new Set<Finding>();
  for (const same of SAME) {
    for (const o of ours) {
      if (o.code !== same.ours) continue;
      for (const a of acrn) {
        if (dropped.has(a) || !same.acrn(a)) continue;
        const spots = [o, ...(o.related ?? [])];
        if (same.where === 'element' && !spots.some((s) => related(doc, s, a))) continue;
        dropped.add(a);
        absorbing.add(o);
        o.related = [...(o.related ?? []), { start: a.start, end: a.end, message: `ACRN ${a.code}: ${a.message}` }];
      }
    }
  }
  // Premise invalid: the schema layer already reports the element this rule stands on.
  const schemaErrors = acrn.filter((a) => a.source === 'schema' && a.severity === 'error' && !dropped.has(a));
  if (schemaErrors.length) {
    const bad = new Set(schemaErrors.map((a) => elementAt(doc, a.start)).filter((e): e is XmlElement => !!e));
    for (const o of ours) {
      if (absorbing.has(o)) continue;
      const el = elementAt(doc, o.start);
      if (el && bad.has(el)) dropped.add(o);
    }
  }
  return dropped.size ? findings.filter((f) => !dropped.has(f)) : findings;
}
