/**
 * Completion in an ACRN scenario, from the schema model:
 *  - elements valid at the cursor, in schema order, without those already present as often as
 *    maxOccurs allows (and, inside an xs:sequence, only those that fit between the neighbours),
 *    inserted with their required children and default values as snippet placeholders;
 *  - values of the element under the cursor: its enumeration (applicable-vms sliced), the values
 *    ACRN draws from the board (acrn:options; v2 board text), references to other VMs (names,
 *    ids), and the default;
 *  - attributes of the start tag, and their values.
 * Works while the user types: after a bare `<`, inside a partially typed tag name (the parser
 * recovers it as an unclosed element), inside an element's text, in whitespace between children.
 * Pure: offsets in, entries with offsets out; the language server converts.
 */
import type { XmlDocument, XmlElement } from '../xml/model.js';
import { attr, child, childrenNamed, elementChildren, valueOf } from '../xml/model.js';
import { nodeAt } from '../xml/xpath.js';
import { rstInline } from '../rst.js';
import type { DeclarationAt, ElementDecl, SchemaModel, VmKind } from './model.js';
import { childDeclarations, declarationAt, effective, enumerationOf, maxOf, resolveType, simpleFacets, simpleTypeOf, typeLabel } from './query.js';
import { describeElement, describeValue } from './describe.js';
import { boardOptions, legacyBoardOptions } from './options.js';
import { indentUnit, skeleton } from './skeleton.js';

export type CompletionKind = 'element' | 'value' | 'board' | 'reference' | 'attribute';

export interface CompletionEntry {
  label: string;
  kind: CompletionKind;
  /** Short text next to the label (title, type, origin of the value). */
  detail?: string;
  /** Markdown. */
  documentation?: string;
  /** What replaces [start, end): LSP snippet syntax when `snippet`. */
  insertText: string;
  snippet: boolean;
  /** Replace range; the insert range is [start, cursor). */
  start: number;
  end: number;
  sortText: string;
  filterText?: string;
  preselect?: boolean;
}

export interface CompleteInput {
  doc: XmlDocument;
  offset: number;
  model: SchemaModel;
  /** The board document, when known: values from acrn:options. */
  board?: XmlDocument;
}

type ElementMode = 'name' | 'after-lt' | 'full';

const NAME_CHAR = /[\w.:-]/;

function pad(i: number): string {
  return String(i).padStart(4, '0');
}

/** Markdown cache: describing ~40 VM children on every keystroke would cost milliseconds. */
const DOC_CACHE = new WeakMap<ElementDecl, Map<string, string>>();

function cachedDoc(model: SchemaModel, at: Pick<DeclarationAt, 'decl' | 'type' | 'vmKind'>): string {
  let m = DOC_CACHE.get(at.decl);
  if (!m) {
    m = new Map();
    DOC_CACHE.set(at.decl, m);
  }
  const key = `${model.origin}|${at.vmKind ?? ''}|${at.type?.name ?? ''}`;
  let d = m.get(key);
  if (d === undefined) {
    d = describeElement(model, at, { origin: false });
    m.set(key, d);
  }
  return d;
}

function cachedValueDoc(model: SchemaModel, at: Pick<DeclarationAt, 'decl' | 'type' | 'vmKind'>, value: string): string {
  let m = DOC_CACHE.get(at.decl);
  if (!m) {
    m = new Map();
    DOC_CACHE.set(at.decl, m);
  }
  const key = `${model.origin}|${at.vmKind ?? ''}|${at.type?.name ?? ''}|=${value}`;
  let d = m.get(key);
  if (d === undefined) {
    d = describeValue(model, at, value);
    m.set(key, d);
  }
  return d;
}

export function complete(input: CompleteInput): CompletionEntry[] {
  const { doc, offset } = input;
  const text = doc.text;
  const n = nodeAt(doc, offset);
  const el = n.element;
  if (!el) return [];
  let where = n.where;
  // The cursor right before `</name>` is still in the content.
  if (where === 'end-tag' && offset === el.endTagStart) where = 'content';

  if (where === 'name') {
    const parent = el.parent;
    if (!parent) return [];
    const terminated = el.startTagEnd > el.nameEnd && text[el.startTagEnd - 1] === '>';
    return elementEntries(input, parent, el.nameStart, el.nameEnd, terminated ? 'name' : 'after-lt', el);
  }
  if (where === 'start-tag' || where === 'attr-name') return attributeEntries(input, el, n.attribute);
  if (where === 'attr-value') return n.attribute ? attributeValueEntries(input, el, n.attribute.name, n.attribute.valueStart, n.attribute.valueEnd) : [];
  if (where !== 'content') return [];

  // A bare `<` (or `<par`) typed in the content: the parser left it as text.
  let i = offset;
  while (i > el.startTagEnd && NAME_CHAR.test(text[i - 1]!)) i--;
  let j = offset;
  while (j < text.length && NAME_CHAR.test(text[j]!)) j++;
  if (i > el.startTagEnd && text[i - 1] === '<') return elementEntries(input, el, i, j, 'after-lt');

  const at = declarationAt(input.model, el);
  if (!at) return [];
  if (elementChildren(el).length === 0 && simpleTypeOf(input.model, at)) return valueEntries(input, el, at);
  if (at.type?.kind === 'complex') return elementEntries(input, el, i, j, 'full');
  return [];
}

function elementEntries(input: CompleteInput, parent: XmlElement, start: number, end: number, mode: ElementMode, typing?: XmlElement): CompletionEntry[] {
  const { model, doc } = input;
  const pd = declarationAt(model, parent);
  if (!pd || pd.type?.kind !== 'complex') return [];
  const decls = childDeclarations(pd.type, pd.vmKind);
  // A start tag still being typed (`<SCH` without `>`) swallows the siblings after it: count them too.
  const siblings = elementChildren(parent).filter((k) => k !== typing);
  if (typing && mode === 'after-lt') siblings.push(...elementChildren(typing));
  const counts = new Map<string, number>();
  for (const k of siblings) counts.set(k.name, (counts.get(k.name) ?? 0) + 1);

  // In a sequence, only what fits between the previous and the next sibling.
  let lo = 0;
  let hi = decls.length - 1;
  if (pd.type.content?.kind === 'sequence') {
    for (const k of siblings) {
      const idx = decls.findIndex((d) => d.name === k.name);
      if (idx < 0) continue;
      if (k.end <= start) lo = Math.max(lo, idx);
      else if (k.start >= end) hi = Math.min(hi, idx);
    }
  }

  const unit = indentUnit(doc.text, doc.root);
  const out: CompletionEntry[] = [];
  decls.forEach((d, idx) => {
    if (idx < lo || idx > hi) return;
    if ((counts.get(d.name) ?? 0) >= maxOf(d)) return;
    const at = effective(model, d, undefined, pd.vmKind);
    const body = mode === 'name' ? '' : cachedSkeleton(model, d, unit, parent, pd.vmKind);
    let insertText: string;
    if (mode === 'name') insertText = d.name;
    else if (mode === 'after-lt') insertText = body.slice(1);
    else insertText = body;
    const title = d.acrn?.title?.trim();
    const facts = [shortType(model, at), d.default !== undefined ? `default ${d.default}` : '', d.minOccurs > 0 && d.default === undefined ? 'required' : ''].filter(Boolean);
    out.push({
      label: d.name,
      kind: 'element',
      detail: [title ? rstInline(title).replace(/\\/g, '') : '', facts.join(', ')].filter(Boolean).join(' — '),
      documentation: cachedDoc(model, at),
      insertText,
      snippet: mode !== 'name',
      start,
      end,
      sortText: pad(idx),
      filterText: d.name,
    });
  });
  return out;
}

/** A short type name for the detail line: the named type, or what an anonymous one is. */
function shortType(model: SchemaModel, at: Pick<DeclarationAt, 'decl' | 'type'>): string {
  const t = at.type;
  if (!t) return '';
  if (t.name) return t.name.replace(/^xs:/, '');
  if (t.kind === 'complex') return '';
  const f = simpleFacets(model, t);
  const base = f.primitive.replace(/^xs:/, '');
  if (f.minInclusive !== undefined || f.maxInclusive !== undefined) return `${base} ${f.minInclusive ?? ''}…${f.maxInclusive ?? ''}`;
  return base;
}

const SKELETON_CACHE = new WeakMap<ElementDecl, Map<string, string>>();

/** skeleton() of a declaration, cached unless it picked a free id from the parent's children. */
function cachedSkeleton(model: SchemaModel, d: ElementDecl, unit: string, parent: XmlElement, vmKind: VmKind | undefined): string {
  let m = SKELETON_CACHE.get(d);
  if (!m) {
    m = new Map();
    SKELETON_CACHE.set(d, m);
  }
  const key = `${model.origin}|${vmKind ?? ''}|${unit}`;
  const hit = m.get(key);
  if (hit !== undefined) return hit;
  const dependsOnParent = { value: false };
  const body = skeleton(d, { model, snippet: true, unit, parent, dependsOnParent, ...(vmKind ? { vmKind } : {}) });
  if (!dependsOnParent.value) m.set(key, body);
  return body;
}

/** The value span to replace: the current value when the cursor is in it, else the cursor. */
function valueRange(text: string, el: XmlElement, offset: number): { start: number; end: number } {
  let s = offset;
  let e = offset;
  const stop = (c: string | undefined): boolean => c === undefined || c === '<' || c === '>' || c === '\n' || c === '\r';
  while (s > el.startTagEnd && !stop(text[s - 1])) s--;
  const contentEnd = el.endTagStart >= 0 ? el.endTagStart : text.length;
  while (e < contentEnd && !stop(text[e])) e++;
  // Trim the surrounding whitespace but keep the cursor inside.
  while (s < offset && /\s/.test(text[s]!)) s++;
  while (e > offset && /\s/.test(text[e - 1]!)) e--;
  return { start: s, end: e };
}

function valueEntries(input: CompleteInput, el: XmlElement, at: DeclarationAt): CompletionEntry[] {
  const { model, doc, offset, board } = input;
  const text = doc.text;
  const { start, end } = valueRange(text, el, offset);
  const st = simpleTypeOf(model, at)!;
  const out: CompletionEntry[] = [];
  const seen = new Set<string>();
  const add = (e: Omit<CompletionEntry, 'start' | 'end' | 'snippet' | 'sortText'> & { order: number }): void => {
    if (seen.has(e.label)) return;
    seen.add(e.label);
    const { order, ...rest } = e;
    out.push({ ...rest, start, end, snippet: false, sortText: pad(order) });
  };

  // Values already taken by siblings that must differ (guest_flag, pcpu_id in v2's list).
  const taken = new Set<string>();
  if (el.parent && (el.name === 'guest_flag' || el.name === 'pcpu_id' || el.name === 'pci_dev' || el.name === 'usb_dev')) {
    for (const s of childrenNamed(el.parent, el.name)) if (s !== el) taken.add(valueOf(s));
    taken.delete('');
    taken.delete('0');
  }
  if (el.name === 'pcpu_id' && el.parent?.name === 'pcpu' && el.parent.parent) {
    for (const p of childrenNamed(el.parent.parent, 'pcpu')) if (p !== el.parent) taken.add(valueOf(child(p, 'pcpu_id')));
  }

  let order = 0;
  const values = enumerationOf(model, st, at.vmKind) ?? [];
  const elementTitle = at.decl.acrn?.title?.trim() ? rstInline(at.decl.acrn.title.trim()).replace(/\\/g, '') : '';
  for (const v of values) {
    if (v.value === '' || taken.has(v.value)) continue;
    const title = v.acrn?.title && v.acrn.title !== v.value ? v.acrn.title : undefined;
    add({
      label: v.value,
      kind: 'value',
      detail: [title, v.value === at.decl.default ? 'default' : ''].filter(Boolean).join(' — ') || shortType(model, at),
      documentation: cachedValueDoc(model, at, v.value),
      insertText: v.value,
      preselect: v.value === at.decl.default,
      order: order++,
    });
  }

  if (board) {
    const expr = at.decl.acrn?.options;
    // acrn:options over the board, plus the facts v2-era boards keep as text (TTYS_INFO,
    // CPU_PROCESSOR_INFO): v2 schemas have no acrn:options, and older board files lack ttys/serial.
    const opts = [...legacyBoardOptions(board, el.name), ...(expr ? boardOptions(board, expr, at.decl.acrn?.optionsSortedBy) : [])];
    const boardName = attr(board.root, 'board') ?? 'the board';
    for (const v of opts) {
      if (taken.has(v)) continue;
      // The board says which values exist; the schema says what the setting is: both, as for an enumerated value.
      const known = values.some((x) => x.value === v);
      const documentation = [`Offered by the board file (${boardName}).${expr ? `\n\nACRN's \`acrn:options\`: \`${expr.trim()}\`` : ''}`, '---', known ? cachedValueDoc(model, at, v) : cachedDoc(model, at)].join('\n\n');
      add({ label: v, kind: 'board', detail: [`from ${boardName}`, elementTitle].filter(Boolean).join(' — '), documentation, insertText: v, order: order++ });
    }
  }

  // VM names and ids: what they name, then what the setting is.
  for (const r of references(doc, el)) add({ ...r, kind: 'reference', documentation: [r.documentation, cachedDoc(model, at)].filter(Boolean).join('\n\n---\n\n'), insertText: r.label, order: order++ });

  if (at.decl.default !== undefined && !seen.has(at.decl.default)) {
    add({ label: at.decl.default === '' ? '(empty)' : at.decl.default, kind: 'value', detail: 'default', documentation: cachedDoc(model, at), insertText: at.decl.default, preselect: true, order: order++ });
  }
  return out;
}

interface Ref {
  label: string;
  detail?: string;
  documentation?: string;
}

/** Values that name other parts of the scenario: VM names and ids. */
function references(doc: XmlDocument, el: XmlElement): Ref[] {
  const root = doc.root;
  if (!root) return [];
  const vms = childrenNamed(root, 'vm');
  const ownVm = (() => {
    for (let c: XmlElement | undefined = el; c; c = c.parent) if (c.name === 'vm' && c.parent === root) return c;
    return undefined;
  })();
  const vmLabel = (vm: XmlElement): string => {
    const type = valueOf(child(vm, 'load_order')) || valueOf(child(vm, 'vm_type'));
    return [valueOf(child(vm, 'name')), type].filter(Boolean).join(', ');
  };
  if (el.name === 'vm_name' || el.name === 'VM_NAME' || (el.name === 'VM' && el.parent?.name === 'POLICY')) {
    return vms.map((vm) => ({ label: valueOf(child(vm, 'name')), detail: `vm id=${attr(vm, 'id') ?? '?'}` })).filter((r) => r.label !== '');
  }
  if (el.name === 'target_vm_id' || el.name === 'CONSOLE_VM' || el.name === 'companion_vmid') {
    return vms
      .filter((vm) => vm !== ownVm && attr(vm, 'id') !== undefined)
      .map((vm) => ({ label: attr(vm, 'id')!, detail: vmLabel(vm) }));
  }
  if (el.name === 'target_uart_id') {
    // v2: the ids of the target VM's communication vUARTs (or legacy_vuart 1).
    const target = vms.find((vm) => attr(vm, 'id') === valueOf(child(el.parent, 'target_vm_id')));
    if (!target) return [];
    const kind = el.parent?.name === 'legacy_vuart' ? 'legacy_vuart' : 'communication_vuart';
    return childrenNamed(target, kind).map((u) => ({ label: attr(u, 'id') ?? '', detail: `${kind} of vm ${attr(target, 'id')}` })).filter((r) => r.label !== '');
  }
  return [];
}

function attributeEntries(input: CompleteInput, el: XmlElement, typing: { name: string } | undefined): CompletionEntry[] {
  const { model, offset, doc } = input;
  const at = declarationAt(model, el);
  const type = at?.type;
  if (type?.kind !== 'complex') return [];
  const text = doc.text;
  let s = offset;
  while (s > el.nameEnd && NAME_CHAR.test(text[s - 1]!)) s--;
  let e = offset;
  while (e < text.length && NAME_CHAR.test(text[e]!)) e++;
  const present = new Set(el.attributes.filter((a) => a !== typing).map((a) => a.name));
  return type.attributes
    .filter((a) => !present.has(a.name) && a.use !== 'prohibited')
    .map((a, idx) => {
      const value = a.name === 'id' && el.parent ? String(freeId(el.parent, el)) : (a.default ?? '');
      return {
        label: a.name,
        kind: 'attribute' as const,
        detail: `${typeLabel(a.type)}${a.use === 'required' ? ', required' : ''}`,
        ...(a.documentation ? { documentation: a.documentation } : {}),
        insertText: `${a.name}="\${1:${value}}"`,
        snippet: true,
        start: s,
        end: e,
        sortText: pad(idx),
      };
    });
}

function freeId(parent: XmlElement, self: XmlElement): number {
  const used = new Set(childrenNamed(parent, self.name).filter((k) => k !== self).map((k) => Number(attr(k, 'id'))));
  let id = 0;
  while (used.has(id)) id++;
  return id;
}

function attributeValueEntries(input: CompleteInput, el: XmlElement, name: string, vs: number, ve: number): CompletionEntry[] {
  const { model } = input;
  const at = declarationAt(model, el);
  const type = at?.type;
  if (type?.kind !== 'complex' || vs < 0) return [];
  const decl = type.attributes.find((a) => a.name === name);
  if (!decl) return [];
  const out: CompletionEntry[] = [];
  if (name === 'id' && el.parent) {
    const id = String(freeId(el.parent, el));
    out.push({ label: id, kind: 'value', detail: `first free ${el.name} id`, insertText: id, snippet: false, start: vs, end: ve, sortText: pad(0), preselect: true });
  }
  const t = resolveType(model, decl.type);
  const values = t?.kind === 'simple' ? (enumerationOf(model, t) ?? []) : [];
  values.forEach((v, i) => out.push({ label: v.value, kind: 'value', insertText: v.value, snippet: false, start: vs, end: ve, sortText: pad(i + 1) }));
  return out;
}

