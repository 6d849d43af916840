/**
 * The upgrade report for people: a Markdown document (the editor shows it beside the new file)
 * whose rows link to the v2 line they come from. Shared by the extension; the CLI prints
 * FILE:LINE:COL lines instead (hv-core/cli/upgrade.ts).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { UpgradeItem, UpgradeResult } from './upgrade.js';
import { DIFFERENCE } from './upgrade.js';

/** Where the v3 file goes by default: beside the old one, NAME.v3.xml (never the old file itself). */
export function defaultUpgradeOut(file: string): string {
  const ext = path.extname(file);
  return path.join(path.dirname(file), `${path.basename(file, ext)}.v3${ext || '.xml'}`);
}

const cell = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, '\\n').replace(/`/g, "'");

export interface ReportFiles {
  scenario: string;
  launch?: string;
  out: string;
}

/**
 * `linkFrom`: the folder the report is written to. Its links are then relative to it (VS Code's
 * Markdown preview follows relative links, with `#L<line>,<column>`, but not `file:` URLs);
 * without it they are `file:` URLs.
 */
export function upgradeReportMarkdown(result: UpgradeResult, files: ReportFiles, linkFrom?: string): string {
  const base = (f: string): string => path.basename(f);
  const href = (f: string): string => {
    if (linkFrom) {
      const rel = path.relative(linkFrom, f);
      if (!path.isAbsolute(rel)) return encodeURI(rel.split(path.sep).join('/'));
    }
    return pathToFileURL(f).href;
  };
  const link = (it: UpgradeItem): string => {
    const f = it.file === 'launch' && files.launch ? files.launch : files.scenario;
    return `[${base(f)}:${it.line}:${it.column}](${href(f)}#L${it.line},${it.column})`;
  };
  const counts = { dropped: 0, changed: 0, note: 0 };
  for (const it of result.items) counts[it.kind]++;
  const lines: string[] = [
    `# Upgrade of ${base(files.scenario)} to v3`,
    '',
    `New file: [${base(files.out)}](${href(files.out)}) (the v2 file is unchanged)${files.launch ? `; launch XML: ${base(files.launch)}${result.launchIgnored ? ' (not used: see the notes)' : ''}` : ''}.`,
    '',
    `${counts.dropped} value(s) dropped, ${counts.changed} changed, ${counts.note} note(s). The upgrade does what ACRN's own upgrader (misc/config_tools/scenario_config/upgrader.py, v3.3) does, except where a row says it differs on purpose.`,
    '',
  ];
  const section = (title: string, items: UpgradeItem[], withTarget: boolean): void => {
    if (!items.length) return;
    lines.push(`## ${title}`, '', withTarget ? '| where (v2) | v2 element = value | v3 | why |' : '| where (v2) | v2 element = value | why |', withTarget ? '|---|---|---|---|' : '|---|---|---|');
    for (const it of items) {
      const v2 = `\`${cell(it.v2Path)}\`${it.v2Value ? ` = \`${cell(it.v2Value.trim())}\`` : ''}`;
      const v3 = it.v3Path ? `\`${cell(it.v3Path)}\`${it.v3Value ? ` = \`${cell(it.v3Value)}\`` : ''}` : '(not carried over)';
      const why = `${it.severity === 'warning' ? '⚠ ' : ''}${cell(it.reason.startsWith(DIFFERENCE) ? `**Differs from ACRN's upgrader on purpose:** ${it.reason.slice(DIFFERENCE.length).trim()}` : it.reason)}`;
      lines.push(withTarget ? `| ${link(it)} | ${v2} | ${v3} | ${why} |` : `| ${link(it)} | ${v2} | ${why} |`);
    }
    lines.push('');
  };
  section('Notes', result.items.filter((i) => i.kind === 'note'), false);
  section('Dropped', result.items.filter((i) => i.kind === 'dropped'), false);
  section('Changed', result.items.filter((i) => i.kind === 'changed'), true);
  return lines.join('\n');
}
