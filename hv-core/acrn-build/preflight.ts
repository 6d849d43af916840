/**
 * Before make: are the tools ACRN's build needs there, and new enough? Each missing or too old
 * tool is one problem with a message saying what and where, and a hint saying how to fix it, so
 * the user does not have to decode a Python traceback 30 seconds into the build.
 *
 * Checked with the same PATH make will use: python3 and its modules (lxml, xmlschema, elementpath,
 * defusedxml; minimum versions from the tree's misc/config_tools/requirements.txt when it has
 * one), iasl (>= the tree's IASL_MIN_VER, 20190703), the C compiler `cc` (make's default CC; a v2
 * tree needs GCC <= 11), make, and xsltproc/xmllint (v3's config.mk calls them).
 */
import type { BuildHost, RunResult } from './host.js';
import type { AcrnTreeInfo } from './tree.js';

export interface PreflightProblem {
  severity: 'error' | 'warning';
  code: string;
  message: string;
  hint?: string;
}

export interface ToolVersions {
  python?: { executable: string; version: string; modules: Record<string, string | null> };
  iasl?: string;
  cc?: string;
  ccIsGcc?: boolean;
  make?: string;
}

export interface PreflightResult {
  problems: PreflightProblem[];
  tools: ToolVersions;
}

export const PYTHON_MODULES = ['lxml', 'xmlschema', 'elementpath', 'defusedxml'] as const;
/** Used when the tree has no requirements.txt (v2.x). elementpath 2.5 is v3.x's stated minimum. */
const DEFAULT_MINIMUMS: Record<string, string> = { elementpath: '2.5.0' };
const DEFAULT_IASL_MIN = '20190703';
const DEBIAN_PACKAGES: Record<string, string> = { lxml: 'python3-lxml', xmlschema: 'python3-xmlschema', elementpath: 'python3-elementpath', defusedxml: 'python3-defusedxml' };

const PY_PROBE = `
import json, sys, importlib
r = {"executable": sys.executable, "version": sys.version.split()[0], "modules": {}}
for m in ${JSON.stringify(PYTHON_MODULES)}:
    try:
        mod = importlib.import_module(m)
        v = getattr(mod, "__version__", None)
        if m == "lxml":
            from lxml import etree
            v = etree.__version__
        r["modules"][m] = str(v) if v is not None else "?"
    except Exception:
        r["modules"][m] = None
print(json.dumps(r))
`;

/** Compares dotted versions numerically: -1, 0, 1. Non-numeric parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((x) => parseInt(x, 10) || 0);
  const pb = b.split(/[.+-]/).map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** `name>=1.2.3` lines of a requirements.txt. */
export function parseRequirements(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z0-9_.-]+)\s*>=\s*([\w.]+)/.exec(line);
    if (m) out[m[1]!.toLowerCase()] = m[2]!;
  }
  return out;
}

function missing(r: RunResult): boolean {
  return r.code === 127 || r.spawnError === 'ENOENT';
}

export interface PreflightOptions {
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Another interpreter to suggest when python3 lacks the modules (local: /usr/bin/python3). */
  alternativePython?: string;
}

export async function preflight(host: BuildHost, tree: AcrnTreeInfo, opts: PreflightOptions = {}): Promise<PreflightResult> {
  const run = (argv: string[]): Promise<RunResult> => host.run(argv, { env: opts.env, signal: opts.signal, cwd: tree.root, captureLimit: 64 * 1024 });
  const where = host.kind === 'local' ? '' : ` on ${host.label}`;
  const problems: PreflightProblem[] = [];
  const tools: ToolVersions = {};
  const [py, iasl, cc, make, xslt, xmllint, reqText, makefile, hvMakefile] = await Promise.all([
    run(['python3', '-c', PY_PROBE]),
    run(['iasl', '-v']),
    run(['cc', '-dumpfullversion', '-dumpversion']),
    run(['make', '--version']),
    run(['xsltproc', '--version']),
    tree.family === 'v3' ? run(['xmllint', '--version']) : Promise.resolve(undefined),
    host.readFile(`${tree.root}/misc/config_tools/requirements.txt`),
    host.readFile(`${tree.root}/Makefile`),
    host.readFile(`${tree.root}/hypervisor/Makefile`),
  ]);

  // python3 and its modules
  if (missing(py)) {
    problems.push({ severity: 'error', code: 'preflight/python-missing', message: `python3 not found${where}: ACRN's make runs python3 from PATH`, hint: 'Install Python 3 (Debian/Ubuntu: sudo apt install python3).' });
  } else {
    let probe: ToolVersions['python'];
    try {
      probe = JSON.parse(py.stdout.trim().split('\n').pop() ?? '') as ToolVersions['python'];
    } catch {
      probe = undefined;
    }
    if (!probe) {
      problems.push({ severity: 'error', code: 'preflight/python-broken', message: `python3${where} did not run: ${(py.stderr || py.stdout).trim().split('\n').slice(-1)[0] ?? `exit ${py.code}`}` });
    } else {
      tools.python = probe;
      const mins = { ...DEFAULT_MINIMUMS, ...(reqText ? parseRequirements(reqText.toString('utf8')) : {}) };
      const absent = PYTHON_MODULES.filter((m) => probe.modules[m] === null || probe.modules[m] === undefined);
      if (absent.length > 0) {
        let hint = `Install them (Debian/Ubuntu: sudo apt install ${absent.map((m) => DEBIAN_PACKAGES[m]).join(' ')}; or pip install ${absent.join(' ')}) for the python3 that make runs`;
        if (opts.alternativePython) hint += `, or use ${opts.alternativePython}, which has them (setting acrnNest.build.python, CLI --python)`;
        problems.push({ severity: 'error', code: 'preflight/python-module', message: `python3${where} (${probe.executable}, Python ${probe.version}) cannot import ${absent.join(', ')}: ACRN's config tools need them`, hint: hint + '.' });
      }
      for (const m of PYTHON_MODULES) {
        const have = probe.modules[m];
        const need = mins[m];
        if (have && have !== '?' && need && compareVersions(have, need) < 0) {
          problems.push({ severity: 'error', code: 'preflight/python-module-old', message: `python3 module ${m} ${have}${where} is too old: ACRN ${tree.label} needs ${m} >= ${need}`, hint: `pip install --upgrade '${m}>=${need}'` });
        }
      }
    }
  }

  // iasl
  const minText = [makefile, hvMakefile].map((b) => b?.toString('utf8') ?? '').join('\n');
  const iaslMin = /IASL_MIN_VER\s*\??=\s*"?(\d{8})/.exec(minText)?.[1] ?? DEFAULT_IASL_MIN;
  if (missing(iasl)) {
    problems.push({ severity: 'error', code: 'preflight/iasl-missing', message: `iasl not found${where}: ACRN's build compiles ACPI tables with it`, hint: `Install acpica-tools (Debian/Ubuntu: sudo apt install acpica-tools), version >= ${iaslMin}.` });
  } else {
    const v = /version\s+(\d{8})/i.exec(iasl.stdout + iasl.stderr)?.[1];
    if (v) {
      tools.iasl = v;
      if (Number(v) < Number(iaslMin)) problems.push({ severity: 'error', code: 'preflight/iasl-old', message: `iasl ${v}${where} is too old: ACRN ${tree.label} needs >= ${iaslMin}`, hint: 'Install a newer acpica-tools (or build iasl from acpica.org) and put it first in PATH.' });
    }
  }

  // C compiler
  if (missing(cc)) {
    problems.push({ severity: 'error', code: 'preflight/cc-missing', message: `no C compiler${where} (cc)`, hint: 'Install gcc and make (Debian/Ubuntu: sudo apt install build-essential).' });
  } else if (cc.code === 0) {
    const v = cc.stdout.trim().split('\n')[0] ?? '';
    tools.cc = v;
    const major = parseInt(v, 10);
    if (tree.family === 'v2' && major >= 12) {
      problems.push({
        severity: 'error',
        code: 'preflight/gcc-too-new',
        message: `ACRN ${tree.label} does not build with GCC ${v}${where}: v2 trees compile with -Werror and GCC 12 added warnings they trip on (needs GCC <= 11)`,
        hint: 'Build on a host with GCC <= 11 (e.g. Ubuntu 20.04 or 22.04): set acrnNest.build.host to a target, or use --build-host on the CLI.',
      });
    }
  }

  if (missing(make)) problems.push({ severity: 'error', code: 'preflight/make-missing', message: `make not found${where}`, hint: 'Install make (Debian/Ubuntu: sudo apt install make).' });
  else tools.make = /GNU Make ([\d.]+)/.exec(make.stdout)?.[1];
  if (missing(xslt)) problems.push({ severity: 'error', code: 'preflight/xsltproc-missing', message: `xsltproc not found${where}: ACRN generates its configuration sources with it`, hint: 'Install it (Debian/Ubuntu: sudo apt install xsltproc).' });
  if (xmllint && missing(xmllint)) problems.push({ severity: 'error', code: 'preflight/xmllint-missing', message: `xmllint not found${where}: ACRN ${tree.label}'s make reads the board name with it`, hint: 'Install it (Debian/Ubuntu: sudo apt install libxml2-utils).' });
  return { problems, tools };
}
