/**
 * Every command and setting id the extension uses, in one place; a unit test checks that
 * package.json's contributions match these exactly.
 */
export const PREFIX = 'acrnNest';

export const Commands = {
  restartServer: 'acrnNest.restartServer',
  showLog: 'acrnNest.showLog',
  showDocumentInfo: 'acrnNest.showDocumentInfo',
} as const;

export const Settings = {
  acrnTree: 'acrnNest.acrnTree',
  boardFile: 'acrnNest.boardFile',
  maxFileSizeMB: 'acrnNest.maxFileSizeMB',
  traceServer: 'acrnNest.trace.server',
} as const;

export type CommandId = (typeof Commands)[keyof typeof Commands];
