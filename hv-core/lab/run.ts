/**
 * Running an image on a lab: one LAVA job per board from a job template, then following the
 * jobs (their logs as they are written, their state) and reading their test results.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { create as createTar } from 'tar';
import { defaultAcpiDir, scenarioInfo } from '../deploy/scenario-info.js';
import { FINISHED, LabError, LabErrorCodes } from './lava.js';
import type { LabJob, LabLogLine, LabTestCase, LavaClient } from './lava.js';
import { locateLavaError, renderTemplate } from './template.js';
import type { Template } from './template.js';

export interface LabRunOptions {
  deviceType: string;
  /** How many jobs (one per board); ignored when `devices` names the boards. */
  count: number;
  /** Boards by name: each job asks for the device tag of that name. */
  devices?: string[];
  imageUrl: string;
  imageSha256: string;
  /**
   * The scenario XML the image was built from, as the worker gets it (the job downloads it and
   * the worker's deploy checks the kernel tag and adds pre-launched VMs' modules with it); none:
   * the deploy goes without (docs/lab.md).
   */
  scenario?: LabScenario;
  template: Template;
  jobTimeoutMinutes?: number;
  loginUser?: string;
  loginPassword?: string;
  shellPrompt?: string;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface SubmittedJob {
  id: number;
  device?: string;
  definition: string;
}

/** The scenario the job carries to the worker, and (v3 pre-launched VMs) its ACPI tables. */
export interface LabScenario {
  name: string;
  url: string;
  sha256: string;
  /** ACPI_VM<n>.bin of the pre-launched VMs, packed into one tar the job downloads as `acpi`. */
  acpi?: { url: string; sha256: string; files: string[] };
}

/**
 * `lab run --scenario FILE`: the scenario XML the image was built from, for the worker's deploy
 * (its kernel tag check, pre-launched VMs' modules); the job downloads it from a file:// URL as it
 * does the image. A v3 scenario with pre-launched VMs needs their ACPI tables on the board too:
 * they are read from `acpiDir` (default `<image dir>/acpi`, as `acrn-nest deploy` looks) and
 * packed into `<image>.acpi.tar`, which the job downloads as a third image and `lab flash`
 * unpacks for the deploy. Checked before anything is submitted.
 */
export function labScenario(file: string, o: { image: string; acpiDir?: string }): LabScenario {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new LabError(LabErrorCodes.badScenario, `--scenario is the scenario XML the image was built from (the worker's deploy gets it): cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let info: ReturnType<typeof scenarioInfo>;
  try {
    info = scenarioInfo(bytes.toString('utf8'), file);
  } catch (e) {
    throw new LabError(LabErrorCodes.badScenario, (e as Error).message);
  }
  const out: LabScenario = { name: path.basename(file), url: pathToFileURL(file).href, sha256: createHash('sha256').update(bytes).digest('hex') };
  if (info.acpiModules.length) {
    const files = info.acpiModules.map((m) => m.file);
    const dir = o.acpiDir ?? defaultAcpiDir(o.image);
    const missing = files.filter((f) => !isFile(path.join(dir, f)));
    if (missing.length) {
      throw new LabError(LabErrorCodes.badScenario, `${file} has pre-launched VMs whose ACPI tables the board needs, and ${dir} lacks ${missing.join(', ')}: build them (acrn-nest build writes them to build/hypervisor/acpi) or give their folder with --acpi-dir DIR`);
    }
    out.acpi = packAcpiTables(dir, files, `${o.image}.acpi.tar`);
  }
  return out;
}

function isFile(f: string): boolean {
  try {
    return statSync(f).isFile();
  } catch {
    return false;
  }
}

/** One tar of the ACPI tables, byte for byte the same for the same tables (no owners, no times). */
function packAcpiTables(dir: string, files: string[], tarFile: string): { url: string; sha256: string; files: string[] } {
  try {
    createTar({ file: tarFile, cwd: dir, sync: true, portable: true, noDirRecurse: true, mtime: new Date(0) }, files);
  } catch (e) {
    throw new LabError(LabErrorCodes.badScenario, `cannot write ${tarFile} (the ACPI tables the job downloads): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return { url: pathToFileURL(tarFile).href, sha256: createHash('sha256').update(readFileSync(tarFile)).digest('hex'), files };
}

/** The image's file name, from its URL (the job's name shows it). */
function imageName(url: string): string {
  return decodeURIComponent(url.replace(/[?#].*$/, '').split('/').pop() || 'image');
}

/** Checks the lab knows the device type (and the boards), renders the jobs, submits each once. */
export async function labRun(client: LavaClient, o: LabRunOptions): Promise<SubmittedJob[]> {
  if (!client.hasToken) throw new LabError(LabErrorCodes.noToken, `submitting to the lab at ${client.host} needs its API token: --token-file FILE or ACRN_NEST_LAB_TOKEN`);
  const types = await client.deviceTypes(o.signal);
  if (!types.includes(o.deviceType)) {
    throw new LabError(LabErrorCodes.unknownDeviceType, `the lab at ${client.host} has no device type '${o.deviceType}'${types.length ? ` (it has: ${types.sort().join(', ')})` : ''}`);
  }
  const devices = await client.devices({ deviceType: o.deviceType, ...(o.signal ? { signal: o.signal } : {}) });
  const usable = devices.filter((d) => d.health !== 'Retired' && d.health !== 'Maintenance');
  if (o.devices?.length) {
    for (const name of o.devices) {
      const d = devices.find((x) => x.hostname === name);
      if (!d) throw new LabError(LabErrorCodes.unknownDevice, `the lab at ${client.host} has no device '${name}' of type ${o.deviceType}${devices.length ? ` (it has: ${devices.map((x) => x.hostname).join(', ')})` : ''}`);
      if (!d.tags.includes(name)) throw new LabError(LabErrorCodes.unknownDevice, `device '${name}' has no tag '${name}': LAVA jobs choose boards by tag, so the lab's admin tags each ACRN board with its own name (docs/lab.md)`);
    }
  } else if (!usable.length) {
    throw new LabError(LabErrorCodes.unknownDevice, `the lab at ${client.host} has no usable device of type ${o.deviceType}${devices.length ? ` (${devices.map((d) => `${d.hostname}: ${d.health}`).join(', ')})` : ''}`);
  } else if (usable.length < o.count) {
    o.log?.(`note: ${o.count} jobs for ${usable.length} ${o.deviceType} board(s): some will wait for a board`);
  }
  if (o.scenario?.acpi && !/\{\{\s*acpi_url\s*\}\}/.test(o.template.text)) {
    throw new LabError(LabErrorCodes.badScenario, `${o.template.source}: the scenario's pre-launched VMs need their ACPI tables (${o.scenario.acpi.files.join(', ')}) on the board, and this template downloads none: add the line 'acpi: {url: {{ acpi_url }}, sha256sum: {{ acpi_sha256 }}}' to the deploy's images (acrn-nest lab template shows it)`);
  }
  const boards: (string | undefined)[] = o.devices?.length ? o.devices : Array.from({ length: o.count }, () => undefined);
  const definitions = boards.map((device, i) =>
    renderTemplate(o.template, {
      job_name: `acrn-nest: ${imageName(o.imageUrl)}${o.scenario ? ` (${o.scenario.name})` : ''} on ${device ?? o.deviceType}${boards.length > 1 ? ` (${i + 1}/${boards.length})` : ''}`,
      device_type: o.deviceType,
      image_url: o.imageUrl,
      image_sha256: o.imageSha256,
      ...(o.scenario ? { scenario: o.scenario.name, scenario_url: o.scenario.url, scenario_sha256: o.scenario.sha256 } : {}),
      ...(o.scenario?.acpi ? { acpi_url: o.scenario.acpi.url, acpi_sha256: o.scenario.acpi.sha256 } : {}),
      tags: device ? [device] : [],
      job_timeout: o.jobTimeoutMinutes ?? 45,
      login_user: o.loginUser ?? 'acrn',
      login_password: o.loginPassword ?? 'acrn',
      shell_prompt: o.shellPrompt ?? '\\$ ',
    }),
  );
  const out: SubmittedJob[] = [];
  for (const [i, definition] of definitions.entries()) {
    let ids: number[];
    try {
      ids = await client.submit(definition, o.signal);
    } catch (e) {
      const already = out.length ? ` (already submitted: ${out.map((j) => `job ${j.id}`).join(', ')})` : ' (nothing was submitted)';
      if (e instanceof LabError && e.details.lavaMessage && (e.code === LabErrorCodes.rejected || e.code === LabErrorCodes.unknownDeviceType)) {
        const at = locateLavaError(o.template.text, e.details.lavaMessage);
        const where = at ? `${o.template.source}:${at.line}: ` : `${o.template.source}: `;
        throw new LabError(e.code, `${where}LAVA refused the job${at ? ` at ${at.what}` : ''}: ${e.details.lavaMessage}${already}`, { ...e.details, cause: e });
      }
      if (e instanceof LabError) throw new LabError(e.code, `${e.message}${already}`, { ...e.details, cause: e });
      throw e;
    }
    for (const id of ids) out.push({ id, ...(boards[i] ? { device: boards[i] } : {}), definition });
  }
  return out;
}

export interface FollowOptions {
  onLine?: (job: number, line: LabLogLine) => void;
  onState?: (job: number, state: string) => void;
  /** Between two polls of a job; default 2 s (ACRN_NEST_LAB_POLL_MS). */
  pollMs?: number;
  signal?: AbortSignal;
}

export interface JobOutcome {
  job: LabJob;
  tests: LabTestCase[];
}

/**
 * Follows jobs until each has finished: their logs line by line, their state; then their test
 * cases. Ends early (throws the abort) when the signal aborts; the jobs keep running on the lab.
 */
export async function followJobs(client: LavaClient, ids: number[], o: FollowOptions = {}): Promise<JobOutcome[]> {
  const pollMs = o.pollMs ?? (Number(process.env.ACRN_NEST_LAB_POLL_MS) || 2000);
  return Promise.all(
    ids.map(async (id) => {
      let start = 0;
      let state = '';
      for (;;) {
        const job = await client.job(id, o.signal);
        const shown = `${job.state}${job.health && job.health !== 'Unknown' ? ` (${job.health})` : ''}${job.device ? ` on ${job.device}` : ''}`;
        if (shown !== state) {
          state = shown;
          o.onState?.(id, shown);
        }
        // Read everything logged so far.
        for (;;) {
          const r = await client.logs(id, start, o.signal);
          for (const l of r.lines) o.onLine?.(id, l);
          if (r.next === start) break;
          start = r.next;
        }
        if (job.state === FINISHED) {
          // The log may still be flushed after the state changed: one last read.
          const r = await client.logs(id, start, o.signal);
          for (const l of r.lines) o.onLine?.(id, l);
          return { job, tests: await client.tests(id, o.signal) };
        }
        await delay(pollMs, undefined, o.signal ? { signal: o.signal } : {});
      }
    }),
  );
}

export interface Summary {
  pass: number;
  fail: number;
  other: number;
  /** Every test case passed (skips aside), at least one of the job's own, and the job completed. */
  passed: boolean;
  reason?: string;
}

/** Pass or fail from the test cases, never from the job's state alone. */
export function summarize(job: LabJob, tests: LabTestCase[]): Summary {
  const pass = tests.filter((t) => t.result === 'pass').length;
  const fail = tests.filter((t) => t.result === 'fail').length;
  const other = tests.length - pass - fail;
  const unknown = tests.filter((t) => t.result === 'unknown').length;
  const own = tests.filter((t) => t.suite !== 'lava' && t.result === 'pass').length;
  let reason: string | undefined;
  if (job.state !== FINISHED) reason = `job is ${job.state}`;
  else if (fail) reason = `${fail} test case(s) failed`;
  else if (unknown) reason = `${unknown} test case(s) without a result`;
  else if (job.health !== 'Complete') reason = `job ${job.health}`;
  else if (!own) reason = 'no test case of the job itself passed (only LAVA\'s own)';
  return { pass, fail, other, passed: reason === undefined, ...(reason ? { reason } : {}) };
}
