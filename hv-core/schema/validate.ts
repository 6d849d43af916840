/**
 * Structural and type validation of a scenario document against a SchemaModel: unknown and
 * misplaced elements, occurrences, missing required elements (only those ACRN cannot fill from
 * a schema default), simple values (enum, pattern, range), attributes, xs:unique, and the v3 vm
 * whose load_order matches no xs:alternative. It also collects which elements carry config.xsd
 * asserts, for asserts.ts.
 *
 * Ranges: a bad value -> its text; an unknown/misplaced element -> its name; a missing element
 * -> the name of the parent that should hold it.
 */
import type { Finding } from '../findings.js';
import type { Span, XmlAttribute, XmlElement } from '../xml/model.js';
import { elementChildren, textOf, valueSpan } from '../xml/model.js';
import { xpathOf } from '../xml/xpath.js';
import type { Assertion, ComplexType, DeclarationAt, ElementDecl, IdentityConstraint, ModelGroup, SchemaModel, TypeDef, VmKind } from './model.js';
import { childDeclarations, effective, hasWildcard, maxOf, resolveType, simpleTypeOf } from './query.js';
import { checkValue, nearest, parseErrormsg } from './values.js';
import { hasPopulatedDefault } from './defaults.js';

export interface StructureResult {
  findings: Finding[];
  /** Elements whose effective complex type carries config.xsd asserts. */
  assertTargets: { element: XmlElement; assert: Assertion }[];
}

const SOURCE = 'schema';

function isMetaAttribute(name: string): boolean {
  return name === 'xmlns' || name.startsWith('xmlns:') || name.startsWith('xsi:') || name.startsWith('xml:');
}

function nameSpan(el: XmlElement): Span {
  return { start: el.nameStart, end: el.nameEnd };
}

/** Vm kinds the element is declared for, when it is declared only for others. */
function applicableVmsOf(type: TypeDef | undefined, name: string): string[] | undefined {
  const all = childDeclarations(type);
  const d = all.find((x) => x.name === name);
  return d?.acrn?.applicableVms;
}

function vmKindLabel(k: VmKind): string {
  return k === 'service-vm' ? 'the Service VM' : k === 'pre-launched' ? 'a pre-launched VM' : 'a post-launched VM';
}

class Validator {
  readonly findings: Finding[] = [];
  readonly assertTargets: { element: XmlElement; assert: Assertion }[] = [];

  constructor(
    private readonly text: string,
    private readonly model: SchemaModel,
  ) {}

  add(f: Omit<Finding, 'source'> & { source?: string }): void {
    this.findings.push({ source: SOURCE, ...f });
  }

  element(el: XmlElement, at: DeclarationAt): void {
    if (at.noAlternative) {
      this.noAlternative(el, at.decl);
      return;
    }
    const type = at.type;
    if (!type) return; // anyType: anything goes
    if (type.kind === 'simple') {
      this.attributes(el, undefined);
      this.simpleContent(el, at);
      return;
    }
    this.attributes(el, type);
    if (type.simpleContent !== undefined) {
      this.simpleContent(el, at);
      return;
    }
    for (const a of type.asserts) this.assertTargets.push({ element: el, assert: a });
    if (hasWildcard(type)) return;
    this.content(el, type, at.vmKind);
    if (at.decl.identity) for (const ic of at.decl.identity) this.identity(el, ic);
  }

  noAlternative(el: XmlElement, decl: ElementDecl): void {
    const lo = elementChildren(el).find((c) => c.name === 'load_order');
    const allowed = (decl.alternatives ?? []).map((a) => a.loadOrder).filter((x): x is string => x !== undefined);
    const span = lo ? valueSpan(this.text, lo) : nameSpan(el);
    const value = lo ? textOf(lo).trim() : undefined;
    const suggestion = value !== undefined ? nearest(value, allowed) : undefined;
    const what = lo ? `load_order \`${value}\` matches` : 'has no load_order, so it matches';
    this.add({
      severity: 'error',
      code: 'schema/no-alternative',
      ...span,
      message: `This ${el.name} ${what} none of the schema's alternatives (${allowed.join(', ')}): ACRN's validator silently skips the whole ${el.name}, and the build will fail or misbehave later.${suggestion !== undefined ? ` Did you mean \`${suggestion}\`?` : ''}`,
      data: { allowed, ...(suggestion !== undefined ? { suggestion } : {}), xpath: xpathOf(lo ?? el) },
    });
  }

  simpleContent(el: XmlElement, at: DeclarationAt): void {
    const kids = elementChildren(el);
    for (const k of kids) {
      this.add({ severity: 'error', code: 'schema/unknown-element', ...nameSpan(k), message: `\`${el.name}\` holds a simple value; it cannot contain the element \`${k.name}\``, data: { xpath: xpathOf(k) } });
    }
    if (kids.length) return;
    const st = simpleTypeOf(this.model, at);
    if (!st) return;
    let raw = textOf(el);
    if (raw === '' && at.decl.default !== undefined) raw = at.decl.default;
    if (raw === '' && at.decl.fixed !== undefined) raw = at.decl.fixed;
    if (raw === '' && hasPopulatedDefault(at.decl)) return; // ACRN picks a free value from acrn:defaults
    const p = checkValue(this.model, st, raw, at.vmKind);
    if (!p) return;
    const span = valueSpan(this.text, el);
    const data: Record<string, unknown> = { xpath: xpathOf(el), value: raw };
    if (p.allowed) data['allowed'] = p.allowed;
    if (p.suggestion !== undefined) data['suggestion'] = p.suggestion;
    let message = p.message;
    if (raw.trim() === '' && p.code !== 'schema/enum') {
      const req = parseErrormsg(at.decl.acrn?.errormsg)['required'];
      message = `\`${el.name}\` is empty: ${req ?? p.message}`;
    } else {
      message = `${el.name}: ${message}`;
    }
    this.add({ severity: 'error', code: p.code, ...span, message, data });
  }

  attributes(el: XmlElement, type: ComplexType | undefined): void {
    const decls = type?.attributes ?? [];
    for (const a of el.attributes) {
      if (isMetaAttribute(a.name)) continue;
      const d = decls.find((x) => x.name === a.name);
      if (!d) {
        if (type?.anyAttribute) continue;
        const sugg = nearest(a.name, decls.map((x) => x.name));
        this.add({
          severity: 'error',
          code: 'schema/unknown-attribute',
          start: a.nameStart,
          end: a.nameEnd,
          message: `\`${el.name}\` has no attribute \`${a.name}\`${decls.length ? ` (allowed: ${decls.map((x) => x.name).join(', ')})` : ''}.${sugg ? ` Did you mean \`${sugg}\`?` : ''}`,
          data: { xpath: `${xpathOf(el)}/@${a.name}`, ...(sugg ? { suggestion: sugg } : {}) },
        });
        continue;
      }
      const t = resolveType(this.model, d.type);
      if (t?.kind === 'simple') {
        const p = checkValue(this.model, t, a.value);
        if (p) this.add({ severity: 'error', code: p.code, ...attrValueSpan(a), message: `@${a.name}: ${p.message}`, data: { xpath: `${xpathOf(el)}/@${a.name}`, value: a.value, ...(p.allowed ? { allowed: p.allowed } : {}), ...(p.suggestion !== undefined ? { suggestion: p.suggestion } : {}) } });
      }
    }
    for (const d of decls) {
      if (d.use === 'required' && !el.attributes.some((a) => a.name === d.name)) {
        this.add({ severity: 'error', code: 'schema/missing-attribute', ...nameSpan(el), message: `\`${el.name}\` needs the attribute \`${d.name}\``, data: { xpath: xpathOf(el), attribute: d.name } });
      }
    }
  }

  content(el: XmlElement, type: ComplexType, vmKind: VmKind | undefined): void {
    const kids = elementChildren(el);
    if (!type.mixed) {
      for (const c of el.children) {
        if ((c.kind === 'text' || c.kind === 'cdata') && c.value.trim() !== '') {
          const lead = c.value.length - c.value.trimStart().length;
          const trail = c.value.length - c.value.trimEnd().length;
          this.add({ severity: 'error', code: 'schema/text', start: c.start + lead, end: c.end - trail, message: `\`${el.name}\` holds elements only; this text is not allowed here` });
        }
      }
    }
    const group = type.content;
    if (!group) {
      for (const k of kids) this.unknown(k, el, type, vmKind, []);
      return;
    }
    const decls = childDeclarations(type, vmKind);
    if (group.kind === 'sequence') this.sequence(el, kids, decls, type, vmKind);
    else this.unordered(el, kids, decls, type, vmKind, group);
  }

  unordered(el: XmlElement, kids: XmlElement[], decls: ElementDecl[], type: ComplexType, vmKind: VmKind | undefined, group: ModelGroup): void {
    const counts = new Map<ElementDecl, number>();
    const byName = new Map(decls.map((d) => [d.name, d]));
    const choice = group.kind === 'choice';
    for (const k of kids) {
      const d = byName.get(k.name);
      if (!d) {
        this.unknown(k, el, type, vmKind, decls);
        continue;
      }
      const n = (counts.get(d) ?? 0) + 1;
      counts.set(d, n);
      if (n > maxOf(d)) this.tooMany(k, el, d);
      this.element(k, effective(this.model, d, k, vmKind));
    }
    if (choice) {
      if (counts.size === 0 && group.minOccurs > 0) this.missingChoice(el, decls);
      return;
    }
    for (const d of decls) if (!counts.get(d)) this.missing(el, d, vmKind);
  }

  sequence(el: XmlElement, kids: XmlElement[], decls: ElementDecl[], type: ComplexType, vmKind: VmKind | undefined): void {
    let cur = 0;
    let count = 0;
    const present = new Set(kids.map((k) => k.name));
    for (const k of kids) {
      let j = -1;
      for (let i = cur; i < decls.length; i++) {
        if (decls[i]!.name === k.name) {
          j = i;
          break;
        }
      }
      if (j >= 0) {
        if (j !== cur) {
          // Skipped declarations are missing unless they appear elsewhere (then it is an order problem).
          for (let i = cur; i < j; i++) if (!(i === cur && count > 0) && !present.has(decls[i]!.name)) this.missing(el, decls[i]!, vmKind, k);
          cur = j;
          count = 0;
        }
        const d = decls[j]!;
        count++;
        if (count > maxOf(d)) this.tooMany(k, el, d);
        this.element(k, effective(this.model, d, k, vmKind));
        continue;
      }
      const earlier = decls.findIndex((d) => d.name === k.name);
      if (earlier >= 0) {
        const d = decls[earlier]!;
        const after = decls[cur]!;
        this.add({
          severity: 'error',
          code: 'schema/order',
          ...nameSpan(k),
          message: `\`${k.name}\` is out of place: in \`${el.name}\` the elements follow a fixed order, and \`${k.name}\` must come before \`${after.name}\``,
          data: { xpath: xpathOf(k), expectedBefore: after.name, order: decls.map((x) => x.name) },
        });
        this.element(k, effective(this.model, d, k, vmKind));
        continue;
      }
      this.unknown(k, el, type, vmKind, decls);
    }
    for (let i = cur; i < decls.length; i++) {
      const d = decls[i]!;
      if (i === cur && count > 0) continue;
      if (!present.has(d.name)) this.missing(el, d, vmKind);
    }
  }

  unknown(k: XmlElement, el: XmlElement, type: ComplexType, vmKind: VmKind | undefined, decls: ElementDecl[]): void {
    const notFor = vmKind ? applicableVmsOf(type, k.name) : undefined;
    if (notFor && vmKind) {
      this.add({
        severity: 'error',
        code: 'schema/unknown-element',
        ...nameSpan(k),
        message: `\`${k.name}\` is not allowed in ${vmKindLabel(vmKind)}: ACRN's schema allows it only for ${notFor.join(', ')} VMs`,
        data: { xpath: xpathOf(k), applicableVms: notFor, remove: true },
      });
      return;
    }
    const names = decls.map((d) => d.name);
    const present = new Set(elementChildren(el).map((c) => c.name));
    const suggestion = nearest(k.name, names.filter((n) => !present.has(n)).concat(names));
    this.add({
      severity: 'error',
      code: 'schema/unknown-element',
      ...nameSpan(k),
      message: `\`${k.name}\` is not allowed in \`${el.name}\`.${suggestion ? ` Did you mean \`${suggestion}\`?` : names.length ? ` Allowed: ${names.join(', ')}.` : ''}`,
      data: { xpath: xpathOf(k), ...(suggestion ? { suggestion } : {}), allowed: names },
    });
  }

  tooMany(k: XmlElement, el: XmlElement, d: ElementDecl): void {
    const max = maxOf(d);
    this.add({ severity: 'error', code: 'schema/occurs', ...nameSpan(k), message: `Too many \`${d.name}\` in \`${el.name}\`: at most ${max} allowed`, data: { xpath: xpathOf(k), max, remove: true } });
  }

  /**
   * A required child is absent. ACRN fills schema defaults (and creates complex elements, then
   * fills their children) before validating, so only what it cannot fill is reported.
   */
  missing(el: XmlElement, d: ElementDecl, vmKind: VmKind | undefined, before?: XmlElement): void {
    if (d.minOccurs === 0) return;
    const populates = this.model.populatesDefaults !== false;
    const gap = populates ? this.unfillable(d, vmKind, 0) : [d.name];
    if (gap === undefined) return;
    const pathText = gap.join('/');
    let req = parseErrormsg(d.acrn?.errormsg)['required'];
    if (!populates && d.default !== undefined) req = `ACRN ${this.model.label} does not fill in schema defaults, so write it (the default is \`${d.default}\`)`;
    this.add({
      severity: 'error',
      code: 'schema/missing',
      ...nameSpan(el),
      message: `\`${el.name}\` is missing the required element \`${pathText}\`${req ? `: ${req}` : ''}`,
      data: { xpath: xpathOf(el), element: d.name, path: gap, ...(before ? { before: before.name } : {}) },
    });
  }

  missingChoice(el: XmlElement, decls: ElementDecl[]): void {
    this.add({ severity: 'error', code: 'schema/missing', ...nameSpan(el), message: `\`${el.name}\` needs one of: ${decls.map((d) => d.name).join(', ')}`, data: { xpath: xpathOf(el), oneOf: decls.map((d) => d.name) } });
  }

  /** The path of the first element ACRN cannot fill when `d` is absent, or undefined. */
  unfillable(d: ElementDecl, vmKind: VmKind | undefined, depth: number): string[] | undefined {
    if (d.default !== undefined || d.fixed !== undefined || hasPopulatedDefault(d)) return undefined;
    const at = effective(this.model, d, undefined, vmKind);
    const t = at.type;
    if (!t || t.kind === 'simple' || t.simpleContent !== undefined) return t ? [d.name] : undefined;
    if (depth > 12 || hasWildcard(t)) return undefined;
    const group = t.content;
    if (!group) return undefined;
    const kids = childDeclarations(t, at.vmKind);
    if (group.kind === 'choice') return group.minOccurs > 0 && kids.length ? [d.name, kids[0]!.name] : undefined;
    for (const k of kids) {
      if (k.minOccurs === 0) continue;
      const g = this.unfillable(k, at.vmKind, depth + 1);
      if (g) return [d.name, ...g];
    }
    return undefined;
  }

  identity(el: XmlElement, ic: IdentityConstraint): void {
    const seen = new Map<string, XmlElement>();
    for (const node of selectRelative(el, ic.selector)) {
      const vals: string[] = [];
      let target: XmlElement | XmlAttribute | undefined;
      let complete = true;
      for (const f of ic.fields) {
        const hit = selectField(node, f);
        if (!hit) {
          complete = false;
          break;
        }
        vals.push(hit.value);
        target ??= hit.node;
      }
      if (!complete) continue;
      const key = JSON.stringify(vals);
      const first = seen.get(key);
      if (!first) {
        seen.set(key, node);
        continue;
      }
      const span = target && 'kind' in target ? valueSpan(this.text, target) : target ? attrValueSpan(target) : nameSpan(node);
      this.add({
        severity: 'error',
        code: 'schema/unique',
        ...span,
        message: `Duplicate ${ic.fields.join(', ')} \`${vals.join(', ')}\`: each \`${ic.selector}\` must have a unique ${ic.fields.join(', ')} (constraint ${ic.name})`,
        related: [{ ...nameSpan(first), message: `first ${ic.selector} with ${ic.fields.join(', ')} \`${vals.join(', ')}\`` }],
        data: { xpath: xpathOf(node), constraint: ic.name, value: vals.join(', ') },
      });
    }
  }
}

function attrValueSpan(a: XmlAttribute): Span {
  return a.valueStart >= 0 ? { start: a.valueStart, end: a.valueEnd } : { start: a.nameStart, end: a.nameEnd };
}

/** Evaluates the restricted XPath of xs:selector relative to an element. */
function selectRelative(el: XmlElement, xpath: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const alt of xpath.split('|')) {
    let cur: XmlElement[] = [el];
    let p = alt.trim();
    let deep = false;
    if (p.startsWith('.//')) {
      deep = true;
      p = p.slice(3);
    } else if (p.startsWith('./')) p = p.slice(2);
    const steps = p.split('/').filter((s) => s !== '' && s !== '.');
    steps.forEach((s, i) => {
      const next: XmlElement[] = [];
      for (const c of cur) {
        const pool = deep && i === 0 ? descendants(c) : elementChildren(c);
        for (const k of pool) if (s === '*' || k.name === s.replace(/^child::/, '')) next.push(k);
      }
      cur = next;
    });
    out.push(...cur);
  }
  return out;
}

function descendants(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    for (const c of elementChildren(e)) {
      out.push(c);
      walk(c);
    }
  };
  walk(el);
  return out;
}

function selectField(node: XmlElement, xpath: string): { value: string; node: XmlElement | XmlAttribute } | undefined {
  const m = /^(?:(.*)\/)?@([\w:.-]+)$/.exec(xpath.trim());
  if (m) {
    const base = m[1] ? selectRelative(node, m[1])[0] : node;
    const a = base?.attributes.find((x) => x.name === m[2]);
    return a ? { value: a.value.trim(), node: a } : undefined;
  }
  const hits = xpath.trim() === '.' ? [node] : selectRelative(node, xpath);
  const h = hits[0];
  return h ? { value: textOf(h).trim(), node: h } : undefined;
}

/** Validates the document's root element (and everything below) against the model. */
export function validateStructure(text: string, root: XmlElement, model: SchemaModel): StructureResult {
  const v = new Validator(text, model);
  const decl = model.elements[root.name];
  if (!decl) {
    v.add({ severity: 'error', code: 'schema/unknown-element', ...nameSpan(root), message: `The root element must be one of: ${Object.keys(model.elements).join(', ')}` });
  } else {
    v.element(root, effective(model, decl, root, undefined));
  }
  return { findings: v.findings, assertTargets: v.assertTargets };
}
