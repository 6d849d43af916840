/**
 * Reading ACRN's board inspector as it runs: its log lines (logging.Formatter
 * '%(asctime)s-%(name)s-%(levelname)s:-%(message)s', on stderr, often glued to tqdm's progress bar
 * by a `\r`), its progress bar (`NN%|`), its end-of-run summary (the same lines again, in ANSI
 * colours) and Python tracebacks (an extractor that crashed). Findings are the WARNING, ERROR and
 * CRITICAL lines, once each, with the inspector file they came from when a traceback names one.
 */

export type InspectorLevel = 'WARNING' | 'ERROR' | 'CRITICAL';

export interface InspectorFinding {
  level: InspectorLevel;
  /** The inspector's own words. */
  message: string;
  /** The inspector's file (relative to board_inspector/) and line, when a traceback names it. */
  file: string | undefined;
  /** What the inspector was doing: its phase, by the file or the message. */
  phase: string;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
const LOG = /(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)-([^\s]*?)-(DEBUG|INFO|WARNING|ERROR|CRITICAL):-(.*)$/;
/** logging.basicConfig's default format, which the legacy board parser (a child process) uses. */
const LOG_BASIC = /^(DEBUG|INFO|WARNING|ERROR|CRITICAL):([\w.]*):(.*)$/;
const FRAME = /^\s*File "([^"]+)", line (\d+), in (\S+)/;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

/** The file a traceback frame names, relative to board_inspector/ (undefined: not the inspector's). */
export function inspectorRelative(file: string): string | undefined {
  const i = file.lastIndexOf('/board_inspector/');
  return i < 0 ? undefined : file.slice(i + '/board_inspector/'.length);
}

/** The inspector's phase for a file of it: extractors/60-pci.py -> "extractor 60-pci". */
export function phaseOf(file: string | undefined, message: string): string {
  if (file) {
    const f = file.replace(/:\d+$/, '');
    const ex = /^extractors\/(\d\d-[^/]+)\.py$/.exec(f);
    if (ex) return `extractor ${ex[1]}`;
    if (f.startsWith('legacy/')) return 'legacy board parser';
    if (f.startsWith('acpiparser/')) return 'ACPI parser';
    if (f.startsWith('pcieparser/')) return 'PCI parser';
    if (f.startsWith('cpuparser/')) return 'CPU parser';
    if (f.startsWith('smbiosparser/')) return 'SMBIOS parser';
    if (f.startsWith('memmapparser/')) return 'memory map parser';
    if (f === 'inspectorlib/validator.py') return 'board checks';
    if (f.startsWith('inspectorlib/')) return 'inspector library';
    if (f === 'board_inspector.py') return 'board inspector';
  }
  if (/cannot be found\. Please install|CPUID version/.test(message)) return 'dependency check';
  if (/legacy\/board_parser\.py/.test(message)) return 'legacy board parser';
  if (/multiple PCI domains/.test(message)) return 'PCI domain check';
  if (/Virtual Machine/.test(message)) return 'native check';
  if (/MSR/.test(message)) return 'MSR check';
  if (/Unsupported processor/.test(message)) return 'processor vendor check';
  if (/\/dev\/mem/.test(message)) return 'memory access';
  return 'board inspector';
}

/**
 * Splits a stream into lines at `\n` and `\r` (tqdm redraws with `\r`), keeping what has no end yet.
 * `push` returns the complete lines; `end` the rest.
 */
export class LineSplitter {
  private rest = '';
  push(chunk: string): string[] {
    const s = this.rest + chunk;
    const parts = s.split(/\r\n|\r|\n/);
    this.rest = parts.pop() ?? '';
    return parts;
  }
  end(): string[] {
    const r = this.rest;
    this.rest = '';
    return r ? [r] : [];
  }
}

/** tqdm's percentage in a line (`  40%|████      | 40/100 [...]`), or undefined. */
export function progressOf(line: string): number | undefined {
  const m = /(\d{1,3})%\|/.exec(stripAnsi(line));
  return m ? Math.min(100, Number(m[1])) / 100 : undefined;
}

/** A line worth showing as progress: not a bare progress bar redraw. */
export function displayLine(line: string): string | undefined {
  const s = stripAnsi(line);
  const log = LOG.exec(s);
  if (log) return `${log[3]}: ${log[4]!.trim()}`;
  const basic = LOG_BASIC.exec(s.trim());
  if (basic) return `${basic[1]}: ${basic[3]!.trim()}`;
  if (progressOf(s) !== undefined) return undefined;
  const t = s.trim();
  return t && !/^=+$/.test(t) ? t : undefined;
}

/** Findings of the inspector's whole output (stdout and stderr together, in any order). */
export function extractFindings(output: string): InspectorFinding[] {
  const out: InspectorFinding[] = [];
  const seen = new Set<string>();
  const add = (level: InspectorLevel, message: string, file: string | undefined): void => {
    const key = `${level}\0${message}`;
    if (seen.has(key)) {
      if (file) {
        const f = out.find((x) => `${x.level}\0${x.message}` === key);
        if (f && !f.file) {
          f.file = file;
          f.phase = phaseOf(file, message);
        }
      }
      return;
    }
    seen.add(key);
    out.push({ level, message, file, phase: phaseOf(file, message) });
  };
  const lines = stripAnsi(output).split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const m = LOG.exec(line);
    if (m) {
      const level = m[3] as string;
      if (level === 'WARNING' || level === 'ERROR' || level === 'CRITICAL') add(level, m[4]!.trim(), undefined);
      continue;
    }
    const b = LOG_BASIC.exec(line.trim());
    if (b) {
      const level = b[1] as string;
      // The legacy board parser runs as a child process: its lines are its own.
      if (level === 'WARNING' || level === 'ERROR' || level === 'CRITICAL') add(level, b[3]!.trim(), 'legacy/board_parser.py');
      continue;
    }
    if (/^Traceback \(most recent call last\):/.test(line.trim())) {
      let file: string | undefined;
      let j = i + 1;
      for (; j < lines.length; j++) {
        const l = lines[j]!;
        const fr = FRAME.exec(l);
        if (fr) {
          const rel = inspectorRelative(fr[1]!);
          if (rel) file = `${rel}:${fr[2]}`;
          continue;
        }
        if (/^\s/.test(l) || l.trim() === '') continue;
        break;
      }
      const last = lines[j]?.trim();
      if (last) add('CRITICAL', `the inspector crashed: ${last}`, file);
      i = j;
    }
  }
  return out;
}

/** The inspector's closing verdict, when it printed one. */
export function successLine(output: string): string | undefined {
  const m = /SUCCESS: Board configuration file .*$/m.exec(stripAnsi(output));
  return m?.[0].trim();
}

export function formatFinding(f: InspectorFinding): string {
  return `${f.level} [${f.phase}${f.file ? `, ${f.file}` : ''}]: ${f.message}`;
}
