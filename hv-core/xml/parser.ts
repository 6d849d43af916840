/**
 * A small, fault-tolerant XML scanner written for acrn-nest (see README "Parser choice" for the
 * measurements that picked it). One pass, no regex backtracking, exact UTF-16 offsets, and
 * recovery that keeps as much of the tree as possible:
 *  - an end tag that matches an outer element closes the inner ones (each reported as not closed);
 *  - an end tag that matches nothing is reported and skipped;
 *  - a start tag cut off by `<` or EOF ends there;
 *  - unterminated comments, CDATA and attribute values end at EOF with an error.
 * It never throws and never loops: every step advances the cursor.
 */
import type { XmlAttribute, XmlDocument, XmlElement, XmlError, XmlNode } from './model.js';

const MAX_ERRORS = 200;

const enum Ch {
  Tab = 9,
  LF = 10,
  CR = 13,
  Space = 32,
  Bang = 33,
  DQuote = 34,
  Amp = 38,
  SQuote = 39,
  Dash = 45,
  Slash = 47,
  Semi = 59,
  Lt = 60,
  Eq = 61,
  Gt = 62,
  Question = 63,
  LBracket = 91,
  RBracket = 93,
}

function isSpace(c: number): boolean {
  return c === Ch.Space || c === Ch.LF || c === Ch.Tab || c === Ch.CR;
}

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58 || (c >= 0xc0 && c !== 0xd7 && c !== 0xf7 && c < 0xfffe);
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57) || c === Ch.Dash || c === 46 || c === 0xb7;
}

/** XML 1.0 Char production, restricted to what a UTF-16 unit can say on its own. */
function isBadChar(c: number): boolean {
  return (c < 0x20 && c !== Ch.Tab && c !== Ch.LF && c !== Ch.CR) || c === 0xfffe || c === 0xffff;
}

function lineOf(s: string, offset: number): number {
  let line = 1;
  for (let i = s.indexOf('\n'); i >= 0 && i < offset; i = s.indexOf('\n', i + 1)) line++;
  return line;
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export interface ParseOptions {
  /** Stop collecting errors after this many (the tree is still complete). */
  maxErrors?: number;
}

/** Deepest nesting kept in the tree (ACRN scenario and board files nest under 10 levels). */
export const MAX_DEPTH = 256;

export function parseXml(text: string, options: ParseOptions = {}): XmlDocument {
  return new Parser(text, options.maxErrors ?? MAX_ERRORS).run();
}

class Parser {
  private pos = 0;
  private readonly errors: XmlError[] = [];
  private readonly top: XmlNode[] = [];
  private readonly stack: XmlElement[] = [];
  private root: XmlElement | undefined;
  private badCharReported = false;
  private tooDeep: XmlDocument['tooDeep'];

  constructor(
    private readonly s: string,
    private readonly maxErrors: number,
  ) {}

  run(): XmlDocument {
    const s = this.s;
    const n = s.length;
    // A byte-order mark is not content.
    if (s.charCodeAt(0) === 0xfeff) this.pos = 1;
    while (this.pos < n) {
      const c = s.charCodeAt(this.pos);
      if (c === Ch.Lt) this.markup();
      else this.text();
    }
    // Everything still open at EOF was never closed: report once, where the file breaks, naming
    // the innermost open element (the outer ones are implied by it).
    if (this.stack.length > 0) {
      const inner = this.stack[this.stack.length - 1]!;
      const names = this.stack.map((e) => `<${e.name}>`).reverse();
      this.error(n, n, 'eof-in-element', `Unexpected end of file: ${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''} not closed (<${inner.name}> opened on line ${lineOf(this.s, inner.start)})`);
      for (const el of this.stack) {
        el.end = n;
        el.closed = false;
      }
      this.stack.length = 0;
    }
    if (!this.root) {
      const first = this.firstNonSpace();
      this.error(first, n, 'no-root', n === 0 || first === n ? 'Empty document: an XML file needs a root element' : 'No root element found');
    }
    const doc: XmlDocument = { text: s, children: this.top, root: this.root, errors: this.errors };
    if (this.tooDeep) doc.tooDeep = this.tooDeep;
    return doc;
  }

  // ----------------------------------------------------------------------------------------------

  private error(start: number, end: number, code: string, message: string): void {
    if (this.errors.length >= this.maxErrors) return;
    // Never point past the end of the text (an error found at EOF covers the last character).
    const n = this.s.length;
    const s0 = Math.min(start, n);
    const e0 = Math.min(Math.max(s0, end), n);
    this.errors.push({ start: s0 === n && n > 0 && e0 === s0 ? n - 1 : s0, end: e0, code, message });
  }

  private firstNonSpace(): number {
    let i = 0;
    while (i < this.s.length && isSpace(this.s.charCodeAt(i))) i++;
    return i;
  }

  private get current(): XmlElement | undefined {
    return this.stack[this.stack.length - 1];
  }

  private add(node: XmlNode): void {
    const parent = this.current;
    if (parent) parent.children.push(node);
    else this.top.push(node);
  }

  private checkChars(from: number, to: number): void {
    if (this.badCharReported) return;
    const s = this.s;
    for (let i = from; i < to; i++) {
      const c = s.charCodeAt(i);
      if (isBadChar(c)) {
        this.badCharReported = true;
        const what = c === 0 ? 'a NUL byte (is this a binary file?)' : `control character U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
        this.error(i, i + 1, 'invalid-char', `Invalid XML character: ${what}`);
        return;
      }
    }
  }

  /** Character data up to the next `<`. */
  private text(): void {
    const s = this.s;
    const start = this.pos;
    let end = s.indexOf('<', start);
    if (end < 0) end = s.length;
    this.pos = end;
    this.checkChars(start, end);
    const raw = s.slice(start, end);
    const value = raw.indexOf('&') >= 0 ? this.decode(raw, start) : raw;
    const parent = this.current;
    if (!parent && value.trim() !== '') {
      const lead = raw.length - raw.trimStart().length;
      this.error(start + lead, end, this.root ? 'content-after-root' : 'content-before-root', this.root ? 'Text after the root element' : 'Text before the root element');
    }
    this.add({ kind: 'text', start, end, parent, value });
  }

  /** Resolves entity and character references, reporting bad ones at their offsets. */
  private decode(raw: string, base: number): string {
    let out = '';
    let i = 0;
    while (i < raw.length) {
      const amp = raw.indexOf('&', i);
      if (amp < 0) {
        out += raw.slice(i);
        break;
      }
      out += raw.slice(i, amp);
      const semi = raw.indexOf(';', amp + 1);
      const cand = semi > amp && semi - amp <= 12 ? raw.slice(amp + 1, semi) : undefined;
      const ref = cand !== undefined && /^(#[xX][0-9a-fA-F]+|#[0-9]+|[A-Za-z_][\w.-]*)$/.test(cand) ? cand : undefined;
      let rep: string | undefined;
      if (ref !== undefined) {
        if (ref.startsWith('#x') || ref.startsWith('#X')) {
          const cp = /^[0-9a-fA-F]+$/.test(ref.slice(2)) ? parseInt(ref.slice(2), 16) : NaN;
          rep = Number.isFinite(cp) && cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : undefined;
        } else if (ref.startsWith('#')) {
          const cp = /^[0-9]+$/.test(ref.slice(1)) ? parseInt(ref.slice(1), 10) : NaN;
          rep = Number.isFinite(cp) && cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : undefined;
        } else {
          rep = PREDEFINED[ref];
        }
      }
      if (rep === undefined) {
        const end = ref !== undefined ? semi + 1 : amp + 1;
        this.error(base + amp, base + end, 'bad-reference', ref !== undefined ? `Unknown entity reference '&${ref};' (only &lt; &gt; &amp; &quot; &apos; and character references are defined)` : "Bare '&' in text: write '&amp;'");
        out += raw.slice(amp, end);
        i = end;
      } else {
        out += rep;
        i = semi + 1;
      }
    }
    return out;
  }

  private markup(): void {
    const s = this.s;
    const p = this.pos;
    const c1 = s.charCodeAt(p + 1);
    if (c1 === Ch.Bang) {
      if (s.startsWith('<!--', p)) return this.comment();
      if (s.startsWith('<![CDATA[', p)) return this.cdata();
      if (s.startsWith('<!DOCTYPE', p)) return this.doctype();
      this.error(p, p + 2, 'bad-markup', "Unknown markup declaration after '<!'");
      this.pos = p + 2;
      return;
    }
    if (c1 === Ch.Question) return this.pi();
    if (c1 === Ch.Slash) return this.endTag();
    if (isNameStart(c1)) return this.startTag();
    // A lone '<' in content.
    this.error(p, p + 1, 'bare-lt', "'<' must start a tag; write '&lt;' for a literal '<'");
    this.pos = p + 1;
    this.add({ kind: 'text', start: p, end: p + 1, parent: this.current, value: '<' });
  }

  private comment(): void {
    const s = this.s;
    const start = this.pos;
    const close = s.indexOf('-->', start + 4);
    let end: number;
    if (close < 0) {
      end = s.length;
      this.error(start, start + 4, 'eof-in-comment', 'Comment is not closed: missing -->');
    } else {
      end = close + 3;
      const dd = s.indexOf('--', start + 4);
      if (dd >= 0 && dd < close) this.error(dd, dd + 2, 'double-dash', "'--' is not allowed inside a comment");
    }
    this.pos = end;
    this.add({ kind: 'comment', start, end, parent: this.current, value: s.slice(start + 4, close < 0 ? end : close) });
  }

  private cdata(): void {
    const s = this.s;
    const start = this.pos;
    const close = s.indexOf(']]>', start + 9);
    const end = close < 0 ? s.length : close + 3;
    if (close < 0) this.error(start, start + 9, 'eof-in-cdata', 'CDATA section is not closed: missing ]]>');
    if (!this.current) this.error(start, end, 'content-outside-root', 'CDATA outside the root element');
    this.pos = end;
    this.add({ kind: 'cdata', start, end, parent: this.current, value: s.slice(start + 9, close < 0 ? end : close) });
  }

  private doctype(): void {
    const s = this.s;
    const start = this.pos;
    let i = start + 9;
    let depth = 0;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === Ch.LBracket) depth++;
      else if (c === Ch.RBracket) depth--;
      else if (c === Ch.Gt && depth <= 0) break;
      i++;
    }
    if (i >= s.length) this.error(start, start + 9, 'eof-in-doctype', 'DOCTYPE is not closed');
    const end = Math.min(s.length, i + 1);
    this.pos = end;
    this.add({ kind: 'doctype', start, end, parent: this.current, value: s.slice(start + 9, i).trim() });
  }

  private pi(): void {
    const s = this.s;
    const start = this.pos;
    const close = s.indexOf('?>', start + 2);
    const end = close < 0 ? s.length : close + 2;
    if (close < 0) this.error(start, start + 2, 'eof-in-pi', 'Processing instruction is not closed: missing ?>');
    const body = s.slice(start + 2, close < 0 ? end : close);
    if (/^xml\b/i.test(body) && (start !== 0 && !(start === 1 && s.charCodeAt(0) === 0xfeff))) {
      this.error(start, start + 5, 'misplaced-xml-decl', 'The XML declaration must be at the very start of the file');
    }
    this.pos = end;
    this.add({ kind: 'pi', start, end, parent: this.current, value: body });
  }

  private readName(): { name: string; start: number; end: number } {
    const s = this.s;
    const start = this.pos;
    let i = start;
    while (i < s.length && isNameChar(s.charCodeAt(i))) i++;
    this.pos = i;
    return { name: s.slice(start, i), start, end: i };
  }

  private skipSpace(): void {
    const s = this.s;
    while (this.pos < s.length && isSpace(s.charCodeAt(this.pos))) this.pos++;
  }

  private startTag(): void {
    const s = this.s;
    const start = this.pos;
    this.pos++; // '<'
    const nm = this.readName();
    const el: XmlElement = {
      kind: 'element',
      name: nm.name,
      parent: this.current,
      nameStart: nm.start,
      nameEnd: nm.end,
      attributes: [],
      children: [],
      start,
      end: -1,
      startTagEnd: -1,
      endTagStart: -1,
      selfClosing: false,
      closed: true,
    };
    if (!this.current) {
      if (this.root) this.error(nm.start, nm.end, 'multiple-roots', `Only one root element is allowed; <${nm.name}> follows <${this.root.name}>`);
      else this.root = el;
    }
    // Past the depth limit the element is read (its tags must still match) but not attached:
    // consumers that walk the tree recursively never see more than MAX_DEPTH levels.
    if (this.stack.length < MAX_DEPTH) this.add(el);
    else if (!this.tooDeep) this.tooDeep = { start: nm.start, end: nm.end, depth: this.stack.length + 1 };

    // Attributes until '>' or '/>'.
    let terminated = false;
    while (this.pos < s.length) {
      const before = this.pos;
      this.skipSpace();
      const c = s.charCodeAt(this.pos);
      if (c === Ch.Gt) {
        this.pos++;
        terminated = true;
        break;
      }
      if (c === Ch.Slash && s.charCodeAt(this.pos + 1) === Ch.Gt) {
        this.pos += 2;
        el.selfClosing = true;
        terminated = true;
        break;
      }
      if (c === Ch.Lt) break; // recovered: the tag was cut off
      if (isNameStart(c)) {
        if (before === this.pos && el.attributes.length > 0) {
          this.error(this.pos, this.pos + 1, 'attr-space', 'Attributes must be separated by white space');
        }
        this.attribute(el);
        continue;
      }
      // Garbage inside the tag.
      this.error(this.pos, this.pos + 1, 'bad-tag-char', `Unexpected character '${s[this.pos]}' in the start tag of <${el.name}>`);
      this.pos++;
    }
    el.startTagEnd = this.pos;
    if (!terminated) {
      this.error(start, nm.end, 'unclosed-start-tag', `Start tag <${el.name}> is not closed: missing '>'`);
    }
    if (el.selfClosing) {
      el.end = this.pos;
    } else {
      this.stack.push(el);
    }
  }

  private attrNamesOf: XmlElement | undefined;
  private attrNames = new Set<string>();

  private attribute(el: XmlElement): void {
    const s = this.s;
    const nm = this.readName();
    const a: XmlAttribute = { name: nm.name, nameStart: nm.start, nameEnd: nm.end, start: nm.start, end: nm.end, value: '', valueStart: -1, valueEnd: -1 };
    // Duplicate check in O(1) per attribute (a scan of the earlier ones made a tag with many
    // attributes quadratic): the names of the start tag being read, kept while it is read.
    if (this.attrNamesOf !== el) {
      this.attrNamesOf = el;
      this.attrNames = new Set(el.attributes.map((x) => x.name));
    }
    if (this.attrNames.has(a.name)) this.error(nm.start, nm.end, 'duplicate-attr', `Duplicate attribute '${a.name}' on <${el.name}>`);
    else this.attrNames.add(a.name);
    el.attributes.push(a);
    const save = this.pos;
    this.skipSpace();
    if (s.charCodeAt(this.pos) !== Ch.Eq) {
      this.pos = save;
      this.error(nm.start, nm.end, 'attr-no-value', `Attribute '${a.name}' has no value`);
      return;
    }
    this.pos++;
    this.skipSpace();
    const q = s.charCodeAt(this.pos);
    if (q !== Ch.DQuote && q !== Ch.SQuote) {
      // Unquoted value: take it up to space or tag end, report, keep going.
      const vs = this.pos;
      while (this.pos < s.length) {
        const c = s.charCodeAt(this.pos);
        if (isSpace(c) || c === Ch.Gt || c === Ch.Lt || (c === Ch.Slash && s.charCodeAt(this.pos + 1) === Ch.Gt)) break;
        this.pos++;
      }
      this.error(vs, Math.max(vs + 1, this.pos), 'attr-unquoted', `The value of attribute '${a.name}' must be quoted`);
      a.valueStart = vs;
      a.valueEnd = this.pos;
      a.value = s.slice(vs, this.pos);
      a.end = this.pos;
      return;
    }
    const vs = this.pos + 1;
    let close = s.indexOf(q === Ch.DQuote ? '"' : "'", vs);
    // A '<' inside the value means the quote was never closed. Look only inside the value: a
    // search to the next '<' of the document, once per attribute, made a long tag quadratic.
    const inValue = close < 0 ? -1 : s.slice(vs, close).indexOf('<');
    const lt = close < 0 ? s.indexOf('<', vs) : inValue >= 0 ? vs + inValue : -1;
    if (close < 0 || lt >= 0) {
      // Unterminated: stop at the end of the line or the next '<', whichever comes first.
      const nl = s.indexOf('\n', vs);
      const stops = [lt, nl, s.length].filter((x) => x >= 0);
      close = Math.min(...stops);
      this.error(this.pos, close, 'attr-unterminated', `The value of attribute '${a.name}' is not closed: missing ${q === Ch.DQuote ? '"' : "'"}`);
      a.valueStart = vs;
      a.valueEnd = close;
      a.value = s.slice(vs, close);
      a.end = close;
      this.pos = close;
      return;
    }
    const raw = s.slice(vs, close);
    a.valueStart = vs;
    a.valueEnd = close;
    a.value = raw.indexOf('&') >= 0 ? this.decode(raw, vs) : raw;
    a.end = close + 1;
    this.pos = close + 1;
  }

  private endTag(): void {
    const s = this.s;
    const start = this.pos;
    this.pos += 2;
    const nm = this.readName();
    this.skipSpace();
    let end: number;
    if (s.charCodeAt(this.pos) === Ch.Gt) {
      end = ++this.pos;
    } else {
      end = this.pos;
      this.error(start, end, 'unclosed-end-tag', `End tag </${nm.name}> is not closed: missing '>'`);
    }
    if (nm.name === '') {
      this.error(start, end, 'empty-end-tag', 'End tag without a name');
      return;
    }
    // Match against the open elements, innermost first.
    let idx = -1;
    for (let i = this.stack.length - 1; i >= 0; i--) {
      if (this.stack[i]!.name === nm.name) {
        idx = i;
        break;
      }
    }
    if (idx < 0) {
      const cur = this.current;
      this.error(nm.start, nm.end, 'unexpected-end-tag', cur ? `Unexpected end tag </${nm.name}>: <${cur.name}> is open here` : `Unexpected end tag </${nm.name}>: no element is open`);
      return;
    }
    // Close everything opened inside the matched element: each was left unclosed.
    for (let i = this.stack.length - 1; i > idx; i--) {
      const inner = this.stack[i]!;
      this.error(inner.nameStart, inner.nameEnd, 'unclosed-element', `<${inner.name}> is not closed before </${nm.name}>`);
      inner.closed = false;
      inner.end = start;
    }
    const el = this.stack[idx]!;
    this.stack.length = idx;
    el.endTagStart = start;
    el.end = end;
  }
}
