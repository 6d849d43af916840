/**
 * Stable error codes (hv-core/errors.ts, BuildError codes) -> what the user can do about them.
 * Front ends decide by code, never by message text. No `vscode` import (unit-tested).
 */
import { ErrorCodes } from '../hv-core/engine.js';
import { Commands, Settings } from './constants.js';

export type ErrorAction =
  /** Ask for the sudo password, store it, run again (no button: done before the error is shown). */
  | { kind: 'askSudoPassword' }
  | { kind: 'openSetting'; label: string; setting: string }
  /** A file or folder picker that writes the setting (workspace folder scope). */
  | { kind: 'choosePath'; label: string; setting: string; folder: boolean }
  | { kind: 'cleanAndBuild'; label: string }
  /** Runs one of acrn-nest's commands (Add Target...), then the failed action again. */
  | { kind: 'runCommand'; label: string; command: string }
  | { kind: 'showProblems'; label: string }
  | { kind: 'showLog'; label: string };

const openSetting = (setting: string, label = 'Open Setting'): ErrorAction => ({ kind: 'openSetting', label, setting });

const choose = (setting: string, folder: boolean, what: string): ErrorAction => ({ kind: 'choosePath', label: `Choose ${what}...`, setting, folder });
const tree = [choose(Settings.acrnTree, true, 'ACRN tree'), openSetting(Settings.acrnTree)];
const board = [choose(Settings.boardFile, false, 'Board XML'), openSetting(Settings.boardFile)];
const python = [choose(Settings.buildPython, false, 'Python'), openSetting(Settings.buildPython)];

const BY_CODE: Record<string, ErrorAction[]> = {
  [ErrorCodes.sudoPasswordNeeded]: [{ kind: 'askSudoPassword' }],
  [ErrorCodes.noAcrnTree]: tree,
  'tree/missing': tree,
  'tree/not-a-folder': tree,
  'tree/no-version': tree,
  'inputs/dialect-mismatch': tree,
  'preflight/python-missing': python,
  'preflight/python-broken': python,
  'preflight/python-module': python,
  'preflight/python-module-old': python,
  'inputs/not-a-board': board,
  [ErrorCodes.noHostAcrnTree]: [openSetting(Settings.buildHostAcrnTree)],
  [ErrorCodes.noBoard]: board,
  'inputs/board-missing': board,
  [ErrorCodes.noTarget]: [{ kind: 'runCommand', label: 'Add Target...', command: Commands.addTarget }, openSetting(Settings.targets)],
  [ErrorCodes.unknownTarget]: [openSetting(Settings.targets)],
  [ErrorCodes.badTargets]: [openSetting(Settings.targets)],
  [ErrorCodes.hostKeyRecordFailed]: [openSetting(Settings.targets)],
  'build/config-conflict': [{ kind: 'cleanAndBuild', label: 'Run make clean and Build' }],
  'build/validator': [{ kind: 'showProblems', label: 'Show Problems' }],
  'build/compile': [{ kind: 'showProblems', label: 'Show Problems' }],
};

/** The actions for an error code, then "Show Log" (always last). */
export function actionsFor(code: string | undefined): ErrorAction[] {
  return [...(code ? (BY_CODE[code] ?? []) : []), { kind: 'showLog', label: 'Show Log' }];
}

/** Whether a failed run is retried after asking for the sudo password. */
export function retriesWithSudoPassword(code: string | undefined): boolean {
  return actionsFor(code).some((a) => a.kind === 'askSudoPassword');
}

/** The buttons of a failure notification (actions the user picks). */
export function buttonsFor(code: string | undefined): Exclude<ErrorAction, { kind: 'askSudoPassword' }>[] {
  return actionsFor(code).filter((a): a is Exclude<ErrorAction, { kind: 'askSudoPassword' }> => a.kind !== 'askSudoPassword');
}
