/**
 * "Upgrade Scenario to v3…" on a v2 scenario's root element: a code action (refactor.rewrite)
 * that runs the extension's command, which asks for a v3 tree if needed and writes the new file
 * beside the old one (hv-core/upgrade does the work). Thin: the server only says where it applies.
 */
import type { CodeAction, Range } from 'vscode-languageserver/node';
import { CodeActionKind } from 'vscode-languageserver/node';
import type { ServerContext } from './feature.js';

/** The extension's command (extension/constants.ts Commands.upgradeScenario; a unit test keeps them equal). */
export const UPGRADE_COMMAND = 'acrnNest.upgradeScenario';
export const UPGRADE_TITLE = 'Upgrade Scenario to v3…';

const before = (a: { line: number; character: number }, b: { line: number; character: number }): boolean => a.line < b.line || (a.line === b.line && a.character < b.character);

/** The upgrade action when `range` touches the start tag of a v2 scenario's `<acrn-config>`. */
export function upgradeCodeActions(ctx: ServerContext, uri: string, range: Range): CodeAction[] {
  const td = ctx.documents.get(uri);
  if (!td) return [];
  const st = ctx.cache.get(td);
  const a = st.analysis;
  const root = a.doc?.root;
  if (!root || a.dialect?.kind !== 'scenario' || a.dialect.family !== 'v2') return [];
  const tag = st.lines.rangeOf(root.start, root.startTagEnd > root.start ? root.startTagEnd : root.nameEnd);
  if (before(range.end, tag.start) || before(tag.end, range.start)) return [];
  return [{ title: UPGRADE_TITLE, kind: CodeActionKind.RefactorRewrite, command: { title: UPGRADE_TITLE, command: UPGRADE_COMMAND, arguments: [uri] } }];
}
