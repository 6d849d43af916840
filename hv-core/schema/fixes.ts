/**
 * Quick fixes for schema findings, from the `data` the validator attaches (validate.ts):
 *  - a misspelt value, element or attribute name: "Change to 'X'" (the nearest match first, then
 *    the other allowed values when there are few);
 *  - a missing required element: insert it, in schema order, indented like its siblings, with
 *    its own required children and defaults (skeleton.ts);
 *  - a missing required attribute: add it;
 *  - a duplicate (too many occurrences) or an element not allowed for this kind of VM: remove it.
 * Every fix is a list of text edits (offsets into the current text); the language server turns
 * them into a WorkspaceEdit the user sees and can undo. The element is found again by the
 * finding's XPath, so a fix computed on a slightly older diagnostic still edits the right place.
 */
import type { Finding } from '../findings.js';
import type { XmlDocument, XmlElement } from '../xml/model.js';
import { attr, childrenNamed, elementChildren, valueSpan } from '../xml/model.js';
import { resolveXpath } from '../xml/xpath.js';
import type { SchemaModel } from './model.js';
import { childDeclarations, declarationAt } from './query.js';
import { indentUnit, skeleton } from './skeleton.js';

export interface OffsetEdit {
  start: number;
  end: number;
  newText: string;
}

export interface FixAction {
  title: string;
  edits: OffsetEdit[];
  /** The fix VS Code applies with "Auto Fix" (the nearest match, the one obvious repair). */
  preferred?: boolean;
}

interface FixData {
  xpath?: string;
  value?: string;
  suggestion?: string;
  allowed?: string[];
  remove?: boolean;
  element?: string;
  attribute?: string;
  before?: string;
}

const MAX_ALTERNATIVES = 6;

function asData(d: unknown): FixData {
  return d && typeof d === 'object' ? (d as FixData) : {};
}

/** Leading whitespace of the line an offset is on, when only whitespace precedes it. */
function lineIndent(text: string, offset: number): string | undefined {
  let i = offset;
  while (i > 0 && (text[i - 1] === ' ' || text[i - 1] === '\t')) i--;
  if (i > 0 && text[i - 1] !== '\n') return undefined;
  return text.slice(i, offset);
}

/** The edit that removes an element, with its own line when it has one. */
export function removeElementEdit(text: string, el: XmlElement): OffsetEdit {
  let start = el.start;
  let end = el.end;
  const indent = lineIndent(text, start);
  if (indent !== undefined) {
    let j = end;
    while (j < text.length && (text[j] === ' ' || text[j] === '\t')) j++;
    if (j >= text.length || text[j] === '\n' || text[j] === '\r') {
      start -= indent.length;
      end = j;
      if (text[end] === '\r') end++;
      if (text[end] === '\n') end++;
    }
  }
  return { start, end, newText: '' };
}

function renameElementEdits(text: string, el: XmlElement, name: string): OffsetEdit[] {
  const edits: OffsetEdit[] = [{ start: el.nameStart, end: el.nameEnd, newText: name }];
  if (el.endTagStart >= 0 && text.startsWith(`</${el.name}`, el.endTagStart)) {
    const s = el.endTagStart + 2;
    edits.push({ start: s, end: s + el.name.length, newText: name });
  }
  return edits;
}

/** Where and how to insert a new child `name` into `parent`, in schema order. */
export function insertChildEdit(text: string, doc: XmlDocument, model: SchemaModel, parent: XmlElement, name: string): OffsetEdit | undefined {
  const pd = declarationAt(model, parent);
  if (!pd || pd.type?.kind !== 'complex') return undefined;
  const decls = childDeclarations(pd.type, pd.vmKind);
  const target = decls.findIndex((d) => d.name === name);
  if (target < 0) return undefined;
  const decl = decls[target]!;
  const unit = indentUnit(text, doc.root);
  const kids = elementChildren(parent);
  const parentIndent = lineIndent(text, parent.start) ?? '';
  const indent = (kids[0] ? lineIndent(text, kids[0].start) : undefined) ?? parentIndent + unit;
  const body = skeleton(decl, { model, snippet: false, unit, parent, ...(pd.vmKind ? { vmKind: pd.vmKind } : {}) })
    .split('\n')
    .map((l, i) => (i === 0 ? l : indent + l))
    .join('\n');

  const index = (k: XmlElement): number => decls.findIndex((d) => d.name === k.name);
  let after: XmlElement | undefined;
  for (const k of kids) {
    const i = index(k);
    if (i >= 0 && i < target) after = k;
  }
  if (after) return { start: after.end, end: after.end, newText: `\n${indent}${body}` };
  const first = kids[0];
  if (first) {
    const ind = lineIndent(text, first.start);
    if (ind !== undefined) {
      const lineStart = first.start - ind.length;
      return { start: lineStart, end: lineStart, newText: `${indent}${body}\n` };
    }
    return { start: first.start, end: first.start, newText: `${body}\n${indent}` };
  }
  if (parent.selfClosing) {
    // <x/> -> <x>\n  <new/>\n</x>
    let s = parent.startTagEnd - 2;
    while (s > parent.nameEnd && /\s/.test(text[s - 1]!)) s--;
    return { start: s, end: parent.startTagEnd, newText: `>\n${indent}${body}\n${parentIndent}</${parent.name}>` };
  }
  const contentEnd = parent.endTagStart >= 0 ? parent.endTagStart : parent.end;
  const content = text.slice(parent.startTagEnd, contentEnd);
  if (content.trim() === '') return { start: parent.startTagEnd, end: contentEnd, newText: `\n${indent}${body}\n${parentIndent}` };
  return { start: parent.startTagEnd, end: parent.startTagEnd, newText: `\n${indent}${body}` };
}

function freeId(parent: XmlElement | undefined, el: XmlElement): string {
  if (!parent) return '0';
  const used = new Set(childrenNamed(parent, el.name).filter((k) => k !== el).map((k) => attr(k, 'id')));
  let id = 0;
  while (used.has(String(id))) id++;
  return String(id);
}

/** The fixes for one finding (empty when there is nothing safe to offer). */
export function fixesFor(doc: XmlDocument, model: SchemaModel | undefined, finding: Pick<Finding, 'code' | 'start' | 'end' | 'data' | 'message'>): FixAction[] {
  const text = doc.text;
  const data = asData(finding.data);
  const out: FixAction[] = [];
  const resolved = data.xpath ? resolveXpath(doc, data.xpath) : undefined;
  const code = finding.code;

  // A value: replace the element's (or attribute's) value.
  const valueCodes = new Set(['schema/enum', 'schema/pattern', 'schema/range', 'schema/type', 'schema/length', 'schema/no-alternative']);
  if (valueCodes.has(code) && (data.suggestion !== undefined || data.allowed)) {
    let span: { start: number; end: number } = { start: finding.start, end: finding.end };
    if (resolved?.attribute) span = { start: resolved.attribute.valueStart, end: resolved.attribute.valueEnd };
    else if (resolved?.element) {
      const el = resolved.element;
      const vs = valueSpan(text, el);
      // An empty element: insert between its tags.
      span = vs.start === el.nameStart ? (el.selfClosing ? { start: -1, end: -1 } : { start: el.startTagEnd, end: el.endTagStart >= 0 ? el.endTagStart : el.startTagEnd }) : vs;
    }
    if (span.start >= 0) {
      const current = text.slice(span.start, span.end);
      const choices: string[] = [];
      if (data.suggestion !== undefined) choices.push(data.suggestion);
      if (data.allowed && data.allowed.length <= MAX_ALTERNATIVES) for (const v of data.allowed) if (!choices.includes(v)) choices.push(v);
      choices
        .filter((v) => v !== current)
        .forEach((v, i) => out.push({ title: `Change to '${v === '' ? '(empty)' : v}'`, edits: [{ ...span, newText: v }], preferred: i === 0 && data.suggestion !== undefined }));
    }
    return out;
  }

  if (code === 'schema/unknown-element' && resolved?.element) {
    const el = resolved.element;
    if (data.suggestion) out.push({ title: `Change <${el.name}> to <${data.suggestion}>`, edits: renameElementEdits(text, el, data.suggestion), preferred: true });
    if (data.remove) out.push({ title: `Remove <${el.name}>`, edits: [removeElementEdit(text, el)], preferred: !data.suggestion });
    return out;
  }

  if (code === 'schema/unknown-attribute' && resolved?.attribute && data.suggestion) {
    const a = resolved.attribute;
    out.push({ title: `Change attribute '${a.name}' to '${data.suggestion}'`, edits: [{ start: a.nameStart, end: a.nameEnd, newText: data.suggestion }], preferred: true });
    return out;
  }

  if (code === 'schema/occurs' && resolved?.element) {
    out.push({ title: `Remove this duplicate <${resolved.element.name}>`, edits: [removeElementEdit(text, resolved.element)], preferred: true });
    return out;
  }

  if (code === 'schema/missing' && resolved?.element && data.element && model) {
    const edit = insertChildEdit(text, doc, model, resolved.element, data.element);
    if (edit) out.push({ title: `Insert the missing <${data.element}>`, edits: [edit], preferred: true });
    return out;
  }

  if (code === 'schema/missing-attribute' && resolved?.element && data.attribute) {
    const el = resolved.element;
    const value = data.attribute === 'id' ? freeId(el.parent, el) : '';
    out.push({ title: `Add ${data.attribute}="${value}"`, edits: [{ start: el.nameEnd, end: el.nameEnd, newText: ` ${data.attribute}="${value}"` }], preferred: true });
    return out;
  }

  if (data.remove && resolved?.element) {
    out.push({ title: `Remove <${resolved.element.name}>`, edits: [removeElementEdit(text, resolved.element)] });
  }
  return out;
}

/** Applies offset edits to a text (for tests and the CLI): edits must not overlap. */
export function applyEdits(text: string, edits: OffsetEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start);
  let out = text;
  for (const e of sorted) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}
