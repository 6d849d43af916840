/**
 * A minimal LSP client for tests: starts the bundled server (dist/server.js) over stdio, like an
 * editor would, and waits on its notifications (no sleeps).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import type { DocumentInfo } from '../../language-server/protocol';
import { REPO } from '../unit/helpers';

export interface TestServer {
  conn: MessageConnection;
  proc: ChildProcess;
  stderr: () => string;
  open(uri: string, text: string, version?: number): void;
  change(uri: string, text: string, version: number): void;
  close(uri: string): void;
  /** Next diagnostics published for uri (optionally: the first that satisfies pred). */
  diagnostics(uri: string, pred?: (d: Diagnostic[]) => boolean, timeoutMs?: number): Promise<Diagnostic[]>;
  info(uri: string, timeoutMs?: number): Promise<DocumentInfo>;
  request<R>(method: string, params: unknown): Promise<R>;
  stop(): Promise<void>;
}

export async function startServer(settings: Record<string, unknown> = {}): Promise<TestServer> {
  const proc = spawn(process.execPath, [path.join(REPO, 'dist', 'server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const conn = createMessageConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
  const diagWaiters: { uri: string; pred: (d: Diagnostic[]) => boolean; resolve: (d: Diagnostic[]) => void }[] = [];
  const infoWaiters: { uri: string; resolve: (i: DocumentInfo) => void }[] = [];
  conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    for (const w of [...diagWaiters]) {
      if (w.uri === p.uri && w.pred(p.diagnostics)) {
        diagWaiters.splice(diagWaiters.indexOf(w), 1);
        w.resolve(p.diagnostics);
      }
    }
  });
  conn.onNotification('acrnNest/documentInfo', (i: DocumentInfo) => {
    for (const w of [...infoWaiters]) {
      if (w.uri === i.uri) {
        infoWaiters.splice(infoWaiters.indexOf(w), 1);
        w.resolve(i);
      }
    }
  });
  conn.onNotification('window/logMessage', () => undefined);
  conn.onRequest('workspace/configuration', () => [settings]);
  conn.onRequest('client/registerCapability', () => null);
  conn.listen();
  await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: { workspace: { configuration: true } }, initializationOptions: settings });
  await conn.sendNotification('initialized', {});

  const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}; server stderr: ${err}`)), ms);
      p.then(
        (v) => {
          clearTimeout(t);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(t);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });

  return {
    conn,
    proc,
    stderr: () => err,
    open(uri, text, version = 1) {
      void conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'xml', version, text } });
    },
    change(uri, text, version) {
      void conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
    },
    close(uri) {
      void conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
    },
    diagnostics(uri, pred = () => true, timeoutMs = 10000) {
      return withTimeout(new Promise<Diagnostic[]>((resolve) => diagWaiters.push({ uri, pred, resolve })), timeoutMs, `diagnostics for ${uri}`);
    },
    info(uri, timeoutMs = 10000) {
      return withTimeout(new Promise<DocumentInfo>((resolve) => infoWaiters.push({ uri, resolve })), timeoutMs, `documentInfo for ${uri}`);
    },
    request<R>(method: string, params: unknown) {
      return conn.sendRequest(method, params) as Promise<R>;
    },
    async stop() {
      try {
        await withTimeout(conn.sendRequest('shutdown'), 3000, 'shutdown');
        void conn.sendNotification('exit');
      } catch {
        /* killed below */
      }
      conn.dispose();
      if (proc.exitCode === null) proc.kill();
    },
  };
}
