/**
 * What ACRN's board inspector needs on the board, and how to find out in one SSH round trip.
 *
 * The tool list is the inspector's own (`check_deps` in board_inspector.py: `locate_tools([...])`),
 * read from the user's tree so a newer inspector's list is followed; the kernel parameters are
 * ACRN's own (debian/grub/20_acrn-board-inspector, GRUB_CMDLINE_ACRN_BOARD_INSPECTOR). The probe
 * looks for each tool where the inspector does (`detect_tool`: /usr/bin, /usr/sbin, /usr/local/bin,
 * /usr/local/sbin only, so a tool in ~/bin is as missing to it as no tool at all).
 */

/** Tool -> the Debian/Ubuntu package that provides it. */
export const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  cpuid: 'cpuid',
  rdmsr: 'msr-tools',
  lspci: 'pciutils',
  dmidecode: 'dmidecode',
  blkid: 'util-linux',
  stty: 'coreutils',
  modprobe: 'kmod',
  which: 'debianutils',
  python3: 'python3',
};

/** The inspector's list (ACRN v3.x board_inspector.py check_deps) when the tree's cannot be read. */
export const DEFAULT_INSPECTOR_TOOLS = ['cpuid', 'rdmsr', 'lspci', 'dmidecode', 'blkid', 'stty', 'modprobe'];

/** Python modules the inspector imports at start (board_inspector.py, inspectorlib/validator.py), with their package. */
export const PYTHON_MODULES: readonly { module: string; pkg: string }[] = [
  { module: 'lxml', pkg: 'python3-lxml' },
  { module: 'tqdm', pkg: 'python3-tqdm' },
  { module: 'xmlschema', pkg: 'python3-xmlschema' },
];

/** ACRN's parameters (debian/grub/20_acrn-board-inspector) when the tree has no such file. */
export const DEFAULT_KERNEL_PARAMS = ['iomem=relaxed', 'intel_idle.max_cstate=0', 'intel_pstate=disable'];

/** The minimum `cpuid -v` version the inspector accepts (check_deps: cpuid_min_ver). */
export const DEFAULT_CPUID_MIN = 20170122;

/** The tool list of a board_inspector.py: the first `locate_tools([...])` in check_deps. */
export function inspectorToolsFrom(source: string): string[] | undefined {
  const fn = /def check_deps\(\)[\s\S]*?locate_tools\(\[([^\]]*)\]\)/.exec(source);
  if (!fn) return undefined;
  const tools = [...fn[1]!.matchAll(/["']([A-Za-z0-9_.+-]+)["']/g)].map((m) => m[1]!);
  return tools.length ? tools : undefined;
}

export function cpuidMinFrom(source: string): number | undefined {
  const m = /cpuid_min_ver\s*=\s*(\d{8})/.exec(source);
  return m ? Number(m[1]) : undefined;
}

/** The parameters of ACRN's 20_acrn-board-inspector GRUB helper. */
export function kernelParamsFrom(grubHelper: string): string[] | undefined {
  const m = /GRUB_CMDLINE_ACRN_BOARD_INSPECTOR="([^"]*)"/.exec(grubHelper);
  const p = m?.[1]?.trim().split(/\s+/).filter(Boolean);
  return p?.length ? p : undefined;
}

/** Parameters of `wanted` that a kernel command line lacks (the last occurrence of a key wins, as in Linux). */
export function missingParams(cmdline: string, wanted: readonly string[]): string[] {
  const words = cmdline.trim().split(/\s+/);
  const value = (key: string): string | undefined => {
    let v: string | undefined;
    for (const w of words) {
      const i = w.indexOf('=');
      const k = i < 0 ? w : w.slice(0, i);
      if (k === key) v = i < 0 ? '' : w.slice(i + 1);
    }
    return v;
  };
  return wanted.filter((p) => {
    const i = p.indexOf('=');
    const k = i < 0 ? p : p.slice(0, i);
    return value(k) !== (i < 0 ? '' : p.slice(i + 1));
  });
}

/**
 * The probe: a constant script; the tools and modules come as its positional arguments
 * (`sh -c SCRIPT sh TOOL... -- MODULE...`), never spliced into it. One `key value` line each.
 */
export const PROBE_SCRIPT = [
  'while [ $# -gt 0 ] && [ "$1" != -- ]; do',
  '  p=-; for d in /usr/bin /usr/sbin /usr/local/bin /usr/local/sbin; do if [ -x "$d/$1" ]; then p="$d/$1"; break; fi; done',
  '  echo "tool $1 $p"; shift',
  'done',
  '[ "$1" = -- ] && shift',
  'if [ -x /usr/bin/python3 ]; then py=/usr/bin/python3; else py=; fi',
  // find_spec: is the module there, without the cost of importing it (seconds under emulation).
  'if [ -n "$py" ]; then "$py" -c \'import importlib.util, sys\nfor m in sys.argv[1:]: print("py", m, "ok" if importlib.util.find_spec(m) else "missing")\' "$@" 2>/dev/null; fi',
  'echo "cmdline $(cat /proc/cmdline)"',
  'if [ -x /usr/bin/cpuid ]; then echo "cpuid $(/usr/bin/cpuid -v 2>/dev/null | head -n 1)"; fi',
  'echo "domains $(ls /sys/bus/pci/devices/ 2>/dev/null | cut -d: -f1 | sort -u | tr "\\n" " ")"',
  'if grep -qw hypervisor /proc/cpuinfo; then echo "vm yes"; else echo "vm no"; fi',
  'if [ -r /etc/os-release ]; then . /etc/os-release; echo "os ${ID:-?} ${VERSION_ID:-?}"; fi',
  'echo "bootid $(cat /proc/sys/kernel/random/boot_id)"',
  'if [ -e /dev/cpu/0/msr ]; then echo "msr yes"; else echo "msr no"; fi',
].join('\n');

export function probeArgv(tools: readonly string[], modules: readonly string[]): string[] {
  for (const t of [...tools, ...modules]) if (!/^[A-Za-z0-9_.+-]+$/.test(t)) throw new Error(`internal: not a tool or module name: ${JSON.stringify(t)}`);
  return ['sh', '-c', PROBE_SCRIPT, 'sh', ...tools, ...(tools.includes('python3') ? [] : ['python3']), '--', ...modules];
}

export interface ToolStatus {
  tool: string;
  /** Debian/Ubuntu package, when known. */
  pkg: string | undefined;
  /** Where the inspector will find it, or undefined when missing. */
  path: string | undefined;
}

export interface PreflightReport {
  tools: ToolStatus[];
  missingTools: ToolStatus[];
  missingModules: { module: string; pkg: string }[];
  python: boolean;
  cmdline: string;
  missingParams: string[];
  /** `cpuid -v`'s version number, when cpuid is there. */
  cpuidVersion: number | undefined;
  cpuidTooOld: boolean;
  pciDomains: string[];
  inVm: boolean;
  os: string | undefined;
  bootId: string;
  /** /dev/cpu/0/msr exists (the msr module is loaded or built in). */
  msrDevice: boolean;
}

export function parsePreflight(out: string, o: { tools: readonly string[]; params: readonly string[]; cpuidMin?: number }): PreflightReport {
  const found = new Map<string, string | undefined>();
  const mods = new Map<string, boolean>();
  let cmdline = '';
  let cpuidVersion: number | undefined;
  let domains: string[] = [];
  let inVm = false;
  let osName: string | undefined;
  let bootId = '';
  let msrDevice = false;
  for (const line of out.split('\n')) {
    const sp = line.indexOf(' ');
    const key = sp < 0 ? line : line.slice(0, sp);
    const rest = sp < 0 ? '' : line.slice(sp + 1);
    if (key === 'tool') {
      const [t, p] = rest.split(' ');
      if (t) found.set(t, p && p !== '-' ? p : undefined);
    } else if (key === 'py') {
      const [m, s] = rest.split(' ');
      if (m) mods.set(m, s === 'ok');
    } else if (key === 'cmdline') cmdline = rest.trim();
    else if (key === 'cpuid') {
      // "cpuid version 20230120"
      const m = /(\d{8})/.exec(rest);
      if (m) cpuidVersion = Number(m[1]);
    } else if (key === 'domains') domains = rest.trim().split(/\s+/).filter(Boolean);
    else if (key === 'vm') inVm = rest.trim() === 'yes';
    else if (key === 'os') osName = rest.trim();
    else if (key === 'bootid') bootId = rest.trim();
    else if (key === 'msr') msrDevice = rest.trim() === 'yes';
  }
  const tools = [...o.tools, 'python3'].map((tool) => ({ tool, pkg: TOOL_PACKAGES[tool], path: found.get(tool) }));
  const python = found.get('python3') !== undefined;
  const missingModules = PYTHON_MODULES.filter((m) => mods.get(m.module) !== true);
  const min = o.cpuidMin ?? DEFAULT_CPUID_MIN;
  return {
    tools,
    missingTools: tools.filter((t) => t.path === undefined),
    missingModules,
    python,
    cmdline,
    missingParams: missingParams(cmdline, o.params),
    cpuidVersion,
    cpuidTooOld: cpuidVersion !== undefined && cpuidVersion < min,
    pciDomains: domains,
    inVm,
    os: osName,
    bootId,
    msrDevice,
  };
}

/** The packages that provide what is missing, each once, in the order found. */
export function missingPackages(r: PreflightReport): string[] {
  const pkgs: string[] = [];
  for (const t of r.missingTools) if (t.pkg && !pkgs.includes(t.pkg)) pkgs.push(t.pkg);
  for (const m of r.missingModules) if (!pkgs.includes(m.pkg)) pkgs.push(m.pkg);
  if (r.cpuidTooOld && !pkgs.includes('cpuid')) pkgs.push('cpuid');
  return pkgs;
}

/** One sentence per problem, for an error or a report (tools first: nothing runs without them). */
export function describeMissing(r: PreflightReport): string[] {
  const out: string[] = [];
  for (const t of r.missingTools) out.push(`${t.tool} is missing${t.pkg ? ` (package ${t.pkg})` : ' (no known package: install it under /usr/bin or /usr/sbin)'}`);
  if (r.python) for (const m of r.missingModules) out.push(`python module ${m.module} is missing (package ${m.pkg})`);
  else if (r.missingModules.length) out.push(`python3's modules ${r.missingModules.map((m) => m.module).join(', ')} (packages ${r.missingModules.map((m) => m.pkg).join(' ')})`);
  if (r.cpuidTooOld) out.push(`cpuid ${r.cpuidVersion} is older than the inspector accepts (${DEFAULT_CPUID_MIN}): upgrade the cpuid package or install one from https://github.com/tycho/cpuid`);
  return out;
}

/** The command that installs what is missing, as the user would type it. */
export function installCommand(r: PreflightReport): string | undefined {
  const p = missingPackages(r);
  return p.length ? `sudo apt-get install --no-install-recommends ${p.join(' ')}` : undefined;
}

/** Board names: the inspector makes a file (and the configurator a folder) of it. */
export function checkBoardName(name: string): string | undefined {
  if (!name) return 'a board name is required (e.g. my-nuc)';
  if (name.length > 64) return 'the board name is longer than 64 characters';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) return `"${name}" is not a board name: use letters, digits, '.', '_' and '-', starting with a letter or digit (it becomes a file name on the board and in ACRN's configs)`;
  return undefined;
}
