/**
 * acrn-nest language server: a thin LSP adapter over hv-core's scenario engine. It decides per
 * document whether it is an ACRN scenario or board file and stays silent on every other XML file.
 */
import type { Connection, TextDocumentChangeEvent } from 'vscode-languageserver/node';
import { createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { AnalysisCache } from './documents.js';
import type { PathScope } from '../hv-core/engine.js';
import { SETTINGS_SECTION, VERSION, createAnalysisCaches, loadBoard, uriToPath } from '../hv-core/engine.js';
import { forgetBoard } from './features/schema-context.js';
import { toDiagnostic } from './convert.js';
import { treeMismatchDiagnostic } from './features/treeMismatch.js';
import type { DocumentInfo, ServerSettings } from './protocol.js';
import { DEFAULT_SERVER_SETTINGS, DocumentInfoNotification, DocumentInfoRequest, resolveServerSettings } from './protocol.js';
import type { ServerFeature, ServerContext } from './features/feature.js';
import { FEATURES } from './features/index.js';

const DIAGNOSTIC_DELAY_MS = 120;

export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  // Always resolved (absolute paths): `${workspaceFolder}`, `~` and relative paths are expanded
  // against the first workspace folder by hv-core/settings.ts, as the extension does.
  let settings: ServerSettings = { ...DEFAULT_SERVER_SETTINGS };
  let scope: PathScope = {};
  let supportsConfiguration = false;
  // acrnNest.boardFile reaches every checker as options.board (parsed once, cached by path + mtime);
  // without it the checkers find the board from the scenario (board= in the tree, siblings).
  // A document's own ACRN tree (its folder's acrnNest.acrnTree, asked with its scopeUri): a v2.6
  // scenario and a v3.3 one can sit in one multi-root window, each with its tree (issue 11).
  const docTrees = new Map<string, string>();
  const treeOf = (uri: string): string | undefined => (docTrees.has(uri) ? docTrees.get(uri) : settings.acrnTree) || undefined;
  // The full analysis (ACRN's assertions and datachecks) runs in a worker thread, off this loop.
  // What ACRN's assertions remember between the in-process analyses (boards, outcomes); the
  // worker holds its own.
  const caches = createAnalysisCaches();
  const cache = new AnalysisCache(
    (uri) => ({ maxFileMB: settings.maxFileSizeMB, acrnTree: treeOf(uri), board: settings.boardFile ? loadBoard(settings.boardFile, caches) : undefined, caches }),
    (uri) => ({ maxFileMB: settings.maxFileSizeMB, acrnTree: treeOf(uri), boardFile: settings.boardFile || undefined }),
    (msg, e) => log(msg, e),
  );
  const timers = new Map<string, NodeJS.Timeout>();

  function log(msg: string, e?: unknown): void {
    connection.console.error(`${msg}${e instanceof Error ? `: ${e.stack ?? e.message}` : e !== undefined ? `: ${String(e)}` : ''}`);
  }

  /** Runs a handler; an exception is logged and answered with the fallback, never a crash. */
  const guard = <T>(what: string, fallback: T, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      log(`acrn-nest: ${what} failed`, e);
      return fallback;
    }
  };

  const ctx: ServerContext = {
    connection,
    documents,
    cache,
    caches,
    settings: () => settings,
    guard,
    revalidateAll: () => {
      cache.invalidateAll();
      forgetBoard();
      for (const d of documents.all()) schedule(d.uri, 0);
    },
  };

  function info(uri: string): DocumentInfo | null {
    const doc = documents.get(uri);
    if (!doc) return null;
    const st = cache.get(doc);
    const a = st.analysis;
    return {
      uri,
      label: a.dialect?.label,
      kind: a.dialect?.kind,
      version: a.dialect?.version,
      evidence: a.dialect?.evidence,
      skipped: a.skipped,
      errors: a.findings.filter((f) => f.severity === 'error').length,
      warnings: a.findings.filter((f) => f.severity === 'warning').length,
    };
  }

  function validate(uri: string): void {
    const doc = documents.get(uri);
    if (!doc) return;
    cache.full(doc).then(
      (st) =>
        guard('validation', undefined, () => {
          // Superseded by a newer version (its own validation publishes) or closed meanwhile.
          const cur = documents.get(uri);
          if (!st || !cur || cur.version !== st.version) return;
          const diagnostics = st.analysis.findings.map((f) => toDiagnostic(uri, st.lines, f));
          const mismatch = treeMismatchDiagnostic(st, treeOf(uri));
          if (mismatch) diagnostics.unshift(mismatch);
          void connection.sendDiagnostics({ uri, version: st.version, diagnostics });
          const i = info(uri);
          if (i) void connection.sendNotification(DocumentInfoNotification.type, i);
        }),
      (e: unknown) => log('acrn-nest: validation failed', e),
    );
  }

  function schedule(uri: string, delay = DIAGNOSTIC_DELAY_MS): void {
    const prev = timers.get(uri);
    if (prev) clearTimeout(prev);
    timers.set(
      uri,
      setTimeout(() => {
        timers.delete(uri);
        validate(uri);
      }, delay),
    );
  }

  /** Asks for a document's own tree (its cached analysis is dropped when the tree differs). */
  async function pullDocTree(uri: string): Promise<void> {
    if (!supportsConfiguration) return;
    try {
      const [s] = (await connection.workspace.getConfiguration([{ scopeUri: uri, section: SETTINGS_SECTION }])) as (Partial<ServerSettings> | null)[];
      const tree = resolveServerSettings(s ?? {}, scope).acrnTree;
      if ((tree || undefined) !== treeOf(uri)) cache.delete(uri);
      docTrees.set(uri, tree);
    } catch (e) {
      log('acrn-nest: reading a document\'s settings failed', e);
    }
  }

  async function pullSettings(): Promise<void> {
    if (!supportsConfiguration) return;
    try {
      const s = (await connection.workspace.getConfiguration(SETTINGS_SECTION)) as Partial<ServerSettings> | null;
      settings = resolveServerSettings(s, scope);
    } catch (e) {
      log('acrn-nest: reading settings failed', e);
    }
  }

  connection.onInitialize((params) => {
    supportsConfiguration = !!params.capabilities.workspace?.configuration;
    const folder = uriToPath(params.workspaceFolders?.[0]?.uri ?? params.rootUri ?? undefined) ?? params.rootPath ?? undefined;
    scope = folder ? { workspaceFolder: folder } : {};
    const init = params.initializationOptions as Partial<ServerSettings> | undefined;
    if (init) settings = resolveServerSettings(init, scope);
    const capabilities: Record<string, unknown> = { textDocumentSync: TextDocumentSyncKind.Incremental };
    for (const f of FEATURES) Object.assign(capabilities, f.capabilities?.(params) ?? {});
    return { capabilities, serverInfo: { name: 'acrn-nest', version: VERSION } };
  });

  connection.onInitialized(() => {
    void pullSettings().then(() => ctx.revalidateAll());
  });

  connection.onDidChangeConfiguration(() => {
    docTrees.clear();
    void Promise.all([pullSettings(), ...documents.all().map((d) => pullDocTree(d.uri))]).then(() => ctx.revalidateAll());
  });

  connection.onRequest(DocumentInfoRequest.type, (p) => guard('documentInfo', null, () => info(p.uri)));

  documents.onDidOpen((e: TextDocumentChangeEvent<TextDocument>) => {
    // Diagnostics once the document's own tree is known (a wrong-tree warning must not flash).
    void pullDocTree(e.document.uri).then(() => schedule(e.document.uri, 0));
  });
  documents.onDidChangeContent((e) => schedule(e.document.uri));
  documents.onDidClose((e) => {
    const t = timers.get(e.document.uri);
    if (t) clearTimeout(t);
    timers.delete(e.document.uri);
    cache.delete(e.document.uri);
    docTrees.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  for (const f of FEATURES as ServerFeature[]) f.register(ctx);
  connection.onShutdown(() => cache.dispose());
  connection.onExit(() => cache.dispose());

  documents.listen(connection);
  connection.listen();
}

// Started by the extension over IPC (or stdio with --stdio).
if (require.main === module) {
  const connection = createConnection(ProposedFeatures.all);
  process.on('uncaughtException', (e) => {
    connection.console.error(`acrn-nest: uncaught exception: ${e.stack ?? e.message}`);
  });
  process.on('unhandledRejection', (e) => {
    connection.console.error(`acrn-nest: unhandled rejection: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  });
  startServer(connection);
}
