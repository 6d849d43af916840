/**
 * LAVA job templates: a YAML job definition with `{{ name }}` placeholders, one built-in template
 * per board kind, overridable by a YAML file in the workspace.
 *
 * Rendering replaces each placeholder by a JSON scalar on the same line (JSON strings and lists
 * are YAML flow scalars), so line N of the job LAVA sees is line N of the template: an error
 * LAVA reports at a line, or at a key path, is mapped back to the template file's line.
 */
import { LabError, LabErrorCodes } from './lava.js';

export interface TemplateValues {
  job_name: string;
  device_type: string;
  /** Where the worker downloads the image from: file:// (a path the worker sees) or http(s). */
  image_url: string;
  image_sha256: string;
  /**
   * The scenario XML the image was built from (`lab run --scenario FILE`), or none: its file name,
   * where the worker downloads it from, its SHA-256. The worker's deploy gets it (the kernel tag
   * check, pre-launched VMs' modules). Optional: a line with one of these placeholders is left
   * out (an empty line, so line numbers stay) when the job has no scenario.
   */
  scenario?: string;
  scenario_url?: string;
  scenario_sha256?: string;
  /**
   * The pre-launched VMs' ACPI tables (ACPI_VM<n>.bin) in one tar, when the scenario has such VMs:
   * where the worker downloads it from, its SHA-256; `lab flash --acpi {ACPI}` unpacks it for the
   * deploy. Optional, as the scenario's.
   */
  acpi_url?: string;
  acpi_sha256?: string;
  /** Device tags the job asks for (`--device NAME` asks for the tag NAME). */
  tags: string[];
  /** Minutes for the whole job. */
  job_timeout: number;
  /** What the console login needs (the board's user). */
  login_user: string;
  login_password: string;
  /** The shell prompt after login. */
  shell_prompt: string;
  [k: string]: string | number | string[] | undefined;
}

export interface Template {
  /** The file it came from, or `built-in:<kind>`. */
  source: string;
  text: string;
}

/**
 * The built-in job for an ACRN board (device type `acrn-board`, hv-core/lab/device/): the flasher
 * runs `acrn-nest lab flash` on the worker, which is `acrn-nest deploy` (upload, one-shot boot,
 * verify, default) with the job's scenario, watching the board's console for a panic while it
 * runs (then it power-cycles the board back into its previous default), the board is
 * power-cycled into what is now its default, LAVA waits for the Service VM's login on the console
 * and runs the smoke test there; `acrn-nest doctor` runs on the worker as a user command. LAVA
 * records each step as a test case: deploy, boot and login in its suite `lava`, the smoke test
 * in `0_acrn-smoke`.
 */
export const ACRN_BOARD_TEMPLATE = `# acrn-nest job template for an ACRN board (LAVA device type acrn-board).
# Placeholders {{ name }} are filled in by acrn-nest lab run; keep each on one line.
job_name: {{ job_name }}
device_type: {{ device_type }}
visibility: public
priority: medium
tags: {{ tags }}
metadata:
  acrn_image_sha256: {{ image_sha256 }}
  acrn_scenario: {{ scenario }}
  acrn_scenario_sha256: {{ scenario_sha256 }}
timeouts:
  job:
    minutes: {{ job_timeout }}
  action:
    minutes: 15
  connection:
    minutes: 2
  actions:
    pdu-reboot:
      minutes: 15
    auto-login-action:
      minutes: 5
actions:
- deploy:
    to: flasher
    timeout:
      minutes: 20
    images:
      image:
        url: {{ image_url }}
        sha256sum: {{ image_sha256 }}
      # the scenario XML, when lab run has --scenario: the worker's deploy gets it too
      scenario: {url: {{ scenario_url }}, sha256sum: {{ scenario_sha256 }}}
      # the pre-launched VMs' ACPI tables (a tar), when the scenario has such VMs
      acpi: {url: {{ acpi_url }}, sha256sum: {{ acpi_sha256 }}}
- boot:
    method: minimal
    timeout:
      minutes: 20
    failure_message: "PANIC"
    auto_login:
      login_prompt: "login:"
      username: {{ login_user }}
      password_prompt: "Password:"
      password: {{ login_password }}
    prompts:
    - {{ shell_prompt }}
- test:
    timeout:
      minutes: 5
    interactive:
    - name: acrn-smoke
      echo: discard
      prompts:
      - {{ shell_prompt }}
      script:
      - command: "if [ -e /dev/acrn_hsm ] || [ -e /sys/hypervisor/type ]; then s=UP; else s=DOWN; fi; echo hypervisor-$s-state"
        name: hypervisor-running
        successes:
        - message: "hypervisor-UP-state"
        failures:
        - message: "hypervisor-DOWN-state"
      - command: "echo booted-image-$(grep -o 'acrn_nest.image=[0-9a-f]*' /proc/cmdline | cut -c17-32)-end"
        name: booted-new-image
        successes:
        - message: "booted-image-{{ image_sha256_16 }}-end"
        failures:
        - message: "booted-image--end"
- command:
    name: acrn_doctor
    timeout:
      minutes: 5
`;

export const BUILTIN_TEMPLATES: Record<string, string> = { 'acrn-board': ACRN_BOARD_TEMPLATE };

/** The built-in template for a device type (the ACRN board's when the type is not one we know). */
export function builtinTemplate(deviceType: string): Template {
  const kind = BUILTIN_TEMPLATES[deviceType] ? deviceType : 'acrn-board';
  return { source: `built-in:${kind}`, text: BUILTIN_TEMPLATES[kind]! };
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w]*)\s*\}\}/g;

/** Placeholders a job may have no value for: a line using one without a value is left out. */
export const OPTIONAL_PLACEHOLDERS = ['scenario', 'scenario_url', 'scenario_sha256', 'acpi_url', 'acpi_sha256'] as const;

/**
 * Fills the placeholders; an unknown one is an error at its line, before anything is sent. A line
 * with an optional placeholder the job has no value for becomes an empty line (line numbers stay).
 */
export function renderTemplate(t: Template, values: TemplateValues): string {
  const extra: Record<string, string | number | string[]> = { image_sha256_16: values.image_sha256.slice(0, 16) };
  const all: Record<string, string | number | string[] | undefined> = { ...extra, ...values };
  const optional = new Set<string>(OPTIONAL_PLACEHOLDERS);
  const lines = t.text.split('\n');
  return lines
    .map((line, i) => {
      if (/^\s*#/.test(line)) return line;
      if ([...line.matchAll(PLACEHOLDER)].some((m) => optional.has(m[1]!) && all[m[1]!] === undefined)) return '';
      return line.replace(PLACEHOLDER, (_m, name: string) => {
        const v = all[name];
        if (v === undefined) throw new LabError(LabErrorCodes.rejected, `${t.source}:${i + 1}: unknown placeholder {{ ${name} }} (known: ${[...new Set([...Object.keys(all), ...optional])].sort().join(', ')})`);
        // A placeholder inside a quoted string is filled in raw (it is part of that string).
        const before = line.slice(0, line.indexOf(`{{`));
        const inQuotes = (before.match(/"/g) ?? []).length % 2 === 1;
        if (inQuotes) return String(v).replace(/["\\\n]/g, '');
        return JSON.stringify(v);
      });
    })
    .join('\n');
}

/**
 * Where in the template LAVA's refusal points: a YAML error's `line N` (same line numbers, see
 * above), or a schema error's key path (`@ data['actions'][0]['deploy']['to']`) found in the
 * block YAML. Returns the 1-based line, or undefined when LAVA names neither.
 */
export function locateLavaError(text: string, lavaMessage: string): { line: number; what: string } | undefined {
  const lm = /line (\d+), column (\d+)/.exec(lavaMessage);
  if (lm) return { line: Number(lm[1]), what: `line ${lm[1]}, column ${lm[2]}` };
  const pm = /@ data((?:\[(?:'[^']*'|\d+)\])+)/.exec(lavaMessage);
  if (!pm) return undefined;
  const segs: (string | number)[] = [];
  for (const m of pm[1]!.matchAll(/\[(?:'([^']*)'|(\d+))\]/g)) {
    if (m[2] !== undefined) segs.push(Number(m[2]));
    else {
      // validate_action writes 'actions[0]' as one key
      const a = /^(\w+)\[(\d+)\]$/.exec(m[1]!);
      if (a) segs.push(a[1]!, Number(a[2]));
      else segs.push(m[1]!);
    }
  }
  const line = findKeyPath(text, segs);
  return line ? { line, what: segs.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('').replace(/^\./, '') } : undefined;
}

/**
 * The line of a key path in block-style YAML (the style job templates are written in), from an
 * outline of its mapping keys and `- ` sequence items by column. The deepest part of the path
 * that is found is returned, so an extra or missing key points at its parent's line.
 */
export function findKeyPath(text: string, path: (string | number)[]): number | undefined {
  interface Node {
    line: number;
    key?: string;
    item?: boolean;
    col: number;
    children: Node[];
  }
  const root: Node = { line: 0, col: -1, children: [] };
  const stack: Node[] = [root];
  const push = (n: Node): void => {
    while (stack.length > 1 && stack[stack.length - 1]!.col >= n.col) stack.pop();
    stack[stack.length - 1]!.children.push(n);
    stack.push(n);
  };
  text.split('\n').forEach((l, i) => {
    if (/^\s*(#.*)?$/.test(l)) return;
    let col = /^\s*/.exec(l)![0].length;
    let rest = l.slice(col);
    // an item is nested one half column deeper than its dash, so `key:` then `- item` at the
    // same column is a sequence under that key
    while (rest.startsWith('- ') || rest === '-') {
      push({ line: i + 1, item: true, col: col + 0.5, children: [] });
      col += 2;
      rest = rest.slice(2);
    }
    const k = /^(["']?)([^"'#]+?)\1:(\s|$)/.exec(rest);
    if (k) push({ line: i + 1, key: k[2]!.trim(), col, children: [] });
  });
  let cur = root;
  let found: number | undefined;
  for (const seg of path) {
    const next = typeof seg === 'number' ? cur.children.filter((c) => c.item)[seg] : cur.children.find((c) => c.key === seg);
    if (!next) break;
    cur = next;
    found = next.line;
  }
  return found;
}
