/**
 * The language server's analysis worker (a worker thread): runs hv-core's full analysis (schema,
 * ACRN's assertions and datachecks, NVMX rules) off the server's request loop, so completion and
 * hover answer while checks run. One request at a time; documents.ts queues them and drops stale
 * ones. A running analysis is cancelled when the server stores this request's id in the shared
 * `cancel` cell (a newer version of the same document arrived): ACRN's assertions stop between
 * two checks and the result is discarded.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { analyzeText, createAnalysisCaches, loadBoard } from '../hv-core/engine.js';
import type { WorkRequest, WorkResult } from './analysis-protocol.js';

const cancel = new Int32Array((workerData as { cancel: SharedArrayBuffer }).cancel);
/** What ACRN's assertions remember between this worker's analyses (boards, outcomes). */
const caches = createAnalysisCaches();

parentPort?.on('message', (r: WorkRequest) => {
  let out: WorkResult;
  try {
    const board = r.options.boardFile ? loadBoard(r.options.boardFile, caches) : undefined;
    const a = analyzeText(r.text, { maxFileMB: r.options.maxFileMB, acrnTree: r.options.acrnTree, board, uri: r.uri, caches, cancelled: () => Atomics.load(cancel, 0) === r.id });
    out = { id: r.id, cancelled: Atomics.load(cancel, 0) === r.id, analysis: { dialect: a.dialect, findings: a.findings, skipped: a.skipped } };
  } catch (e) {
    out = { id: r.id, cancelled: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  parentPort?.postMessage(out);
});
