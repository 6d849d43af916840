/** Messages between the language server (documents.ts) and its analysis worker (analysis-worker.ts). */
import type { Dialect, Finding } from '../hv-core/engine.js';

/** What the worker needs to analyse like the server would: plain data (no parsed board). */
export interface WorkOptions {
  maxFileMB?: number;
  acrnTree?: string;
  boardFile?: string;
}

export interface WorkRequest {
  id: number;
  uri: string;
  version: number;
  text: string;
  options: WorkOptions;
}

export interface WorkResult {
  id: number;
  /** The request was cancelled while it ran (its result is incomplete). */
  cancelled: boolean;
  analysis?: { dialect: Dialect | undefined; findings: Finding[]; skipped?: string };
  error?: string;
}
