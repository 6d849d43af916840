/**
 * Minimal text edits on an XML document: change one value, insert whole lines, delete whole
 * lines. Every edit touches only the lines it must; indentation and newline style are read from
 * the file so inserted lines look like their neighbours.
 */
import type { XmlElement } from '../xml/model.js';
import { contentSpan, valueSpan } from '../xml/model.js';
import { AcrnNestError } from '../errors.js';

export interface TextEdit {
  /** Offsets into the original text (UTF-16). */
  start: number;
  end: number;
  newText: string;
}

/** Applies edits (non-overlapping, any order) to a text. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  let out = '';
  let pos = 0;
  for (const e of sorted) {
    if (e.start < pos) throw new AcrnNestError('nvmx/overlapping-edits', `overlapping edits at offset ${e.start}`);
    out += text.slice(pos, e.start) + e.newText;
    pos = e.end;
  }
  return out + text.slice(pos);
}

/** The file's conventions: newline and indentation unit. */
export class TextStyle {
  readonly eol: string;
  readonly unit: string;

  constructor(readonly text: string) {
    this.eol = text.includes('\r\n') ? '\r\n' : '\n';
    this.unit = detectUnit(text);
  }

  lineStart(offset: number): number {
    return this.text.lastIndexOf('\n', offset - 1) + 1;
  }

  /** Offset of the line end (before \r\n or \n) at or after offset. */
  lineEnd(offset: number): number {
    let i = this.text.indexOf('\n', offset);
    if (i < 0) return this.text.length;
    if (i > 0 && this.text[i - 1] === '\r') i--;
    return i;
  }

  /** Offset just past the newline ending the line at offset. */
  nextLineStart(offset: number): number {
    const i = this.text.indexOf('\n', offset);
    return i < 0 ? this.text.length : i + 1;
  }

  /** The whitespace before an element on its line ('' when something else precedes it). */
  indentOf(el: { start: number }): string {
    const ls = this.lineStart(el.start);
    const before = this.text.slice(ls, el.start);
    return /^[ \t]*$/.test(before) ? before : '';
  }

  /** Indentation for a new child of el: an existing child's, else el's plus one unit. */
  childIndent(el: XmlElement): string {
    for (const c of el.children) if (c.kind === 'element' || c.kind === 'comment') {
      const ind = this.indentOf(c);
      if (ind || this.text.slice(this.lineStart(c.start), c.start) === '') return ind;
    }
    return this.indentOf(el) + this.unit;
  }
}

function detectUnit(text: string): string {
  const counts = new Map<string, number>();
  let prev = '';
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim().startsWith('<')) continue;
    const ind = /^[ \t]*/.exec(line)![0];
    if (ind.length > prev.length && ind.startsWith(prev)) {
      const d = ind.slice(prev.length);
      counts.set(d, (counts.get(d) ?? 0) + 1);
    }
    prev = ind;
  }
  let best = '  ';
  let n = 0;
  for (const [k, v] of counts) if (v > n) {
    best = k;
    n = v;
  }
  return best;
}

/** Replaces an element's value (its trimmed text), or fills an empty/self-closing element. */
export function setValueEdit(text: string, el: XmlElement, value: string): TextEdit {
  if (el.selfClosing) {
    // `<X/>` or `<X />` -> `<X>v</X>`
    const tag = text.slice(el.start, el.end);
    const head = tag.replace(/\s*\/>$/, '');
    return { start: el.start, end: el.end, newText: `${head}>${escapeText(value)}</${el.name}>` };
  }
  const hasText = el.children.some((c) => (c.kind === 'text' || c.kind === 'cdata') && c.value.trim() !== '');
  if (!hasText) {
    const cs = contentSpan(el);
    return { start: cs.start, end: cs.end, newText: escapeText(value) };
  }
  const vs = valueSpan(text, el);
  return { start: vs.start, end: vs.end, newText: escapeText(value) };
}

export function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Span covering an element's whole lines (leading indentation through the newline), when it sits alone on them. */
export function lineSpan(style: TextStyle, node: { start: number; end: number }): { start: number; end: number } {
  const ls = style.lineStart(node.start);
  const before = style.text.slice(ls, node.start);
  const le = style.lineEnd(node.end);
  const after = style.text.slice(node.end, le);
  if (/^[ \t]*$/.test(before) && /^[ \t]*(<!--[^\n]*?-->)?[ \t]*$/.test(after)) {
    return { start: ls, end: style.nextLineStart(node.end) };
  }
  return { start: node.start, end: node.end };
}

/** Deletes an element together with its line (and a trailing same-line comment). */
export function deleteElementEdit(style: TextStyle, el: XmlElement): TextEdit {
  const s = lineSpan(style, el);
  return { start: s.start, end: s.end, newText: '' };
}

/**
 * Inserts lines (each already relative to the parent's child indentation; nested lines carry their
 * own extra units) after `after` (an element or comment in parent) or, when undefined, as the first
 * children of parent.
 */
export function insertLinesEdit(style: TextStyle, parent: XmlElement, after: { end: number } | undefined, lines: string[]): TextEdit {
  const indent = style.childIndent(parent);
  const body = lines.map((l) => indent + l).join(style.eol);
  if (after) {
    const le = style.lineEnd(after.end);
    return { start: le, end: le, newText: style.eol + body };
  }
  if (parent.selfClosing) {
    const tag = style.text.slice(parent.start, parent.end).replace(/\s*\/>$/, '');
    return { start: parent.start, end: parent.end, newText: `${tag}>${style.eol}${body}${style.eol}${style.indentOf(parent)}</${parent.name}>` };
  }
  const le = style.lineEnd(parent.startTagEnd);
  if (le < (parent.endTagStart >= 0 ? parent.endTagStart : parent.end)) return { start: le, end: le, newText: style.eol + body };
  // Start and end tag on one line: `<p></p>` -> expand.
  return { start: parent.startTagEnd, end: parent.endTagStart, newText: `${style.eol}${body}${style.eol}${style.indentOf(parent)}` };
}
