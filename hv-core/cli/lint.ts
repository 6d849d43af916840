import path from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeText } from '../scenario/analyze.js';
import { loadFile } from '../files.js';
import type { Finding } from '../findings.js';
import { sortFindings } from '../findings.js';
import { LineIndex } from '../xml/positions.js';
import { formatFindingText, toJsonFinding } from './format.js';
import type { CliCommand, CliIO } from './io.js';
import { UsageError } from './io.js';
import { parseXml } from '../xml/parser.js';
import type { XmlDocument } from '../xml/model.js';

export const lintCommand: CliCommand = {
  name: 'lint',
  summary: 'check ACRN scenario and board XML files',
  usage: 'acrn-nest lint [--acrn-tree DIR] [--board FILE] [--format text|json] [--quiet] FILE...',
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'acrn-tree': { type: 'string' },
        board: { type: 'string' },
        format: { type: 'string', default: 'text' },
        quiet: { type: 'boolean', short: 'q', default: false },
        'max-file-mb': { type: 'string' },
      },
    });
    if (positionals.length === 0) throw new UsageError('no FILE given');
    const format = values.format;
    if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not '${format}'`);
    const acrnTree = values['acrn-tree'] ? path.resolve(io.cwd, values['acrn-tree']) : undefined;
    let board: XmlDocument | undefined;
    if (values.board) {
      const b = loadFile(path.resolve(io.cwd, values.board));
      board = parseXml(b.text);
    }
    const maxFileMB = values['max-file-mb'] ? Number(values['max-file-mb']) : undefined;

    let errors = 0;
    const json: unknown[] = [];
    for (const arg of positionals) {
      const file = path.resolve(io.cwd, arg);
      let loaded;
      try {
        loaded = loadFile(file);
      } catch (e) {
        const msg = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
        if (format === 'json') json.push({ file: arg, error: msg, findings: [] });
        else io.out(`${arg}:1:1: error: ${msg} [io]`);
        errors++;
        continue;
      }
      const findings: Finding[] = [...loaded.findings];
      let dialectLabel: string | undefined;
      let skipped: string | undefined;
      if (!loaded.binary) {
        const a = analyzeText(loaded.text, { board, acrnTree, maxFileMB, uri: file });
        findings.push(...a.findings);
        dialectLabel = a.dialect?.label;
        skipped = a.skipped;
        if (a.dialect && a.doc?.root) {
          findings.push({ severity: 'info', source: 'acrn-nest', code: 'dialect', start: a.doc.root.nameStart, end: a.doc.root.nameEnd, message: `${a.dialect.label} (${a.dialect.evidence})` });
        } else if (skipped && !a.findings.length) {
          findings.push({ severity: 'info', source: 'acrn-nest', code: 'not-acrn', start: 0, end: 0, message: `Skipped: ${skipped}` });
        }
      }
      sortFindings(findings);
      const lines = new LineIndex(loaded.text);
      errors += findings.filter((f) => f.severity === 'error').length;
      if (format === 'json') {
        json.push({ file: arg, resolvedFile: loaded.path === file ? undefined : loaded.path, dialect: dialectLabel ?? null, findings: findings.map((f) => toJsonFinding(lines, f)) });
      } else {
        for (const f of findings) {
          if (values.quiet && (f.severity === 'info' || f.severity === 'hint')) continue;
          io.out(formatFindingText(arg, lines, f));
        }
      }
    }
    if (format === 'json') io.out(JSON.stringify(json, null, 2));
    return errors > 0 ? 1 : 0;
  },
};
