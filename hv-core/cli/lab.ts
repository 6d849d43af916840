/**
 * `acrn-nest lab run|devices|jobs|logs|results|cancel|template`: acrn-nest as a client of a LAVA
 * lab (hv-core/lab); `lab flash`, the worker's side (labFlash.ts). One part of the CLI bundle
 * (dist/cli/lab.js).
 *
 * The token comes from --token-file FILE or ACRN_NEST_LAB_TOKEN, never from an argument (it
 * would show in `ps`), and is never printed. The lab URL from --lab or ACRN_NEST_LAB_URL.
 * `lab run --wait` exits 0 only when every job finished and every test case passed: a job LAVA
 * calls "Complete" with a failed test case exits 1.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { CliIO, CliRun } from './io.js';
import { UsageError } from './io.js';
import { LabError, LabErrorCodes, LavaClient, formatLogLine } from '../engine.js';
import type { LabTestCase } from '../engine.js';
import { builtinTemplate } from '../engine.js';
import type { Template } from '../engine.js';
import { followJobs, labRun, labScenario, summarize } from '../engine.js';
import { flashCmd } from './labFlash.js';

const SUBS = ['run', 'devices', 'jobs', 'logs', 'results', 'cancel', 'template', 'flash'] as const;

/** The workspace's own job template, used when --job-template is not given and it exists. */
export const WORKSPACE_TEMPLATE = path.join('.acrn-nest', 'lava-job.yaml');

export function readToken(io: CliIO, tokenFile: string | undefined): string | undefined {
  if (tokenFile) {
    const p = path.resolve(io.cwd, tokenFile);
    let t: string;
    try {
      t = readFileSync(p, 'utf8').trim();
    } catch (e) {
      throw new LabError(LabErrorCodes.noToken, `cannot read the token file ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (!t) throw new LabError(LabErrorCodes.noToken, `the token file ${p} is empty`);
    return t;
  }
  const env = io.env.ACRN_NEST_LAB_TOKEN?.trim();
  return env || undefined;
}

function loadTemplate(io: CliIO, file: string | undefined, deviceType: string): Template {
  const p = file ? path.resolve(io.cwd, file) : path.join(io.cwd, WORKSPACE_TEMPLATE);
  if (file || existsSync(p)) {
    try {
      return { source: p, text: readFileSync(p, 'utf8') };
    } catch (e) {
      throw new UsageError(`cannot read the job template ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  return builtinTemplate(deviceType);
}

function jobIds(positionals: string[]): number[] {
  if (!positionals.length) throw new UsageError('name the job: its LAVA id');
  return positionals.map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`'${p}' is not a job id`);
    return n;
  });
}

function table(rows: string[][]): string[] {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join('  ').trimEnd());
}

export function resultLines(id: number, tests: LabTestCase[]): string[] {
  return tests.map((t) => `job ${id}  ${t.result.toUpperCase().padEnd(7)} ${t.suite}/${t.name}${t.measurement ? ` ${t.measurement}${t.unit ? ` ${t.unit}` : ''}` : ''}${t.error ? `: ${t.error}` : ''}`);
}

export const labCommand: CliRun = {
  async run(argv: string[], io: CliIO): Promise<number> {
    const [sub, ...rest] = argv;
    if (!sub || !(SUBS as readonly string[]).includes(sub)) throw new UsageError(`lab needs a subcommand: ${SUBS.join(', ')}`);
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        lab: { type: 'string' },
        'token-file': { type: 'string' },
        'device-type': { type: 'string' },
        count: { type: 'string' },
        device: { type: 'string', multiple: true },
        image: { type: 'string' },
        'image-url': { type: 'string' },
        scenario: { type: 'string' },
        'acpi-dir': { type: 'string' },
        acpi: { type: 'string' },
        'job-template': { type: 'string' },
        wait: { type: 'boolean', default: false },
        follow: { type: 'boolean', default: false },
        state: { type: 'string' },
        limit: { type: 'string' },
        'timeout-minutes': { type: 'string' },
        json: { type: 'boolean', default: false },
        // lab flash (on the worker)
        'target-file': { type: 'string' },
        'power-cycle': { type: 'string' },
        panic: { type: 'string' },
        timeout: { type: 'string' },
      },
    });
    if (sub === 'flash') return flashCmd(io, values);
    if (sub === 'template') {
      io.out(builtinTemplate(values['device-type'] ?? 'acrn-board').text.trimEnd());
      return 0;
    }
    const url = values.lab ?? io.env.ACRN_NEST_LAB_URL;
    if (!url) throw new UsageError('--lab URL is required (or ACRN_NEST_LAB_URL)');
    const token = readToken(io, values['token-file']);
    const client = new LavaClient({ url, ...(token ? { token } : {}) });
    const signal = io.signal;
    try {
      switch (sub) {
        case 'devices': {
          const ds = await client.devices({ ...(values['device-type'] ? { deviceType: values['device-type'] } : {}), ...(signal ? { signal } : {}) });
          if (values.json) {
            io.out(JSON.stringify(ds, null, 2));
            return 0;
          }
          if (!ds.length) {
            io.out(`no devices${values['device-type'] ? ` of type ${values['device-type']}` : ''} on ${client.host}`);
            return 0;
          }
          for (const l of table([['DEVICE', 'TYPE', 'STATE', 'HEALTH', 'WORKER', 'HELD BY'], ...ds.map((d) => [d.hostname, d.deviceType, d.state, d.health, d.worker ?? '-', d.holder ? `${d.holder} (job ${d.currentJob})` : '-'])])) io.out(l);
          return 0;
        }
        case 'jobs': {
          const limit = values.limit ? Number(values.limit) : 20;
          if (!Number.isInteger(limit) || limit <= 0) throw new UsageError(`--limit must be a positive number, not '${values.limit}'`);
          const js = await client.jobs({ limit, ...(values.state ? { state: values.state } : {}), ...(signal ? { signal } : {}) });
          if (values.json) {
            io.out(JSON.stringify(js, null, 2));
            return 0;
          }
          for (const l of table([['ID', 'STATE', 'HEALTH', 'DEVICE', 'SUBMITTER', 'DESCRIPTION'], ...js.map((j) => [String(j.id), j.state, j.health, j.device ?? j.deviceType ?? '-', j.submitter, j.description])])) io.out(l);
          return 0;
        }
        case 'logs': {
          const [id] = jobIds(positionals);
          if (values.follow) {
            const [r] = await followJobs(client, [id!], { onLine: (_id, l) => io.out(formatLogLine(l)), ...(signal ? { signal } : {}) });
            // pass/fail from the test cases, as lab run --wait
            return r && summarize(r.job, r.tests).passed ? 0 : 1;
          }
          let start = 0;
          for (;;) {
            const { lines, next } = await client.logs(id!, start, signal);
            for (const l of lines) io.out(formatLogLine(l));
            if (next === start) break;
            start = next;
          }
          return 0;
        }
        case 'results': {
          let failed = false;
          for (const id of jobIds(positionals)) {
            const job = await client.job(id, signal);
            const tests = await client.tests(id, signal);
            if (values.json) io.out(JSON.stringify({ job, tests }, null, 2));
            else {
              io.out(`job ${id}: ${job.state} / ${job.health}  ${client.jobUrl(id)}`);
              for (const l of resultLines(id, tests)) io.out(l);
            }
            if (!summarize(job, tests).passed) failed = true;
          }
          return failed ? 1 : 0;
        }
        case 'cancel': {
          for (const id of jobIds(positionals)) io.out(`job ${id}: ${await client.cancel(id, signal)}`);
          return 0;
        }
        case 'run':
          return await runCmd(io, client, values, signal);
      }
      return 2;
    } catch (e) {
      if (e instanceof LabError) {
        io.err(`acrn-nest lab ${sub}: ${e.message}`);
        return 1;
      }
      throw e;
    }
  },
};

async function runCmd(
  io: CliIO,
  client: LavaClient,
  values: { 'device-type'?: string; count?: string; device?: string[]; image?: string; 'image-url'?: string; scenario?: string; 'acpi-dir'?: string; 'job-template'?: string; wait?: boolean; json?: boolean; 'timeout-minutes'?: string },
  signal: AbortSignal | undefined,
): Promise<number> {
  const deviceType = values['device-type'];
  if (!deviceType) throw new UsageError('--device-type T is required (the lab\'s device type of the boards)');
  if (values.count && values.device?.length) throw new UsageError('--count N and --device NAME exclude each other');
  const count = values.count ? Number(values.count) : values.device?.length ? values.device.length : 1;
  if (!Number.isInteger(count) || count <= 0 || count > 64) throw new UsageError(`--count must be 1..64, not '${values.count}'`);
  if (!values.image) throw new UsageError('--image FILE is required (acrn.bin, or the stand-in image)');
  const image = path.resolve(io.cwd, values.image);
  let bytes: Buffer;
  try {
    bytes = readFileSync(image);
  } catch (e) {
    throw new UsageError(`cannot read the image ${image}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const timeoutMin = values['timeout-minutes'] ? Number(values['timeout-minutes']) : 45;
  if (!Number.isFinite(timeoutMin) || timeoutMin <= 0) throw new UsageError(`--timeout-minutes must be a number, not '${values['timeout-minutes']}'`);
  const template = loadTemplate(io, values['job-template'], deviceType);
  if (values['acpi-dir'] && !values.scenario) throw new UsageError('--acpi-dir DIR goes with --scenario FILE (the scenario says which ACPI tables its pre-launched VMs need)');
  const scenario = values.scenario ? labScenario(path.resolve(io.cwd, values.scenario), { image, ...(values['acpi-dir'] ? { acpiDir: path.resolve(io.cwd, values['acpi-dir']) } : {}) }) : undefined;
  const jobs = await labRun(client, {
    deviceType,
    count,
    ...(values.device?.length ? { devices: values.device } : {}),
    imageUrl: values['image-url'] ?? pathToFileURL(image).href,
    imageSha256: sha256,
    ...(scenario ? { scenario } : {}),
    template,
    jobTimeoutMinutes: timeoutMin,
    log: (l) => io.err(l),
    ...(signal ? { signal } : {}),
  });
  for (const j of jobs) io.out(`submitted job ${j.id}${j.device ? ` for ${j.device}` : ''}: ${client.jobUrl(j.id)}`);
  if (!values.wait) return 0;
  const many = jobs.length > 1;
  const results = await followJobs(
    client,
    jobs.map((j) => j.id),
    { onLine: (id, l) => io.out(many ? `[job ${id}] ${formatLogLine(l)}` : formatLogLine(l)), onState: (id, s) => io.err(`job ${id}: ${s}`), ...(signal ? { signal } : {}) },
  );
  let ok = true;
  io.out('');
  io.out('results:');
  for (const r of results) {
    const s = summarize(r.job, r.tests);
    io.out(`job ${r.job.id} on ${r.job.device ?? '?'}: ${r.job.health}; ${s.pass} passed, ${s.fail} failed${s.other ? `, ${s.other} other` : ''}${s.reason ? ` (${s.reason})` : ''}  ${client.jobUrl(r.job.id)}`);
    for (const l of resultLines(r.job.id, r.tests)) io.out(`  ${l}`);
    if (!s.passed) ok = false;
  }
  if (values.json) io.out(JSON.stringify(results, null, 2));
  return ok ? 0 : 1;
}
