/**
 * Custom LSP messages between the extension (client) and the language server, declared once so
 * both ends type-check. Each says which way it flows.
 */
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';
import type { PathScope } from '../hv-core/engine.js';
import { DEFAULT_MAX_FILE_MB, DEFAULT_RAW_SETTINGS, resolveSettingPath } from '../hv-core/engine.js';

export interface DocumentInfo {
  uri: string;
  /** "ACRN v2.6 scenario", "ACRN v3.x scenario", "ACRN board", … or undefined when not ACRN. */
  label: string | undefined;
  kind: 'scenario' | 'board' | 'launch' | undefined;
  version: string | undefined;
  /** What decided the dialect. */
  evidence: string | undefined;
  /** Why the document got no analysis, if it did not. */
  skipped?: string;
  errors: number;
  warnings: number;
}

/** server -> client: what a document is, after each analysis (drives the status bar). */
export namespace DocumentInfoNotification {
  export const method = 'acrnNest/documentInfo';
  export const type = new NotificationType<DocumentInfo>(method);
}

/** client -> server: what the server knows about a document right now. */
export namespace DocumentInfoRequest {
  export const method = 'acrnNest/documentInfo/get';
  export const type = new RequestType<{ uri: string }, DocumentInfo | null, void>(method);
}

/** server -> client: a fatal state the user should see (the client shows it once). */
export namespace ServerStatusNotification {
  export const method = 'acrnNest/serverStatus';
  export const type = new NotificationType<{ health: 'ok' | 'warning' | 'error'; message: string }>(method);
}

/**
 * The settings the server reads (section `acrnNest`). The extension sends them resolved (absolute
 * paths, extension/config.ts); the server resolves them again with the same hv-core function
 * (`resolveServerSettings`), which leaves absolute paths as they are, so other clients may send
 * them as written.
 */
export interface ServerSettings {
  acrnTree: string;
  boardFile: string;
  maxFileSizeMB: number;
}

export const DEFAULT_SERVER_SETTINGS: ServerSettings = { ...DEFAULT_RAW_SETTINGS };

/** Raw (or resolved) server settings -> resolved ones: paths absolute, '' when unset. */
export function resolveServerSettings(raw: Partial<ServerSettings> | null | undefined, scope: PathScope): ServerSettings {
  const s = { ...DEFAULT_SERVER_SETTINGS, ...(raw ?? {}) };
  const max = s.maxFileSizeMB;
  return {
    acrnTree: resolveSettingPath(typeof s.acrnTree === 'string' ? s.acrnTree : '', scope) ?? '',
    boardFile: resolveSettingPath(typeof s.boardFile === 'string' ? s.boardFile : '', scope) ?? '',
    maxFileSizeMB: typeof max === 'number' && max > 0 ? max : DEFAULT_MAX_FILE_MB,
  };
}
