/**
 * Markdown descriptions of schema declarations, shared by hover and completion: the element's
 * acrn:title, its xs:documentation (reStructuredText rendered to Markdown), its type, default,
 * allowed values, bounds and pattern, where it applies, and for the nested-virtualization
 * elements the recipe's restriction.
 */
import { rstInline, rstToMarkdown } from '../rst.js';
import type { DeclarationAt, ElementDecl, EnumValue, SchemaModel, SimpleType, TypeDef, VmKind } from './model.js';
import { enumerationOf, simpleFacets, simpleTypeOf, typeLabel } from './query.js';

/** Elements (and values) the nested-virtualization recipe is about. */
export const NESTED_ELEMENTS = new Set(['NVMX_ENABLED', 'nested_virtualization_support', 'lapic_passthrough']);
export const NESTED_VALUES = new Set(['GUEST_FLAG_NVMX_ENABLED']);

/** The recipe's restriction (nvmx_virtualization.rst, "Restrictions and Constraints"). */
export const NESTED_NOTE = 'Only KVM is supported as the L1 hypervisor, in 64-bit mode with EPT (recipe: Restrictions and Constraints).';

const MAX_VALUES_LISTED = 24;

function code(s: string): string {
  if (s === '') return '*(empty)*';
  return s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``;
}

/** Markdown of an xs:documentation string (reStructuredText). */
export function docMarkdown(doc: string | undefined): string {
  return doc ? rstToMarkdown(doc) : '';
}

/** One line per allowed value: `VALUE` — title: first sentence of its documentation. */
export function valuesMarkdown(values: EnumValue[], current?: string, def?: string): string {
  const shown = values.slice(0, MAX_VALUES_LISTED);
  const lines = shown.map((v) => {
    const bits: string[] = [];
    if (v.acrn?.title && v.acrn.title !== v.value) bits.push(rstInline(v.acrn.title));
    if (v.documentation) bits.push(rstInline(firstSentence(v.documentation)));
    const marks = [v.value === def ? 'default' : '', v.value === current ? 'current' : ''].filter(Boolean).join(', ');
    return `- ${code(v.value)}${marks ? ` *(${marks})*` : ''}${bits.length ? ` — ${bits.join(': ')}` : ''}`;
  });
  if (values.length > shown.length) lines.push(`- … ${values.length - shown.length} more`);
  return lines.join('\n');
}

function firstSentence(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  const m = /^(.+?[.!?])(\s|$)/.exec(one);
  return m ? m[1]! : one;
}

function vmKindsLabel(kinds: string[]): string {
  return kinds.map((k) => (k === 'service-vm' ? 'the Service VM' : `${k} VMs`)).join(', ');
}

/** "Type: `X` · Default: `y` · Occurs: 0..1" and the facts of a simple type. */
export function typeFacts(model: SchemaModel, decl: ElementDecl, type: TypeDef | undefined, vmKind: VmKind | undefined, current?: string): string[] {
  const out: string[] = [];
  const ref = decl.alternatives?.length && type ? (type.name ?? decl.type) : decl.type;
  const head: string[] = [`Type: ${code(typeLabel(ref ?? type))}`];
  if (decl.default !== undefined) head.push(`Default: ${code(decl.default)}`);
  if (decl.fixed !== undefined) head.push(`Fixed: ${code(decl.fixed)}`);
  const max = decl.maxOccurs === 'unbounded' ? '∞' : String(decl.maxOccurs);
  if (!(decl.minOccurs === 1 && decl.maxOccurs === 1)) head.push(`Occurs: ${decl.minOccurs}..${max}`);
  out.push(head.join(' · '));
  const st: SimpleType | undefined = type?.kind === 'simple' ? type : type ? simpleTypeOf(model, { type }) : undefined;
  if (st) {
    const values = enumerationOf(model, st, vmKind);
    if (values) {
      out.push(`Allowed values:\n\n${valuesMarkdown(values, current, decl.default)}`);
    } else {
      const f = simpleFacets(model, st, vmKind);
      const facts: string[] = [];
      const lo = f.minInclusive ?? (f.minExclusive !== undefined ? `> ${f.minExclusive}` : undefined);
      const hi = f.maxInclusive ?? (f.maxExclusive !== undefined ? `< ${f.maxExclusive}` : undefined);
      if (lo !== undefined || hi !== undefined) facts.push(`Range: ${lo ?? '−∞'} … ${hi ?? '∞'}`);
      if (f.patterns.length) facts.push(`Pattern: ${f.patterns.map((set) => set.map(code).join(' or ')).join(', and ')}`);
      if (f.minLength !== undefined || f.maxLength !== undefined) facts.push(`Length: ${f.minLength ?? 0} … ${f.maxLength ?? '∞'}`);
      if (f.members?.length) facts.push(`One of: ${f.members.map((m) => code(m.name ?? typeLabel(m))).join(', ')}`);
      if (facts.length) out.push(facts.join(' · '));
    }
  }
  if (decl.acrn?.applicableVms) out.push(`Applies to: ${vmKindsLabel(decl.acrn.applicableVms)}`);
  if (decl.acrn?.views && decl.acrn.views.length === 0) out.push('Hidden in ACRN\'s configurator (an expert setting).');
  return out;
}

/** The documentation of the element's type, when it says more than the element's own. */
function typeDoc(type: TypeDef | undefined, own: string | undefined): string | undefined {
  const d = type?.documentation;
  if (!d || d === own) return undefined;
  return d;
}

/** Full Markdown for an element: title, documentation, type facts, nested note, origin. */
export function describeElement(model: SchemaModel, at: Pick<DeclarationAt, 'decl' | 'type' | 'vmKind'>, opts: { current?: string; origin?: boolean; valueNote?: boolean } = {}): string {
  const { decl, type, vmKind } = at;
  const parts: string[] = [];
  const title = decl.acrn?.title?.trim();
  parts.push(`**${decl.name}**${title ? ` — ${rstInline(title)}` : ''}`);
  const own = docMarkdown(decl.documentation);
  if (own) parts.push(own);
  const td = typeDoc(type, decl.documentation);
  if (td && type?.kind === 'simple' && !enumerationOf(model, type, vmKind)) parts.push(docMarkdown(td));
  parts.push(typeFacts(model, decl, type, vmKind, opts.current).join('\n\n'));
  if (NESTED_ELEMENTS.has(decl.name) || (opts.valueNote !== false && opts.current !== undefined && NESTED_VALUES.has(opts.current))) parts.push(`⚠ ${NESTED_NOTE}`);
  if (opts.origin !== false) parts.push(`*ACRN ${model.label} schema${model.origin.startsWith('bundled:') ? ', bundled with acrn-nest (set `acrnNest.acrnTree` for your tree\'s own)' : ''}*`);
  return parts.filter((p) => p.trim() !== '').join('\n\n');
}

/** Markdown for one value of an element: the value's own documentation, then the element's. */
export function describeValue(model: SchemaModel, at: Pick<DeclarationAt, 'decl' | 'type' | 'vmKind'>, value: string): string {
  const st = at.type ? (at.type.kind === 'simple' ? at.type : simpleTypeOf(model, { type: at.type })) : undefined;
  const values = st ? enumerationOf(model, st, at.vmKind) : undefined;
  const parts: string[] = [];
  const hit = values?.find((v) => v.value === value);
  if (hit) {
    const title = hit.acrn?.title && hit.acrn.title !== hit.value ? ` — ${rstInline(hit.acrn.title)}` : '';
    parts.push(`**${code(value)}**${title}`);
    if (hit.documentation) parts.push(docMarkdown(hit.documentation));
    else if (st?.documentation) {
      // ACRN documents values in the type's bullet list: pick the bullet that names this value.
      const names = [value, hit.acrn?.title].filter((x): x is string => !!x).map((x) => `\`\`${x}\`\``);
      const bullet = st.documentation.split(/\n(?=\s*[-*] )/).find((b) => /^\s*[-*] /.test(b) && names.some((x) => b.includes(x)));
      if (bullet) parts.push(rstInline(bullet.replace(/^\s*[-*]\s+/, '').replace(/\s*\n\s*/g, ' ').trim()));
    }
    if (hit.acrn?.applicableVms) parts.push(`Applies to: ${vmKindsLabel(hit.acrn.applicableVms)}`);
    if (value === at.decl.default) parts.push('This is the default.');
  } else if (values) {
    parts.push(`**${code(value)}** is not an allowed value of \`${at.decl.name}\`.`);
  }
  if (NESTED_VALUES.has(value)) parts.push(`⚠ ${NESTED_NOTE}`);
  parts.push('---');
  parts.push(describeElement(model, at, { current: value, valueNote: false }));
  return parts.filter((p) => p.trim() !== '').join('\n\n');
}
