/**
 * Positions <-> XPaths such as `/acrn-config/vm[2]/guest_flags`. ACRN's tools (lxml's
 * getpath(), the validator, make's CRITICAL lines) name findings by XPath only; this maps them
 * back to source ranges, and maps the cursor to a path for hover and the wizard.
 *
 * Path syntax produced: lxml style, an index only when siblings share the name
 * (`/acrn-config/vm[2]/name`), `/@attr` for attributes. Path syntax accepted: the same, plus
 * `[@attr='v']` predicates, `[n]` on unique elements, a trailing `/text()`, and `//name` as the
 * first step (the first match in document order).
 */
import type { XmlAttribute, XmlDocument, XmlElement, XmlNode } from './model.js';
import { elementChildren } from './model.js';

/** lxml-style absolute path of an element. */
export function xpathOf(el: XmlElement): string {
  const steps: string[] = [];
  let cur: XmlElement | undefined = el;
  while (cur) {
    const parent: XmlElement | undefined = cur.parent;
    if (!parent) {
      steps.push(cur.name);
    } else {
      let count = 0;
      let index = 0;
      for (const c of parent.children) {
        if (c.kind === 'element' && c.name === cur.name) {
          count++;
          if (c === cur) index = count;
        }
      }
      steps.push(count > 1 ? `${cur.name}[${index}]` : cur.name);
    }
    cur = parent;
  }
  return '/' + steps.reverse().join('/');
}

export interface NodeAt {
  /** Innermost element whose span holds the offset. */
  element: XmlElement | undefined;
  /** The attribute under the offset, if any. */
  attribute: XmlAttribute | undefined;
  /** Where in the element the offset is. */
  where: 'name' | 'start-tag' | 'attr-name' | 'attr-value' | 'content' | 'end-tag' | 'outside';
  /** Path of the element (with `/@name` when on an attribute). */
  xpath: string | undefined;
}

/** The node at an offset (the cursor): element, attribute, and what part of it. */
export function nodeAt(doc: XmlDocument, offset: number): NodeAt {
  let el: XmlElement | undefined;
  let list: XmlNode[] = doc.children;
  for (;;) {
    let next: XmlElement | undefined;
    for (const c of list) {
      if (c.kind !== 'element') continue;
      if (c.start > offset) break;
      const end = c.end < 0 ? doc.text.length : c.end;
      if (offset >= c.start && (offset < end || (!c.closed && offset <= end))) {
        next = c;
        break;
      }
    }
    if (!next) break;
    el = next;
    // Only descend when the offset is inside the content.
    if (offset < next.startTagEnd || next.selfClosing) break;
    list = next.children;
  }
  if (!el) return { element: undefined, attribute: undefined, where: 'outside', xpath: undefined };
  const base = xpathOf(el);
  if (offset >= el.nameStart && offset <= el.nameEnd) return { element: el, attribute: undefined, where: 'name', xpath: base };
  if (offset < el.startTagEnd || el.startTagEnd < 0) {
    for (const a of el.attributes) {
      if (offset >= a.nameStart && offset <= a.nameEnd) return { element: el, attribute: a, where: 'attr-name', xpath: `${base}/@${a.name}` };
      if (a.valueStart >= 0 && offset >= a.valueStart && offset <= a.valueEnd) return { element: el, attribute: a, where: 'attr-value', xpath: `${base}/@${a.name}` };
    }
    return { element: el, attribute: undefined, where: 'start-tag', xpath: base };
  }
  if (el.endTagStart >= 0 && offset >= el.endTagStart) return { element: el, attribute: undefined, where: 'end-tag', xpath: base };
  return { element: el, attribute: undefined, where: 'content', xpath: base };
}

export interface Resolved {
  element: XmlElement;
  attribute?: XmlAttribute;
  /** True when the path ended in text(). */
  text?: boolean;
}

interface Step {
  name: string;
  index?: number;
  predicates: { attr: string; value: string }[];
  descendant: boolean;
}

const STEP = /^(\/\/?)([A-Za-z_][\w.:-]*|\*)((?:\[[^\]]*\])*)/;
const PRED = /\[([^\]]*)\]/g;

function parseSteps(xpath: string): { steps: Step[]; attr?: string; text: boolean } | undefined {
  let rest = xpath.trim();
  const steps: Step[] = [];
  let attr: string | undefined;
  let text = false;
  while (rest.length > 0) {
    if (rest === '/text()') {
      text = true;
      break;
    }
    const am = /^\/@([\w.:-]+)$/.exec(rest);
    if (am) {
      attr = am[1];
      break;
    }
    const m = STEP.exec(rest);
    if (!m) return undefined;
    const step: Step = { name: m[2]!, predicates: [], descendant: m[1] === '//' };
    for (const p of m[3]!.matchAll(PRED)) {
      const body = p[1]!.trim();
      if (/^\d+$/.test(body)) step.index = Number(body);
      else {
        const pm = /^@([\w.:-]+)\s*=\s*(?:'([^']*)'|"([^"]*)")$/.exec(body);
        if (!pm) return undefined;
        step.predicates.push({ attr: pm[1]!, value: pm[2] ?? pm[3] ?? '' });
      }
    }
    steps.push(step);
    rest = rest.slice(m[0].length);
  }
  return { steps, attr, text };
}

function matches(el: XmlElement, step: Step): boolean {
  if (step.name !== '*' && el.name !== step.name) return false;
  for (const p of step.predicates) {
    const a = el.attributes.find((x) => x.name === p.attr);
    if (!a || a.value !== p.value) return false;
  }
  return true;
}

function* descendants(el: XmlElement): Generator<XmlElement> {
  for (const c of elementChildren(el)) {
    yield c;
    yield* descendants(c);
  }
}

/**
 * Resolves an absolute path to the element (and attribute) it names, or undefined. When a step
 * names an element that is missing, `nearest` (if given) receives the deepest existing ancestor,
 * so a finding about a missing element can still be shown on its parent.
 */
export function resolveXpath(doc: XmlDocument, xpath: string, nearest?: { element?: XmlElement }): Resolved | undefined {
  const parsed = parseSteps(xpath);
  if (!parsed || !doc.root || parsed.steps.length === 0) return undefined;
  const [first, ...rest] = parsed.steps;
  let candidates: XmlElement[];
  if (first!.descendant) {
    candidates = [doc.root, ...descendants(doc.root)].filter((e) => matches(e, first!));
  } else {
    candidates = matches(doc.root, first!) ? [doc.root] : [];
  }
  if (first!.index !== undefined) candidates = candidates.slice(first!.index - 1, first!.index);
  const start = candidates[0];
  if (!start) return undefined;
  let cur: XmlElement = start;
  if (nearest) nearest.element = cur;
  for (const step of rest) {
    const pool: XmlElement[] = step.descendant ? [...descendants(cur)] : elementChildren(cur);
    const found = pool.filter((e) => matches(e, step));
    const next: XmlElement | undefined = step.index !== undefined ? found[step.index - 1] : found[0];
    if (!next) return undefined;
    cur = next;
    if (nearest) nearest.element = cur;
  }
  if (parsed.attr !== undefined) {
    const a = cur.attributes.find((x) => x.name === parsed.attr);
    return a ? { element: cur, attribute: a } : undefined;
  }
  return { element: cur, text: parsed.text };
}
