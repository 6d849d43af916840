/**
 * The consoles' part of a target in settings: `acrnNest.targets[i].console` and `.l2` (the same
 * fields as the target file, validated by hv-core/console).
 */
import * as vscode from 'vscode';
import type { ConsoleConfig } from '../../hv-core/console/config.js';
import { parseConsoleConfig } from '../../hv-core/console/config.js';
import type { L2Settings } from '../../hv-core/console/targetFile.js';
import { parseL2Settings } from '../../hv-core/console/targetFile.js';
import type { ResolvedTarget } from '../../hv-core/target/target.js';
import { Settings } from '../constants.js';

export function consoleSettings(target: ResolvedTarget): { console: ConsoleConfig | undefined; l2: L2Settings } {
  const raw = vscode.workspace.getConfiguration().get<unknown[]>(Settings.targets) ?? [];
  const i = raw.findIndex((e) => {
    const o = e as { name?: unknown; sshAlias?: unknown; host?: unknown };
    return typeof e === 'object' && e !== null && (o.name === target.name || (o.name === undefined && (o.sshAlias === target.alias || o.host === target.alias)));
  });
  if (i < 0) return { console: undefined, l2: {} };
  const entry = raw[i] as { console?: unknown; l2?: unknown };
  const source = `setting ${Settings.targets}[${i}]`;
  return {
    console: entry.console === undefined ? undefined : parseConsoleConfig(entry.console, source),
    l2: parseL2Settings(entry.l2, source),
  };
}
