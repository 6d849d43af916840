/**
 * Completion latency on the largest official v3.3 scenario, with its own ACRN tree and board:
 * hundreds of cursor positions (inside every value, on every tag name, in the whitespace of every
 * section, after a freshly typed `<`), each timed
 *  - in hv-core (schema lookup + complete() + conversion to LSP items), and
 *  - through the language server, in-process over JSON-RPC, as an editor asks for it.
 * Target: p95 <= 10 ms. Wall-clock and CPU time are both reported: on a shared, loaded machine
 * (the load average is printed) wall-clock outliers are mostly time spent waiting for a core.
 */
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CompletionItem, CompletionList } from 'vscode-languageserver-protocol';
import type { Report } from '../bench';
import { median, percentile } from '../bench';
import '../../hv-core/schema/bundled/index';
import { loadBoard } from '../../hv-core/schema/asserts';
import { complete } from '../../hv-core/schema/complete';
import { findBoardFile, schemaFor } from '../../hv-core/schema/index';
import type { XmlDocument, XmlElement } from '../../hv-core/xml/model';
import { elementChildren } from '../../hv-core/xml/model';
import { parseXml } from '../../hv-core/xml/parser';
import { LineIndex } from '../../hv-core/xml/positions';
import { toCompletionItem } from '../../language-server/features/completion';
import { ACRN_DATA, acrnTree, dataFiles, hasAcrnData } from '../../test/unit/helpers';
import { inProcessServer } from '../../test/unit/lsp-inprocess';

export const title = 'Completion latency (largest official v3.3 scenario)';

const TARGET_MS = 10;

function largestV33Scenario(): string {
  let best = '';
  let size = -1;
  for (const f of dataFiles('v3.3')) {
    if (path.basename(f, '.xml') === path.basename(path.dirname(f))) continue; // board
    const st = statSync(f);
    if (st.size > size && readFileSync(f, 'utf8').includes('<vm')) {
      size = st.size;
      best = f;
    }
  }
  return best;
}

/** Cursor offsets: in every value, on every name, in every section's whitespace. */
function positions(doc: XmlDocument): number[] {
  const out: number[] = [];
  const walk = (el: XmlElement): void => {
    out.push(el.nameStart + Math.min(2, el.name.length));
    const kids = elementChildren(el);
    if (kids.length === 0 && el.endTagStart > el.startTagEnd) out.push((el.startTagEnd + el.endTagStart) >> 1);
    if (kids.length > 0) out.push(kids[0]!.start - 1);
    for (const k of kids) walk(k);
  };
  if (doc.root) walk(doc.root);
  return out;
}

function stats(xs: number[]): string {
  return `p50 ${median(xs).toFixed(2)} ms, p95 ${percentile(xs, 95).toFixed(2)} ms, max ${Math.max(...xs).toFixed(1)} ms`;
}

export async function run(report: Report): Promise<void> {
  if (!hasAcrnData()) throw new Error(`no ACRN data at ${ACRN_DATA}`);
  const file = largestV33Scenario();
  const tree = acrnTree('v3.3');
  const text = readFileSync(file, 'utf8');
  const doc = parseXml(text);
  const lines = new LineIndex(text);
  const uri = pathToFileURL(file).toString();
  const boardFile = findBoardFile({ scenarioPath: file, doc, acrnTree: tree });
  const board = boardFile ? loadBoard(boardFile) : undefined;
  const offsets = positions(doc);

  // "<" typed in every section: a second document per position would measure parsing, so the
  // typed `<` variants use one document with a `<` at the start of each section's content.
  const lt = text.replace(/(<(hv|vm|FEATURES|DEBUG_OPTIONS|os_config|cpu_affinity|vuart_connections)\b[^>]*>)/g, '$1<');
  const ltDoc = parseXml(lt);
  const ltOffsets: number[] = [];
  for (let i = lt.indexOf('><'); i >= 0; i = lt.indexOf('><', i + 1)) if (lt[i + 2] === '\n' || lt[i + 2] === ' ') ltOffsets.push(i + 2);

  const once = (d: XmlDocument, li: LineIndex, off: number): number => {
    const choice = schemaFor({ acrnTree: tree, uri, family: 'v3', version: '3.x' })!;
    const entries = complete({ doc: d, offset: off, model: choice.model, ...(board ? { board } : {}) });
    return entries.map((e) => toCompletionItem(li, off, e)).length;
  };
  // Warm: the schema, the board's options and the documentation caches (a session's first request).
  const t0 = performance.now();
  once(doc, lines, offsets[0]!);
  const first = performance.now() - t0;
  for (const o of offsets) once(doc, lines, o);

  const core: number[] = [];
  const coreCpu: number[] = [];
  let items = 0;
  const ltLines = new LineIndex(lt);
  for (let round = 0; round < 3; round++) {
    const timed = (d: XmlDocument, li: LineIndex, o: number): void => {
      const c = process.cpuUsage();
      const a = performance.now();
      items += once(d, li, o);
      core.push(performance.now() - a);
      const u = process.cpuUsage(c);
      coreCpu.push((u.user + u.system) / 1000);
    };
    for (const o of offsets) timed(doc, lines, o);
    for (const o of ltOffsets) timed(ltDoc, ltLines, o);
  }
  report({ figure: `file ${path.relative(ACRN_DATA, file)} (${(text.length / 1024).toFixed(1)} KB), board ${boardFile ? path.basename(boardFile) : 'none'}`, value: `${offsets.length + ltOffsets.length} positions` });
  report({ figure: 'first completion of a session (schema + board + docs cold)', value: `${first.toFixed(1)} ms` });
  report({ figure: 'machine load average (1 min) / cores', value: `${os.loadavg()[0]!.toFixed(1)} / ${os.cpus().length}` });
  report({ figure: `hv-core: complete() + LSP items, ${core.length} requests (${(items / core.length).toFixed(1)} items avg), wall`, value: stats(core), target: `p95 <= ${TARGET_MS} ms`, ok: percentile(core, 95) <= TARGET_MS });
  report({ figure: '  same requests, CPU time', value: stats(coreCpu), target: `p95 <= ${TARGET_MS} ms`, ok: percentile(coreCpu, 95) <= TARGET_MS });

  // Through the language server, in-process JSON-RPC (what the editor waits for).
  const server = await inProcessServer({ acrnTree: tree, boardFile: boardFile ?? '', maxFileSizeMB: 10 });
  try {
    const diag = server.diagnostics(uri);
    server.open(uri, text, 1);
    await diag;
    const rpc: number[] = [];
    const rpcCpu: number[] = [];
    for (let round = 0; round < 2; round++) {
      for (const o of offsets) {
        const c = process.cpuUsage();
        const a = performance.now();
        const r = await server.request<CompletionList | CompletionItem[] | null>('textDocument/completion', { textDocument: { uri }, position: lines.positionAt(o) });
        rpc.push(performance.now() - a);
        const u = process.cpuUsage(c);
        rpcCpu.push((u.user + u.system) / 1000);
        if (r === undefined) throw new Error('no answer');
      }
    }
    report({ figure: `language server round trip (JSON-RPC in-process, ${rpc.length} requests), wall`, value: stats(rpc), target: `p95 <= ${TARGET_MS} ms`, ok: percentile(rpc, 95) <= TARGET_MS });
    report({ figure: '  same requests, CPU time (client + server)', value: stats(rpcCpu), target: `p95 <= ${TARGET_MS} ms`, ok: percentile(rpcCpu, 95) <= TARGET_MS });
  } finally {
    server.stop();
  }
}
