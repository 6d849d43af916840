import type { Connection, InitializeParams, ServerCapabilities } from 'vscode-languageserver/node';
import type { AssertCaches } from '../../hv-core/engine.js';
import type { TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { AnalysisCache } from '../documents.js';
import type { ServerSettings } from '../protocol.js';

/** What a server feature (hover, completion, code actions, …) gets to work with. */
export interface ServerContext {
  connection: Connection;
  documents: TextDocuments<TextDocument>;
  cache: AnalysisCache;
  /** What ACRN's assertions remember (boards, outcomes); the server's own (default: the shared one). */
  caches?: AssertCaches;
  settings(): ServerSettings;
  guard<T>(what: string, fallback: T, fn: () => T): T;
  revalidateAll(): void;
}

/** A feature declares its capabilities and registers its handlers. */
export interface ServerFeature {
  name: string;
  capabilities?(params: InitializeParams): Partial<ServerCapabilities>;
  register(ctx: ServerContext): void;
}
