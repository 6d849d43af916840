/**
 * The XML document model every acrn-nest feature stands on: a concrete tree with exact source
 * offsets (UTF-16 code units, as LSP and JS strings count them) for every element, attribute,
 * text run and comment, plus the well-formedness errors found on the way. The parser never
 * throws: a broken document still yields a tree, so completion and hover keep working while the
 * user types.
 */

export interface Span {
  /** Offset of the first character. */
  start: number;
  /** Offset just past the last character. */
  end: number;
}

export interface XmlAttribute extends Span {
  name: string;
  nameStart: number;
  nameEnd: number;
  /** Decoded value (entities resolved); '' when the value is missing. */
  value: string;
  /** Span of the raw value between the quotes; -1 when there is no value. */
  valueStart: number;
  valueEnd: number;
}

export interface XmlElement extends Span {
  kind: 'element';
  name: string;
  parent: XmlElement | undefined;
  nameStart: number;
  nameEnd: number;
  attributes: XmlAttribute[];
  children: XmlNode[];
  /** Offset just past the start tag's `>` (or `/>`); equals end for self-closing elements. */
  startTagEnd: number;
  /** Start of the end tag `</name>`; -1 when self-closing or never closed. */
  endTagStart: number;
  selfClosing: boolean;
  /** False when the element was never closed (recovered at EOF or by an outer end tag). */
  closed: boolean;
}

export interface XmlText extends Span {
  kind: 'text' | 'cdata';
  parent: XmlElement | undefined;
  /** Decoded text. */
  value: string;
}

export interface XmlComment extends Span {
  kind: 'comment';
  parent: XmlElement | undefined;
  value: string;
}

export interface XmlProcessing extends Span {
  kind: 'pi' | 'doctype';
  parent: XmlElement | undefined;
  value: string;
}

export type XmlNode = XmlElement | XmlText | XmlComment | XmlProcessing;

export interface XmlError extends Span {
  message: string;
  code: string;
}

export interface XmlDocument {
  text: string;
  /** Top-level nodes (prolog, root, trailing comments). */
  children: XmlNode[];
  /** The first top-level element, if any. */
  root: XmlElement | undefined;
  errors: XmlError[];
  /**
   * Set when elements nest deeper than MAX_DEPTH (parser.ts): the first element past the limit.
   * Elements deeper than the limit are parsed (well-formedness) but kept out of the tree, so every
   * walk over it stays bounded; the analysis reports this as an error and checks the rest.
   */
  tooDeep?: { start: number; end: number; depth: number };
}

/** Child elements of an element (skipping text and comments). */
export function elementChildren(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) if (c.kind === 'element') out.push(c);
  return out;
}

/** First child element with the given name. */
export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  if (!el) return undefined;
  for (const c of el.children) if (c.kind === 'element' && c.name === name) return c;
  return undefined;
}

/** All child elements with the given name. */
export function childrenNamed(el: XmlElement | undefined, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  if (!el) return out;
  for (const c of el.children) if (c.kind === 'element' && c.name === name) out.push(c);
  return out;
}

/** Follows a path of child names, e.g. path(root, 'hv', 'FEATURES', 'SCHEDULER'). */
export function path(el: XmlElement | undefined, ...names: string[]): XmlElement | undefined {
  let cur = el;
  for (const n of names) {
    cur = child(cur, n);
    if (!cur) return undefined;
  }
  return cur;
}

/** Concatenated decoded text of an element's direct text and CDATA children. */
export function textOf(el: XmlElement | undefined): string {
  if (!el) return '';
  let s = '';
  for (const c of el.children) if (c.kind === 'text' || c.kind === 'cdata') s += c.value;
  return s;
}

/** Trimmed text content: what ACRN's tools compare against. */
export function valueOf(el: XmlElement | undefined): string {
  return textOf(el).trim();
}

/** Attribute value or undefined. */
export function attr(el: XmlElement | undefined, name: string): string | undefined {
  if (!el) return undefined;
  for (const a of el.attributes) if (a.name === name) return a.value;
  return undefined;
}

/**
 * The span of an element's trimmed text content, which is where a diagnostic about a value
 * belongs; the element's name when it has no text.
 */
export function valueSpan(text: string, el: XmlElement): Span {
  let first = -1;
  let last = -1;
  for (const c of el.children) {
    if (c.kind === 'text' || c.kind === 'cdata') {
      if (c.value.trim() === '') continue;
      if (first < 0) first = c.start;
      last = c.end;
    }
  }
  if (first < 0) return { start: el.nameStart, end: el.nameEnd };
  const raw = text.slice(first, last);
  const lead = raw.length - raw.trimStart().length;
  const trail = raw.length - raw.trimEnd().length;
  return { start: first + lead, end: last - trail };
}

/** The span of an element's content between its tags (empty at startTagEnd when self-closing). */
export function contentSpan(el: XmlElement): Span {
  if (el.selfClosing) return { start: el.end, end: el.end };
  const end = el.endTagStart >= 0 ? el.endTagStart : el.end;
  return { start: el.startTagEnd, end };
}
