/**
 * The language server in-process for unit tests: server.ts's startServer() on one end of a pair
 * of streams, a JSON-RPC client on the other — the same LSP messages an editor sends, without a
 * build or a child process. Waits on notifications, never sleeps.
 */
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { createConnection } from 'vscode-languageserver/node';
import { startServer } from '../../language-server/server';

export interface InProcessServer {
  client: MessageConnection;
  open(uri: string, text: string, version?: number): void;
  change(uri: string, text: string, version: number): void;
  /** The next diagnostics published for uri that satisfy pred. */
  diagnostics(uri: string, pred?: (d: Diagnostic[]) => boolean, timeoutMs?: number): Promise<Diagnostic[]>;
  /** Changes the settings, tells the server, resolves once it has pulled them (workspace/configuration). */
  configure(settings: Record<string, unknown>): Promise<void>;
  request<R>(method: string, params: unknown): Promise<R>;
  /** Every publishDiagnostics so far, in order: uri, document version, how many diagnostics. */
  published: { uri: string; version: number | undefined; count: number }[];
  stop(): void;
}

/** `workspaceFolder`: the folder the client reports (relative settings resolve against it). */
/** `scoped`: settings for a resource (the request's scopeUri), merged over the current ones, like a folder's .vscode/settings.json. */
export async function inProcessServer(initial: Record<string, unknown> = {}, opts: { workspaceFolder?: string; scoped?: (scopeUri: string) => Record<string, unknown> | undefined } = {}): Promise<InProcessServer> {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const serverConn = createConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
  startServer(serverConn);
  const client = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  let settings = { ...initial };
  const waiters: { uri: string; pred: (d: Diagnostic[]) => boolean; resolve: (d: Diagnostic[]) => void }[] = [];
  const latest = new Map<string, Diagnostic[]>();
  const published: { uri: string; version: number | undefined; count: number }[] = [];
  client.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    latest.set(p.uri, p.diagnostics);
    published.push({ uri: p.uri, version: p.version, count: p.diagnostics.length });
    for (const w of [...waiters]) if (w.uri === p.uri && w.pred(p.diagnostics)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(p.diagnostics);
    }
  });
  client.onNotification('acrnNest/documentInfo', () => undefined);
  client.onNotification('window/logMessage', () => undefined);
  const pulled: (() => void)[] = [];
  client.onRequest('workspace/configuration', (p: { items: { scopeUri?: string }[] }) => {
    const items = p.items ?? [{}];
    if (items.every((i) => i.scopeUri)) return items.map((i) => ({ ...settings, ...(opts.scoped?.(i.scopeUri!) ?? {}) }));
    // Answer first, then release waiters (on a later turn, when the server has read the answer).
    setImmediate(() => pulled.splice(0).forEach((f) => f()));
    return items.map(() => settings);
  });
  client.onRequest('client/registerCapability', () => null);
  client.listen();
  // processId null: with a pid the server starts a parent-process watchdog interval that would keep
  // this test process alive after the tests end.
  const folderUri = opts.workspaceFolder ? pathToFileURL(opts.workspaceFolder).toString() : null;
  await client.sendRequest('initialize', { processId: null, rootUri: folderUri, workspaceFolders: folderUri ? [{ uri: folderUri, name: 'ws' }] : null, capabilities: { workspace: { configuration: true } }, initializationOptions: settings });
  await client.sendNotification('initialized', {});
  return {
    client,
    open(uri, text, version = 1) {
      void client.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'xml', version, text } });
    },
    change(uri, text, version) {
      void client.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
    },
    diagnostics(uri, pred = () => true, timeoutMs = 20_000) {
      return new Promise<Diagnostic[]>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no diagnostics for ${uri} within ${timeoutMs} ms (last: ${JSON.stringify(latest.get(uri)?.map((d) => d.message))})`)), timeoutMs);
        waiters.push({
          uri,
          pred,
          resolve: (d) => {
            clearTimeout(t);
            resolve(d);
          },
        });
      });
    },
    async configure(next) {
      settings = { ...settings, ...next };
      const done = new Promise<void>((resolve) => pulled.push(resolve));
      await client.sendNotification('workspace/didChangeConfiguration', { settings: { acrnNest: settings } });
      await done;
      // A request answered after the settings were applied: the server handles messages in order.
      await client.sendRequest('acrnNest/documentInfo/get', { uri: 'file:///none' });
    },
    request<R>(method: string, params: unknown) {
      return client.sendRequest(method, params) as Promise<R>;
    },
    published,
    stop() {
      client.dispose();
      serverConn.dispose();
      toServer.end();
      toClient.end();
    },
  };
}
