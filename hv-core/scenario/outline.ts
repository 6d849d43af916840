/**
 * The outline of an ACRN file (document symbols): `hv` with its sections, each VM by id, name and
 * type (v2: `vm id=0: ACRN_Service_VM (SOS_VM)`; v3: `vm id=0: ACRN_Service_VM (SERVICE_VM/STANDARD_VM)`),
 * the VM's own sections, and the inter-VM vUART links (v2 communication_vuart targets, v3
 * hv/vuart_connections). Board files list their top-level sections. Offsets, not LSP ranges: the
 * language server converts.
 */
import type { XmlDocument, XmlElement } from '../xml/model.js';
import { attr, child, childrenNamed, elementChildren, valueOf } from '../xml/model.js';
import type { Dialect } from './dialect.js';

export type OutlineKind = 'root' | 'hv' | 'section' | 'setting' | 'vm' | 'vuart' | 'list-item';

export interface OutlineSymbol {
  name: string;
  detail?: string;
  kind: OutlineKind;
  /** The whole element. */
  start: number;
  end: number;
  /** What to select when the symbol is picked: the element's name in its start tag. */
  selectionStart: number;
  selectionEnd: number;
  children: OutlineSymbol[];
}

const MAX_DETAIL = 60;

function clip(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > MAX_DETAIL ? one.slice(0, MAX_DETAIL - 1) + '…' : one;
}

function sym(el: XmlElement, name: string, kind: OutlineKind, detail?: string, children: OutlineSymbol[] = []): OutlineSymbol {
  const end = el.end >= el.start ? el.end : el.startTagEnd;
  const s: OutlineSymbol = { name, kind, start: el.start, end: Math.max(end, el.nameEnd), selectionStart: el.nameStart, selectionEnd: el.nameEnd, children };
  if (detail) s.detail = detail;
  return s;
}

function label(el: XmlElement): string {
  const id = attr(el, 'id');
  return id !== undefined ? `${el.name} id=${id}` : el.name;
}

/** A generic element: sections recurse, leaves show their value as detail. */
function generic(el: XmlElement, depth: number): OutlineSymbol {
  const kids = elementChildren(el);
  if (kids.length === 0) return sym(el, label(el), 'setting', clip(valueOf(el)) || undefined);
  const children = depth > 0 ? kids.map((k) => generic(k, depth - 1)) : [];
  return sym(el, label(el), 'section', undefined, children);
}

function vuartConnection(el: XmlElement): OutlineSymbol {
  const name = valueOf(child(el, 'name')) || 'vuart_connection';
  const ends = childrenNamed(el, 'endpoint').map((e) => valueOf(child(e, 'vm_name')) || '?');
  const type = valueOf(child(el, 'type'));
  const detail = [type, ends.join(' ↔ ')].filter(Boolean).join(': ');
  return sym(el, name, 'vuart', detail || undefined, elementChildren(el).map((k) => generic(k, 2)));
}

function hvSymbol(hv: XmlElement): OutlineSymbol {
  const children = elementChildren(hv).map((s) => {
    if (s.name === 'vuart_connections') {
      const links = childrenNamed(s, 'vuart_connection').map(vuartConnection);
      return sym(s, s.name, 'section', `${links.length} connection${links.length === 1 ? '' : 's'}`, links);
    }
    return generic(s, 3);
  });
  return sym(hv, 'hv', 'hv', undefined, children);
}

/** The VM's title: `vm id=N: name (type)`, in the dialect's terms. */
export function vmTitle(vm: XmlElement, family: 'v2' | 'v3' | undefined): string {
  const id = attr(vm, 'id');
  const name = valueOf(child(vm, 'name'));
  const vmType = valueOf(child(vm, 'vm_type'));
  const loadOrder = valueOf(child(vm, 'load_order'));
  const head = id !== undefined ? `vm id=${id}` : 'vm';
  const type = family === 'v3' || loadOrder ? [loadOrder, vmType].filter(Boolean).join('/') : vmType;
  return `${head}${name ? `: ${name}` : ''}${type ? ` (${type})` : ''}`;
}

function vmSymbol(vm: XmlElement, family: 'v2' | 'v3' | undefined): OutlineSymbol {
  const children: OutlineSymbol[] = [];
  for (const k of elementChildren(vm)) {
    if (k.name === 'legacy_vuart' || k.name === 'console_vuart' || k.name === 'communication_vuart') {
      const base = valueOf(child(k, 'base'));
      const parts: string[] = [];
      if (elementChildren(k).length === 0) parts.push(valueOf(k));
      else if (base) parts.push(base);
      const tvm = valueOf(child(k, 'target_vm_id'));
      if (tvm && base && !/^INVALID/.test(base)) parts.push(`→ vm ${tvm}${valueOf(child(k, 'target_uart_id')) ? ` uart ${valueOf(child(k, 'target_uart_id'))}` : ''}`);
      children.push(sym(k, label(k), 'vuart', clip(parts.join(' ')) || undefined, elementChildren(k).map((x) => generic(x, 1))));
    } else {
      children.push(generic(k, 3));
    }
  }
  return sym(vm, vmTitle(vm, family), 'vm', undefined, children);
}

export function outline(doc: XmlDocument, dialect: Dialect | undefined): OutlineSymbol[] {
  const root = doc.root;
  if (!root) return [];
  if (dialect?.kind === 'scenario' || (!dialect && (child(root, 'hv') || child(root, 'vm')))) {
    const out: OutlineSymbol[] = [];
    for (const k of elementChildren(root)) {
      if (k.name === 'hv') out.push(hvSymbol(k));
      else if (k.name === 'vm') out.push(vmSymbol(k, dialect?.family));
      else out.push(generic(k, 2));
    }
    return out;
  }
  // Board and launch files: top-level sections, shallow (board files are large).
  return elementChildren(root).map((k) => generic(k, dialect?.kind === 'board' ? 1 : 3));
}
