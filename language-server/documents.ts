/**
 * Per-document analysis cache: one analysis per (uri, version, settings generation), shared by
 * every feature (diagnostics, hover, completion, …) so a keystroke is analyzed once.
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Analysis, AnalyzeOptions } from '../hv-core/scenario/analyze.js';
import { analyzeText } from '../hv-core/scenario/analyze.js';
import { LineIndex } from '../hv-core/xml/positions.js';

export interface DocState {
  uri: string;
  version: number;
  generation: number;
  text: string;
  analysis: Analysis;
  lines: LineIndex;
}

export class AnalysisCache {
  private readonly states = new Map<string, DocState>();
  private generation = 0;

  constructor(private readonly options: (uri: string) => AnalyzeOptions) {}

  /** Settings or board changed: every cached analysis is stale. */
  invalidateAll(): void {
    this.generation++;
  }

  get(doc: TextDocument): DocState {
    const cur = this.states.get(doc.uri);
    if (cur && cur.version === doc.version && cur.generation === this.generation) return cur;
    const text = doc.getText();
    const analysis = analyzeText(text, { ...this.options(doc.uri), uri: doc.uri });
    const state: DocState = { uri: doc.uri, version: doc.version, generation: this.generation, text, analysis, lines: new LineIndex(text) };
    this.states.set(doc.uri, state);
    return state;
  }

  peek(uri: string): DocState | undefined {
    return this.states.get(uri);
  }

  delete(uri: string): void {
    this.states.delete(uri);
  }
}
