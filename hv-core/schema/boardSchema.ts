/**
 * A board XML checked against its ACRN tree's board schema, `misc/config_tools/schema/board.xsd`
 * (v3.0 on; the file ACRN's Configurator validates a board against), with the engine's own XSD
 * model (loader.ts) and structural validator (validate.ts): the top-level elements the
 * inspector's legacy parser writes (BIOS_INFO, PCI_DEVICE, ...) and its extractors' sections
 * (processors, memory, caches, ioapics, devices), each once, nothing else at the top.
 */
import type { Finding } from '../findings.js';
import { LineIndex } from '../xml/positions.js';
import { parseXml } from '../xml/parser.js';
import { BOARD_XSD, loadBoardSchema } from './loader.js';
import { validateStructure } from './validate.js';

export interface BoardSchemaCheck {
  /** The schema file used (absolute); undefined when the tree has no board schema (v2.x). */
  schema: string | undefined;
  /** Not-well-formed XML and schema findings, in document order. */
  findings: Finding[];
}

/** Checks a board XML's text against the board schema of `tree`. */
export function checkBoardSchema(text: string, tree: string): BoardSchemaCheck {
  const model = loadBoardSchema(tree);
  const doc = parseXml(text);
  const xml: Finding[] = doc.errors.map((e) => ({ severity: 'error', code: `xml/${e.code}`, message: e.message, start: e.start, end: e.end, source: 'xml' }));
  if (!model) return { schema: undefined, findings: xml };
  if (!doc.root || xml.length) return { schema: model.origin, findings: xml.length ? xml : [{ severity: 'error', code: 'xml/no-root', message: 'no root element', start: 0, end: 0, source: 'xml' }] };
  const { findings } = validateStructure(text, doc.root, model);
  return { schema: model.origin, findings: findings.sort((a, b) => a.start - b.start) };
}

/** `FILE:LINE:COL: severity: MESSAGE [CODE]` (1-based), one a finding. */
export function formatBoardFindings(file: string, text: string, findings: readonly Finding[]): string[] {
  const lines = new LineIndex(text);
  return findings.map((f) => {
    const p = lines.positionAt(f.start);
    return `${file}:${p.line + 1}:${p.character + 1}: ${f.severity}: ${f.message.replace(/\s*\n\s*/g, ' ')} [${f.code}]`;
  });
}

export { BOARD_XSD };
