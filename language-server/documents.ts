/**
 * Per-document analysis: one per (uri, version, settings generation), shared by every feature
 * (diagnostics, hover, completion, …) so a keystroke is analyzed once.
 *
 * Two levels, so completion and hover never wait for ACRN's XPath checks:
 * - `get(doc)` answers at once: the full analysis when it is there for this version, else a light
 *   one made on the spot (parse, dialect, structure and types, NVMX rules: no assertions or
 *   datachecks, which is what costs).
 * - `full(doc)` resolves with the full analysis, made in a worker thread (analysis-worker.ts) off
 *   the request loop. A newer version of the same document drops the queued older one and cancels
 *   the running one (between two ACRN checks); its promise resolves undefined. Without a worker
 *   (none could start) the full analysis runs here, as before.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Analysis, AnalyzeOptions } from '../hv-core/engine.js';
import { LineIndex, analyzeText } from '../hv-core/engine.js';
import type { WorkOptions, WorkRequest, WorkResult } from './analysis-protocol.js';

export interface DocState {
  uri: string;
  version: number;
  generation: number;
  text: string;
  analysis: Analysis;
  lines: LineIndex;
  /** With ACRN's assertions and datachecks (false: the light analysis of get()). */
  full: boolean;
}

interface Pending {
  req: WorkRequest;
  generation: number;
  resolvers: ((s: DocState | undefined) => void)[];
}

/** Starts the worker: the bundle's dist/analysis-worker.js, or the TypeScript source under tsx. */
function spawnWorker(cancel: SharedArrayBuffer): Worker {
  const ts = __filename.endsWith('.ts');
  const file = path.join(__dirname, ts ? 'analysis-worker.ts' : 'analysis-worker.js');
  return ts ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true, workerData: { cancel } }) : new Worker(file, { workerData: { cancel } });
}

export class AnalysisCache {
  private readonly states = new Map<string, DocState>();
  private generation = 0;
  private worker: Worker | undefined;
  private workerBroken = false;
  private readonly cancelCell = new SharedArrayBuffer(4);
  private readonly cancel = new Int32Array(this.cancelCell);
  private nextId = 1;
  private readonly queue = new Map<string, Pending>();
  private running: Pending | undefined;

  /**
   * @param options the analysis options for a document (main thread)
   * @param workerOptions the same as plain data for the worker; without it, no worker is used
   */
  constructor(
    private readonly options: (uri: string) => AnalyzeOptions,
    private readonly workerOptions?: (uri: string) => WorkOptions,
    private readonly log?: (msg: string, e?: unknown) => void,
  ) {}

  /** Settings or board changed: every cached analysis is stale. */
  invalidateAll(): void {
    this.generation++;
  }

  get(doc: TextDocument): DocState {
    const cur = this.states.get(doc.uri);
    if (cur && cur.version === doc.version && cur.generation === this.generation) return cur;
    const text = doc.getText();
    const full = !this.workerOptions || this.workerBroken;
    // Light: budget 0 runs no XPath (outcomes already cached would still be used).
    const analysis = analyzeText(text, { ...this.options(doc.uri), uri: doc.uri, ...(full ? {} : { budgetMs: 0 }) });
    if (!full) analysis.findings = analysis.findings.filter((f) => f.code !== 'schema/budget');
    const state: DocState = { uri: doc.uri, version: doc.version, generation: this.generation, text, analysis, lines: new LineIndex(text), full };
    this.states.set(doc.uri, state);
    return state;
  }

  /** The full analysis of this version (undefined when a newer version superseded it). */
  full(doc: TextDocument): Promise<DocState | undefined> {
    const cur = this.states.get(doc.uri);
    if (cur?.full && cur.version === doc.version && cur.generation === this.generation) return Promise.resolve(cur);
    if (!this.workerOptions || this.workerBroken) return Promise.resolve(this.get(doc));
    const same = (p: Pending | undefined): p is Pending => !!p && p.req.uri === doc.uri && p.req.version === doc.version && p.generation === this.generation;
    const queued = this.queue.get(doc.uri);
    const joinable = same(queued) ? queued : same(this.running) ? this.running : undefined;
    if (joinable) return new Promise((resolve) => joinable.resolvers.push(resolve));
    // A newer version (or settings): the queued one goes, the running one is cancelled.
    if (queued) {
      this.queue.delete(doc.uri);
      for (const r of queued.resolvers) r(undefined);
    }
    if (this.running && this.running.req.uri === doc.uri) Atomics.store(this.cancel, 0, this.running.req.id);
    const p: Pending = { req: { id: this.nextId++, uri: doc.uri, version: doc.version, text: doc.getText(), options: this.workerOptions(doc.uri) }, generation: this.generation, resolvers: [] };
    const done = new Promise<DocState | undefined>((resolve) => p.resolvers.push(resolve));
    this.queue.set(doc.uri, p);
    this.pump();
    return done;
  }

  private pump(): void {
    if (this.running || this.queue.size === 0) return;
    const [uri, p] = this.queue.entries().next().value as [string, Pending];
    this.queue.delete(uri);
    this.running = p;
    try {
      this.worker ??= this.startWorker();
      this.worker.postMessage(p.req);
    } catch (e) {
      this.log?.('acrn-nest: the analysis worker could not start; analysing on the server thread', e);
      this.fallBack();
    }
  }

  private startWorker(): Worker {
    const w = spawnWorker(this.cancelCell);
    w.on('message', (res: WorkResult) => this.finished(res));
    // A worker that cannot start or dies: analyse on this thread from now on (as before workers).
    w.on('error', (e) => {
      this.log?.('acrn-nest: the analysis worker failed; analysing on the server thread from now on', e);
      this.fallBack();
    });
    w.on('exit', () => {
      if (this.worker === w) this.fallBack();
    });
    // The server process ends with its connection; the worker must not keep it alive (unref after
    // the listeners: attaching a 'message' listener refs the worker's port again).
    w.unref();
    return w;
  }

  private finished(res: WorkResult): void {
    const p = this.running;
    this.running = undefined;
    if (!p || p.req.id !== res.id) return;
    let state: DocState | undefined;
    if (!res.cancelled && res.analysis && p.generation === this.generation) {
      const light = this.states.get(p.req.uri);
      const doc = light && light.version === p.req.version && light.text === p.req.text ? light.analysis.doc : undefined;
      const analysis: Analysis = { ...res.analysis, doc: doc ?? this.get({ uri: p.req.uri, version: p.req.version, getText: () => p.req.text } as TextDocument).analysis.doc };
      state = { uri: p.req.uri, version: p.req.version, generation: p.generation, text: p.req.text, analysis, lines: new LineIndex(p.req.text), full: true };
      const cur = this.states.get(p.req.uri);
      if (!cur || cur.version <= p.req.version) this.states.set(p.req.uri, state);
    }
    for (const r of p.resolvers) r(state);
    this.pump();
  }

  private fallBack(): void {
    this.workerBroken = true;
    const w = this.worker;
    this.worker = undefined;
    if (w) void w.terminate();
    const all = [...(this.running ? [this.running] : []), ...this.queue.values()];
    this.running = undefined;
    this.queue.clear();
    for (const p of all) {
      const doc = { uri: p.req.uri, version: p.req.version, getText: () => p.req.text } as TextDocument;
      const st = p.generation === this.generation ? this.get(doc) : undefined;
      for (const r of p.resolvers) r(st);
    }
  }

  peek(uri: string): DocState | undefined {
    return this.states.get(uri);
  }

  delete(uri: string): void {
    this.states.delete(uri);
    const q = this.queue.get(uri);
    if (q) {
      this.queue.delete(uri);
      for (const r of q.resolvers) r(undefined);
    }
    if (this.running && this.running.req.uri === uri) Atomics.store(this.cancel, 0, this.running.req.id);
  }

  /** Ends the worker (server shutdown). */
  dispose(): void {
    const w = this.worker;
    this.worker = undefined;
    this.workerBroken = true;
    if (w) void w.terminate();
  }
}
