/**
 * Reading make's output: ACRN's validator lines, gcc diagnostics, make's own errors. ACRN names
 * findings by XPath only (`CRITICAL:root:/acrn-config/hv/FEATURES/SCHEDULER: value must be ...`,
 * `ERROR:root:/acrn-config/vm[1]/lapic_passthrough: ...`, several paths joined by ", " for one
 * message); v2's scenario_cfg_gen prints `hv,FEATURES,SCHEDULER: ...` / `vm:id=1,guest_flags: ...`.
 * `mapValidatorPath` turns those paths back into ranges of the scenario (or board) file.
 *
 * The parser is stateful only to follow `make[N]: Entering directory '...'`, so gcc's relative
 * file names resolve against the directory make ran the compiler in.
 */
import path from 'node:path';
import type { Severity } from '../findings.js';
import type { XmlDocument, XmlElement } from '../xml/model.js';
import { valueSpan } from '../xml/model.js';
import { LineIndex } from '../xml/positions.js';
import { resolveXpath } from '../xml/xpath.js';

export type ParsedLine =
  | { kind: 'validator'; severity: Severity; level: string; paths: string[]; message: string }
  | { kind: 'validator-message'; severity: Severity; level: string; message: string }
  | { kind: 'validator-summary'; severity: Severity; message: string }
  | { kind: 'compiler'; severity: Severity; file: string; line: number; column: number | undefined; message: string }
  | { kind: 'conflict'; message: string }
  | { kind: 'conflict-detail'; message: string }
  | { kind: 'missing-prerequisite'; what: string; message: string }
  | { kind: 'python-error'; message: string }
  | { kind: 'make-error'; message: string };

// eslint-disable-next-line no-control-regex -- ANSI colour codes (v2's print_red) are control characters
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
const VALIDATOR = /^(CRITICAL|ERROR|WARNING|INFO):root:(.*)$/;
const XPATHS = /^(\/[^\s,]+(?:, \/[^\s,]+)*): (.*)$/s;
const SUMMARY = /^Board .* and scenario .* are (?:potentially )?(?:inconsistent|valid)/;
const V2_KEY = /^((?:hv|vm(?::id=\d+)?)(?:,[A-Za-z_][\w]*(?::id=\d+)?)*): (.+)$/;
const COMPILER = /^([^\s:][^:]*?):(\d+):(?:(\d+):)? (fatal error|error|warning): (.*)$/;
const ENTERING = /^make(?:\[\d+\])?: Entering directory [`'‘](.*)['’]$/;
const LEAVING = /^make(?:\[\d+\])?: Leaving directory /;
const MAKE_ERROR = /^make(?:\[\d+\])?: \*\*\* (.*)$/;
const MAKEFILE_FATAL = /^\S+:\d+: \*\*\* (.*?)\.?\s+Stop\.$/;
const MISSING_EXEC = /^Cannot find executable \*(.+)\*$/;
const MISSING_PYLIB = /^The python3 library \*(.+)\* is not installed$/;
const PY_EXCEPTION = /^((?:[A-Za-z_][\w]*\.)*[A-Za-z_]\w*(?:Error|Exception)): (.*)$/;

function levelSeverity(level: string): Severity {
  return level === 'WARNING' ? 'warning' : level === 'INFO' ? 'info' : 'error';
}

export class BuildOutputParser {
  private readonly dirs: string[] = [];

  /** `cwd`: where make was started (the ACRN tree). */
  constructor(private readonly cwd: string) {}

  /** Directory make is in right now (for relative compiler paths). */
  get currentDir(): string {
    return this.dirs[this.dirs.length - 1] ?? this.cwd;
  }

  parse(raw: string): ParsedLine | undefined {
    const line = raw.replace(ANSI, '').replace(/\s+$/, '');
    if (!line) return undefined;
    const enter = ENTERING.exec(line);
    if (enter) {
      this.dirs.push(enter[1]!);
      return undefined;
    }
    if (LEAVING.test(line)) {
      this.dirs.pop();
      return undefined;
    }
    if (line.includes('Configuration conflict identified')) return { kind: 'conflict', message: line.replace(/^.*?\*\*\* /, '').replace(/\.\s+Stop\.$/, '') };
    if (/The command line sets \w+ to be '.*', but an existing build is configured with '.*'/.test(line)) {
      return { kind: 'conflict-detail', message: line.replace(/^[^:]*:\d+: /, '') };
    }
    const v = VALIDATOR.exec(line);
    if (v) {
      const level = v[1]!;
      const body = v[2]!;
      const severity = levelSeverity(level);
      if (SUMMARY.test(body)) return { kind: 'validator-summary', severity, message: body };
      const p = XPATHS.exec(body);
      if (p) return { kind: 'validator', severity, level, paths: p[1]!.split(', '), message: p[2]! };
      return { kind: 'validator-message', severity, level, message: body };
    }
    const c = COMPILER.exec(line);
    if (c && !line.startsWith('make')) {
      const file = path.isAbsolute(c[1]!) ? c[1]! : path.resolve(this.currentDir, c[1]!);
      return { kind: 'compiler', severity: c[4] === 'warning' ? 'warning' : 'error', file: path.normalize(file), line: Number(c[2]), column: c[3] ? Number(c[3]) : undefined, message: c[5]! };
    }
    const k = V2_KEY.exec(line);
    if (k) return { kind: 'validator', severity: 'error', level: 'ERROR', paths: [v2KeyToXpath(k[1]!)], message: k[2]! };
    const me = MISSING_EXEC.exec(line);
    if (me) return { kind: 'missing-prerequisite', what: me[1]!, message: `make cannot find the program ${me[1]}` };
    const mp = MISSING_PYLIB.exec(line);
    if (mp) return { kind: 'missing-prerequisite', what: mp[1]!, message: `python3 cannot import ${mp[1]}` };
    const m = MAKE_ERROR.exec(line);
    if (m) return { kind: 'make-error', message: m[1]! };
    const mf = MAKEFILE_FATAL.exec(line);
    if (mf) return { kind: 'make-error', message: mf[1]! };
    const py = PY_EXCEPTION.exec(line);
    if (py) return { kind: 'python-error', message: line };
    return undefined;
  }
}

/** v2's `vm:id=1,guest_flags,guest_flag` -> `/acrn-config/vm[@id='1']/guest_flags/guest_flag`. */
export function v2KeyToXpath(key: string): string {
  const steps = key.split(',').map((s) => {
    const m = /^(\w+):id=(\d+)$/.exec(s);
    return m ? `${m[1]}[@id='${m[2]}']` : s;
  });
  return '/acrn-config/' + steps.join('/');
}

/** A finding from the build, located in a file (0-based line/character, like LSP). */
export interface BuildFinding {
  file: string;
  line: number;
  character: number;
  endLine: number;
  endCharacter: number;
  severity: Severity;
  message: string;
  code: string;
  source: 'acrn-validator' | 'gcc' | 'make' | 'acrn-nest';
  /** The XPath ACRN reported, for validator findings. */
  xpath?: string;
}

export interface MappedFile {
  file: string;
  text: string;
  doc: XmlDocument;
  lines?: LineIndex;
}

function elementRange(f: MappedFile, el: XmlElement, attrName?: string): { start: number; end: number } {
  if (attrName) {
    const a = el.attributes.find((x) => x.name === attrName);
    if (a) return a.valueStart >= 0 ? { start: a.valueStart, end: a.valueEnd } : { start: a.nameStart, end: a.nameEnd };
  }
  return valueSpan(f.text, el);
}

/**
 * Where an XPath from ACRN's validator points: the scenario first, then the board (datachecks
 * run on the scenario root extended with the board's children, so a path may name board data),
 * then the nearest existing ancestor in the scenario (ACRN validates the scenario with defaults
 * filled in, so it may name an element the user's file leaves out).
 */
export function mapValidatorPath(xpath: string, scenario: MappedFile, board?: MappedFile): { file: MappedFile; start: number; end: number; exact: boolean } {
  // v2 keys name VMs by id; lxml-style positions are tried when no vm has that id.
  const candidates = [xpath];
  const byId = /\[@id='(\d+)'\]/.exec(xpath);
  if (byId) candidates.push(xpath.replace(byId[0], `[${Number(byId[1]) + 1}]`));
  const attrName = /\/@([\w.:-]+)$/.exec(xpath)?.[1];
  for (const f of board ? [scenario, board] : [scenario]) {
    for (const xp of candidates) {
      const r = resolveXpath(f.doc, xp);
      if (r) return { file: f, ...elementRange(f, r.element, r.attribute ? attrName : undefined), exact: true };
    }
  }
  let best: XmlElement | undefined;
  for (const xp of candidates) {
    const nearest: { element?: XmlElement } = {};
    resolveXpath(scenario.doc, xp.replace(/\/@[\w.:-]+$/, ''), nearest);
    if (nearest.element && (!best || depth(nearest.element) > depth(best))) best = nearest.element;
  }
  const el = best ?? scenario.doc.root;
  if (!el) return { file: scenario, start: 0, end: 0, exact: false };
  return { file: scenario, start: el.nameStart, end: el.nameEnd, exact: false };
}

function depth(el: XmlElement): number {
  let d = 0;
  for (let p = el.parent; p; p = p.parent) d++;
  return d;
}

/** A validator line -> one finding per path it names. */
export function validatorFindings(p: Extract<ParsedLine, { kind: 'validator' | 'validator-message' }>, scenario: MappedFile, board?: MappedFile): BuildFinding[] {
  const out: BuildFinding[] = [];
  const paths = p.kind === 'validator' ? p.paths : [];
  if (paths.length === 0) {
    const el = scenario.doc.root;
    out.push(toFinding(scenario, el?.nameStart ?? 0, el?.nameEnd ?? 0, p.severity, `ACRN validator: ${p.message}`, 'build/validator'));
    return out;
  }
  for (const xp of paths) {
    const m = mapValidatorPath(xp, scenario, board);
    const others = paths.length > 1 ? ` (also: ${paths.filter((x) => x !== xp).join(', ')})` : '';
    const where = m.exact ? '' : ` [ACRN reported ${xp}, which is not in the file: shown on its nearest ancestor]`;
    const f = toFinding(m.file, m.start, m.end, p.severity, `ACRN validator: ${p.message}${others}${where}`, p.level === 'CRITICAL' ? 'build/schema' : 'build/datacheck');
    f.xpath = xp;
    out.push(f);
  }
  return out;
}

function toFinding(f: MappedFile, start: number, end: number, severity: Severity, message: string, code: string): BuildFinding {
  f.lines ??= new LineIndex(f.text);
  const s = f.lines.positionAt(start);
  const e = f.lines.positionAt(end);
  return { file: f.file, line: s.line, character: s.character, endLine: e.line, endCharacter: e.character, severity, message, code, source: 'acrn-validator' };
}

export function compilerFinding(p: Extract<ParsedLine, { kind: 'compiler' }>): BuildFinding {
  const line = Math.max(0, p.line - 1);
  const character = Math.max(0, (p.column ?? 1) - 1);
  return { file: p.file, line, character, endLine: line, endCharacter: character + 1, severity: p.severity, message: p.message, code: 'build/gcc', source: 'gcc' };
}

/** `FILE:LINE:COL: severity: MESSAGE`, 1-based, as gcc prints it (and editors parse it). */
export function formatBuildFinding(f: BuildFinding): string {
  return `${f.file}:${f.line + 1}:${f.character + 1}: ${f.severity}: ${f.message.replace(/\s*\n\s*/g, ' ')}`;
}
