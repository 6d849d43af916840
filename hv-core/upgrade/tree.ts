/**
 * A small mutable element tree with lxml's view of text (what ACRN's upgrader reads): an element's
 * `text` is the text before its first child, whitespace-only text between elements is dropped
 * (lxml's `remove_blank_text`), and an empty text is null. Old (v2) nodes remember where they were
 * in the source, so the report can point at them; nodes can move from the old tree to the new one,
 * as upgrader.py moves lxml elements.
 */
import type { XmlElement } from '../xml/model.js';
import { parseXml } from '../xml/parser.js';

export type SourceFile = 'scenario' | 'launch';

export class Node {
  attrs: [string, string][] = [];
  text: string | null = null;
  children: Node[] = [];
  parent: Node | null = null;
  /** Document order in the tree it was parsed from (0 for new nodes). */
  ord = 0;
  /** Where an old node's start tag is in its file. */
  at: { file: SourceFile; offset: number } | undefined;

  constructor(public tag: string) {}

  get(name: string): string | undefined {
    return this.attrs.find(([k]) => k === name)?.[1];
  }

  set(name: string, value: string): void {
    const a = this.attrs.find(([k]) => k === name);
    if (a) a[1] = value;
    else this.attrs.push([name, value]);
  }

  /** Appends (moving the node out of its old parent, as lxml does). */
  append(n: Node): void {
    if (n.parent) n.parent.children.splice(n.parent.children.indexOf(n), 1);
    n.parent = this;
    this.children.push(n);
  }

  sub(tag: string, text?: string | null): Node {
    const n = new Node(tag);
    if (text !== undefined) n.text = text;
    this.append(n);
    return n;
  }

  /** The element and its descendants, in document order (lxml's iter()). */
  *iter(): Generator<Node> {
    yield this;
    for (const c of this.children) yield* c.iter();
  }

  *descendants(): Generator<Node> {
    for (const c of this.children) yield* c.iter();
  }

  find(tag: string): Node | undefined {
    return this.children.find((c) => c.tag === tag);
  }

  findAll(tag: string): Node[] {
    return this.children.filter((c) => c.tag === tag);
  }

  *ancestors(): Generator<Node> {
    for (let p = this.parent; p; p = p.parent) yield p;
  }

  root(): Node {
    return this.parent ? this.parent.root() : this;
  }

  /** XPath string-value. */
  stringValue(): string {
    let s = this.text ?? '';
    for (const c of this.children) s += c.stringValue();
    return s;
  }

  /** lxml's getelementpath(): tags from the root down, `[i]` (1-based) where siblings share a tag; '.' for the root. */
  elementPath(): string {
    if (!this.parent) return '.';
    const same = this.parent.children.filter((c) => c.tag === this.tag);
    const me = same.length > 1 ? `${this.tag}[${same.indexOf(this) + 1}]` : this.tag;
    const up = this.parent.elementPath();
    return up === '.' ? me : `${up}/${me}`;
  }
}

/** Parses XML text into a Node tree; throws when it is not well-formed (ACRN's upgrader refuses it too). */
export function parseTree(text: string, file: SourceFile): Node {
  const doc = parseXml(text);
  if (!doc.root || doc.errors.length) {
    const e = doc.errors[0];
    throw new UpgradeInputError(`the ${file} file is not well-formed XML${e ? `: ${e.message}` : ''}`, file, e?.start ?? 0);
  }
  let ord = 0;
  const build = (el: XmlElement): Node => {
    const n = new Node(el.name);
    n.ord = ++ord;
    n.at = { file, offset: el.start };
    for (const a of el.attributes) n.attrs.push([a.name, a.value]);
    let lead = '';
    let sawChild = false;
    for (const c of el.children) {
      if (c.kind === 'text' || c.kind === 'cdata') {
        if (!sawChild) lead += c.value;
      } else if (c.kind === 'element') {
        sawChild = true;
        const k = build(c);
        k.parent = n;
        n.children.push(k);
      }
      // Comments and processing instructions are skipped: text around them is one text. (lxml
      // keeps them as children, and ACRN's upgrader then fails on any comment in the scenario;
      // acrn-nest reads such files; see docs/upgrade.md.)
    }
    lead = lead.replace(/\r\n?/g, '\n');
    n.text = lead === '' || (sawChild && lead.trim() === '') ? null : lead;
    return n;
  };
  return build(doc.root);
}

export class UpgradeInputError extends Error {
  readonly code = 'upgrade/input';
  constructor(message: string, readonly file: SourceFile, readonly offset: number) {
    super(message);
  }
}

function esc(s: string, attr: boolean): string {
  const t = s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return attr ? t.replace(/"/g, '&quot;') : t;
}

/** Serializes like lxml's pretty_print: two-space indent, leaves on one line, `<tag/>` when empty. */
export function serialize(root: Node): string {
  const lines: string[] = ['<?xml version="1.0" encoding="utf-8"?>'];
  const walk = (n: Node, depth: number): void => {
    const pad = '  '.repeat(depth);
    const open = `${n.tag}${n.attrs.map(([k, v]) => ` ${k}="${esc(v, true)}"`).join('')}`;
    if (n.children.length === 0) {
      lines.push(n.text === null ? `${pad}<${open}/>` : `${pad}<${open}>${esc(n.text, false)}</${n.tag}>`);
      return;
    }
    lines.push(`${pad}<${open}>${n.text !== null ? esc(n.text, false) : ''}`);
    for (const c of n.children) walk(c, depth + 1);
    lines.push(`${pad}</${n.tag}>`);
  };
  walk(root, 0);
  return lines.join('\n') + '\n';
}
