/**
 * Hover over an ACRN scenario: on an element name (start or end tag), the element's schema
 * documentation and facts; on a value, that value's documentation first; on an attribute, its
 * declaration. Offsets in, Markdown and the hovered span out; the language server converts.
 */
import type { XmlDocument, XmlElement } from '../xml/model.js';
import { elementChildren, valueOf, valueSpan } from '../xml/model.js';
import { nodeAt } from '../xml/xpath.js';
import { rstInline } from '../rst.js';
import type { DeclarationAt, SchemaModel } from './model.js';
import { declarationAt, resolveType, simpleTypeOf, typeLabel } from './query.js';
import { describeElement, describeValue, docMarkdown } from './describe.js';

export interface HoverResult {
  markdown: string;
  start: number;
  end: number;
}

export interface HoverInput {
  doc: XmlDocument;
  offset: number;
  model: SchemaModel;
}

/** Start of the name inside an end tag `</name>`, or -1. */
function endTagNameStart(el: XmlElement, text: string): number {
  if (el.endTagStart < 0) return -1;
  return text.startsWith('</', el.endTagStart) ? el.endTagStart + 2 : -1;
}

function at(model: SchemaModel, el: XmlElement): DeclarationAt | undefined {
  return declarationAt(model, el);
}

export function hoverAt(input: HoverInput): HoverResult | undefined {
  const { doc, offset, model } = input;
  const n = nodeAt(doc, offset);
  const el = n.element;
  if (!el) return undefined;
  const text = doc.text;

  if (n.where === 'name' || n.where === 'end-tag') {
    let start = el.nameStart;
    let end = el.nameEnd;
    if (n.where === 'end-tag') {
      const s = endTagNameStart(el, text);
      if (s < 0 || offset < s || offset > s + el.name.length) return undefined;
      start = s;
      end = s + el.name.length;
    }
    const d = at(model, el);
    if (!d) return unknownHover(model, el, start, end);
    const simple = elementChildren(el).length === 0 && simpleTypeOf(model, d) !== undefined;
    return { markdown: describeElement(model, d, simple ? { current: valueOf(el) } : {}), start, end };
  }

  if (n.where === 'attr-name' || n.where === 'attr-value') {
    const a = n.attribute;
    if (!a) return undefined;
    const d = at(model, el);
    const t = d?.type;
    const decl = t?.kind === 'complex' ? t.attributes.find((x) => x.name === a.name) : undefined;
    if (!decl) return undefined;
    const parts = [`**@${a.name}** of \`${el.name}\``];
    if (decl.documentation) parts.push(docMarkdown(decl.documentation));
    const facts = [`Type: \`${typeLabel(decl.type)}\``, decl.use === 'required' ? 'Required' : 'Optional'];
    if (decl.default !== undefined) facts.push(`Default: \`${decl.default}\``);
    parts.push(facts.join(' · '));
    return { markdown: parts.join('\n\n'), start: a.nameStart, end: a.valueEnd >= 0 ? a.valueEnd + 1 : a.nameEnd };
  }

  if (n.where === 'content' && elementChildren(el).length === 0) {
    const span = valueSpan(text, el);
    if (span.start === el.nameStart) return undefined; // no text
    if (offset < span.start || offset > span.end) return undefined;
    const d = at(model, el);
    if (!d || !simpleTypeOf(model, d)) return undefined;
    return { markdown: describeValue(model, d, text.slice(span.start, span.end)), start: span.start, end: span.end };
  }
  return undefined;
}

/** An element the schema does not declare here: say so, and what its parent allows. */
function unknownHover(model: SchemaModel, el: XmlElement, start: number, end: number): HoverResult | undefined {
  const parent = el.parent;
  if (!parent) return undefined;
  const pd = declarationAt(model, parent);
  if (!pd) return undefined;
  const t = pd.type ?? resolveType(model, pd.decl.type);
  const title = pd.decl.acrn?.title ? ` (${rstInline(pd.decl.acrn.title)})` : '';
  return { markdown: `\`${el.name}\` is not declared in \`${parent.name}\`${title} by the ACRN ${model.label} schema.${t?.kind === 'complex' ? ' Use completion (Ctrl+Space) inside it to see what is allowed.' : ''}`, start, end };
}
