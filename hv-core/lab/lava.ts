/**
 * A client of LAVA's REST API v0.2 (lava-server 2023.01 and later), on Node's own fetch.
 *
 * - Every request names the lab by its host in its errors: unreachable, TLS not verified, bad
 *   token (401/403), not found. https is verified by Node's default trust store
 *   (NODE_EXTRA_CA_CERTS adds a lab's own CA); nothing here turns verification off.
 * - POST is never retried: a submit that timed out may have created the job, so it is reported
 *   as "may have been submitted" and left to the user (`acrn-nest lab jobs`).
 * - The token goes only into the Authorization header; no message or log line holds it.
 */
import { AcrnNestError } from '../errors.js';

export const LabErrorCodes = {
  badUrl: 'lab/bad-url',
  unreachable: 'lab/unreachable',
  tls: 'lab/tls',
  unauthorized: 'lab/unauthorized',
  noToken: 'lab/no-token',
  notFound: 'lab/not-found',
  unknownDeviceType: 'lab/unknown-device-type',
  unknownDevice: 'lab/unknown-device',
  rejected: 'lab/job-rejected',
  submitUncertain: 'lab/submit-uncertain',
  badScenario: 'lab/bad-scenario',
  http: 'lab/http',
} as const;

export class LabError extends AcrnNestError {
  constructor(
    code: string,
    message: string,
    readonly details: { status?: number; lavaMessage?: string; cause?: unknown } = {},
  ) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'LabError';
  }
}

export interface LabDevice {
  hostname: string;
  deviceType: string;
  state: string;
  health: string;
  worker: string | null;
  tags: string[];
  /** The job running on it now, and who submitted it (the holder), when one runs. */
  currentJob?: number;
  holder?: string;
}

export interface LabJob {
  id: number;
  description: string;
  submitter: string;
  state: string;
  health: string;
  deviceType: string | null;
  device: string | null;
  submitTime: string | null;
  startTime: string | null;
  endTime: string | null;
  tags: number[] | string[];
}

export interface LabTestCase {
  id: number;
  name: string;
  /** LAVA's suite id; the name is resolved by tests() when it can. */
  suite: string;
  result: 'pass' | 'fail' | 'skip' | 'unknown' | string;
  measurement?: string | null;
  unit?: string | null;
  logged?: string | null;
  /** LAVA's error for a failed case (first line of its error_msg), when it gives one. */
  error?: string;
}

/** One line of a job's log: LAVA writes `- {"dt": ..., "lvl": ..., "msg": ...}` per line. */
export interface LabLogLine {
  dt?: string;
  lvl: string;
  msg: unknown;
  /** The line as LAVA wrote it, when it was not the usual flow mapping. */
  raw?: string;
}

export interface LavaClientOptions {
  /** The lab's base URL (its web UI's root), e.g. https://lava.example.org/ */
  url: string;
  token?: string;
  /** Per request; default 30 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Job states LAVA ends in. */
export const FINISHED = 'Finished';

export function normalizeLabUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new LabError(LabErrorCodes.badUrl, `'${url}' is not a lab URL (expected http(s)://host[:port]/)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new LabError(LabErrorCodes.badUrl, `lab URL '${url}': only http and https are supported`);
  if (u.username || u.password) throw new LabError(LabErrorCodes.badUrl, `lab URL '${u.host}': put the token in a token file or ACRN_NEST_LAB_TOKEN, not in the URL`);
  u.search = '';
  u.hash = '';
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u;
}

/** The lab's identity: what a token is stored under (scheme, host, port, path; no query). */
export function labIdentity(url: string): string {
  return normalizeLabUrl(url).href;
}

/** Errors of a connection that closed under a request, not of a lab that is down. */
const STALE_CONNECTION_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'UND_ERR_CLOSED', 'EPIPE']);
const GET_RETRIES = 2;
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|UNABLE_TO_GET_ISSUER|HOSTNAME/;

export class LavaClient {
  readonly base: URL;
  private readonly api: URL;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;

  constructor(o: LavaClientOptions) {
    this.base = normalizeLabUrl(o.url);
    this.api = new URL('api/v0.2/', this.base);
    this.token = o.token?.trim() || undefined;
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.fetchFn = o.fetch ?? fetch;
  }

  get host(): string {
    return this.base.host;
  }

  get hasToken(): boolean {
    return this.token !== undefined;
  }

  /** The job's page in LAVA's web UI. */
  jobUrl(id: number): string {
    return new URL(`scheduler/job/${id}`, this.base).href;
  }

  private async request(method: 'GET' | 'POST', rel: string, o: { body?: unknown; signal?: AbortSignal; allow404?: boolean } = {}): Promise<Response> {
    const url = new URL(rel, this.api);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.token) headers.Authorization = `Token ${this.token}`;
    if (o.body !== undefined) headers['Content-Type'] = 'application/json';
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
    let res: Response | undefined;
    for (let attempt = 0; res === undefined; attempt++) {
      try {
        res = await this.fetchFn(url, { method, headers, signal, redirect: 'manual', ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}) });
      } catch (e) {
        if (o.signal?.aborted) throw e;
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        const code = cause?.code ?? '';
        // A kept-alive connection the server closed while idle (gunicorn's keep-alive is 2 s) fails
        // the next request on it with 'other side closed'. A GET is asked again on a new connection.
        if (method === 'GET' && !timeout.aborted && STALE_CONNECTION_CODES.has(code) && attempt < GET_RETRIES) continue;
        if (method === 'POST') {
          // Never retried: the lab may have the job already.
          throw new LabError(LabErrorCodes.submitUncertain, `the lab at ${this.host} did not answer the submit (${code || (e as Error).name}: ${cause?.message ?? (e as Error).message}); the job may or may not have been created: check with 'acrn-nest lab jobs' before submitting again`, { cause: e });
        }
        if (TLS_CODES.test(code)) throw new LabError(LabErrorCodes.tls, `the lab at ${this.host}: its TLS certificate is not trusted (${code}); add its CA with NODE_EXTRA_CA_CERTS=/path/ca.pem (verification stays on)`, { cause: e });
        if (timeout.aborted) throw new LabError(LabErrorCodes.unreachable, `the lab at ${this.host} did not answer within ${Math.round(this.timeoutMs / 1000)} s`, { cause: e });
        throw new LabError(LabErrorCodes.unreachable, `cannot reach the lab at ${this.host}: ${code || cause?.message || (e as Error).message}`, { cause: e });
      }
    }
    if (res.status === 401 || res.status === 403) {
      const detail = await lavaMessage(res);
      const why = this.token ? 'the token was refused' : 'no token given (--token-file FILE or ACRN_NEST_LAB_TOKEN)';
      throw new LabError(LabErrorCodes.unauthorized, `the lab at ${this.host} refused ${method} ${url.pathname}: ${why} (HTTP ${res.status}${detail ? `: ${detail}` : ''})`, { status: res.status, ...(detail ? { lavaMessage: detail } : {}) });
    }
    if (res.status >= 300 && res.status < 400) {
      throw new LabError(LabErrorCodes.http, `the lab at ${this.host} redirected ${url.pathname} to ${res.headers.get('location') ?? '?'}: is the lab URL right (scheme, path)?`, { status: res.status });
    }
    if (res.status === 404 && !o.allow404) {
      await res.body?.cancel();
      throw new LabError(LabErrorCodes.notFound, `the lab at ${this.host} has no ${url.pathname} (HTTP 404)`, { status: 404 });
    }
    return res;
  }

  private async json<T>(rel: string, signal?: AbortSignal): Promise<T> {
    const res = await this.request('GET', rel, signal ? { signal } : {});
    if (!res.ok) {
      const m = await lavaMessage(res);
      throw new LabError(LabErrorCodes.http, `the lab at ${this.host}: GET ${rel} failed: HTTP ${res.status}${m ? `: ${m}` : ''}`, { status: res.status });
    }
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new LabError(LabErrorCodes.http, `the lab at ${this.host}: GET ${rel} did not answer JSON (is ${this.base.href} a LAVA server?)`, { cause: e });
    }
  }

  /** Every page of a paginated list. */
  private async all<T>(rel: string, signal?: AbortSignal): Promise<T[]> {
    const out: T[] = [];
    let next: string | null = rel;
    for (let guard = 0; next && guard < 1000; guard++) {
      const page: { results?: T[]; next?: string | null } = await this.json(next, signal);
      out.push(...(page.results ?? []));
      // `next` is an absolute URL as the server sees itself; keep our own base (a proxy may differ).
      next = page.next ? relativeToApi(page.next) : null;
    }
    return out;
  }

  async deviceTypes(signal?: AbortSignal): Promise<string[]> {
    const r = await this.all<{ name: string }>('devicetypes/?limit=100', signal);
    return r.map((d) => d.name);
  }

  async devices(o: { deviceType?: string; signal?: AbortSignal } = {}): Promise<LabDevice[]> {
    const q = new URLSearchParams({ limit: '100' });
    if (o.deviceType) q.set('device_type', o.deviceType);
    const raw = await this.all<Record<string, unknown>>(`devices/?${q}`, o.signal);
    const running = await this.jobs({ state: 'Running', limit: 100, ...(o.signal ? { signal: o.signal } : {}) });
    // LAVA lists a device's tags by id: their names come from /tags/.
    const tagIds = raw.flatMap((d) => (Array.isArray(d.tags) ? (d.tags as unknown[]) : []));
    const tagNames = new Map<string, string>();
    if (tagIds.some((t) => typeof t === 'number')) {
      try {
        for (const t of await this.all<{ id: number; name: string }>('tags/?limit=100', o.signal)) tagNames.set(String(t.id), t.name);
      } catch (e) {
        // /tags/ wants a token where devices do not: without one, tags stay ids.
        if (!(e instanceof LabError && e.code === LabErrorCodes.unauthorized && !this.token)) throw e;
      }
    }
    return raw.map((d) => {
      const hostname = String(d.hostname);
      const job = running.find((j) => j.device === hostname);
      return {
        hostname,
        deviceType: String(d.device_type),
        state: String(d.state),
        health: String(d.health),
        worker: (d.worker_host as string | null) ?? null,
        tags: Array.isArray(d.tags) ? (d.tags as unknown[]).map((t) => tagNames.get(String(t)) ?? String(t)) : [],
        ...(job ? { currentJob: job.id, holder: job.submitter } : {}),
      };
    });
  }

  async jobs(o: { state?: string; limit?: number; signal?: AbortSignal } = {}): Promise<LabJob[]> {
    const q = new URLSearchParams({ ordering: '-id', limit: String(o.limit ?? 20) });
    if (o.state) q.set('state', o.state);
    // One page only: the newest N.
    const page: { results?: Record<string, unknown>[] } = await this.json(`jobs/?${q}`, o.signal);
    return (page.results ?? []).map(toJob);
  }

  async job(id: number, signal?: AbortSignal): Promise<LabJob> {
    const res = await this.request('GET', `jobs/${id}/`, { allow404: true, ...(signal ? { signal } : {}) });
    if (res.status === 404) {
      await res.body?.cancel();
      throw new LabError(LabErrorCodes.notFound, `the lab at ${this.host} has no job ${id} (or it is not visible to this token)`, { status: 404 });
    }
    if (!res.ok) throw new LabError(LabErrorCodes.http, `the lab at ${this.host}: job ${id}: HTTP ${res.status}`, { status: res.status });
    return toJob(JSON.parse(await res.text()) as Record<string, unknown>);
  }

  /**
   * Submits one job definition (YAML text; JSON is YAML too). Returns the job ids (one, or one
   * per role of a multinode job). Never retried. LAVA's refusal is a LabError with
   * `lavaMessage` set, so callers can point at the template's line.
   */
  async submit(definition: string, signal?: AbortSignal): Promise<number[]> {
    if (!this.token) throw new LabError(LabErrorCodes.noToken, `submitting to the lab at ${this.host} needs its API token: --token-file FILE or ACRN_NEST_LAB_TOKEN`);
    const res = await this.request('POST', 'jobs/', { body: { definition }, ...(signal ? { signal } : {}) });
    const text = await res.text();
    let body: { message?: unknown; job_ids?: unknown; definition?: unknown } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      /* not JSON: reported below */
    }
    if (res.status === 201 && Array.isArray(body.job_ids)) return body.job_ids.map((n) => Number(n));
    const m = typeof body.message === 'string' ? body.message : Array.isArray(body.definition) ? body.definition.join('; ') : text.slice(0, 500);
    if (res.status === 400) {
      if (/device or device type not found|device ?type .* (not found|unavailable)/i.test(m)) throw new LabError(LabErrorCodes.unknownDeviceType, `the lab at ${this.host} refused the job: ${m}`, { status: 400, lavaMessage: m });
      throw new LabError(LabErrorCodes.rejected, `the lab at ${this.host} refused the job: ${m}`, { status: 400, lavaMessage: m });
    }
    throw new LabError(LabErrorCodes.http, `the lab at ${this.host}: submit answered HTTP ${res.status}${m ? `: ${m}` : ''}; the job may or may not exist: check 'acrn-nest lab jobs' before submitting again`, { status: res.status });
  }

  /**
   * Log lines from line `start` (0-based) on. Only complete lines are returned; `next` is where
   * the following call starts. A job that has not logged yet answers no lines.
   */
  async logs(id: number, start = 0, signal?: AbortSignal): Promise<{ lines: LabLogLine[]; next: number }> {
    const res = await this.request('GET', `jobs/${id}/logs/?start=${start}`, { allow404: true, ...(signal ? { signal } : {}) });
    if (res.status === 404) {
      await res.body?.cancel();
      // LAVA answers 404 both for "no such job" and "no log (yet) / nothing past start".
      return { lines: [], next: start };
    }
    if (!res.ok) throw new LabError(LabErrorCodes.http, `the lab at ${this.host}: logs of job ${id}: HTTP ${res.status}`, { status: res.status });
    const text = await res.text();
    const end = text.lastIndexOf('\n');
    if (end < 0) return { lines: [], next: start };
    const raw = text.slice(0, end).split('\n');
    return { lines: raw.map(parseLogLine), next: start + raw.length };
  }

  /** Test cases of a job, with suite names (suite "lava" holds LAVA's own actions). */
  async tests(id: number, signal?: AbortSignal): Promise<LabTestCase[]> {
    const suites = await this.all<{ id: number; name: string }>(`jobs/${id}/suites/?limit=100`, signal);
    const names = new Map(suites.map((s) => [String(s.id), s.name]));
    const raw = await this.all<Record<string, unknown>>(`jobs/${id}/tests/?limit=100`, signal);
    return raw.map((t) => {
      const err = typeof t.metadata === 'string' ? /^error_msg: (.*)$/m.exec(t.metadata)?.[1]?.replace(/^['"]|['"]$/g, '').trim() : undefined;
      return {
        id: Number(t.id),
        name: String(t.name),
        suite: names.get(String(t.suite)) ?? String(t.suite),
        result: String(t.result),
        measurement: (t.measurement as string | null | undefined) ?? null,
        unit: (t.unit as string | null | undefined) || null,
        logged: (t.logged as string | null | undefined) ?? null,
        ...(err ? { error: err } : {}),
      };
    });
  }

  async cancel(id: number, signal?: AbortSignal): Promise<string> {
    if (!this.token) throw new LabError(LabErrorCodes.noToken, `cancelling a job on the lab at ${this.host} needs its API token: --token-file FILE or ACRN_NEST_LAB_TOKEN`);
    const res = await this.request('GET', `jobs/${id}/cancel/`, { allow404: true, ...(signal ? { signal } : {}) });
    if (res.status === 404) {
      await res.body?.cancel();
      throw new LabError(LabErrorCodes.notFound, `the lab at ${this.host} has no job ${id}`, { status: 404 });
    }
    const m = await lavaMessage(res);
    if (!res.ok) throw new LabError(LabErrorCodes.http, `the lab at ${this.host}: cancel job ${id}: HTTP ${res.status}${m ? `: ${m}` : ''}`, { status: res.status });
    return m ?? 'cancel sent';
  }
}

function relativeToApi(next: string): string {
  const u = new URL(next);
  const i = u.pathname.indexOf('/api/v0.2/');
  return (i >= 0 ? u.pathname.slice(i + '/api/v0.2/'.length) : u.pathname) + u.search;
}

function toJob(j: Record<string, unknown>): LabJob {
  return {
    id: Number(j.id),
    description: String(j.description ?? ''),
    submitter: String(j.submitter ?? ''),
    state: String(j.state ?? ''),
    health: String(j.health ?? ''),
    deviceType: (j.requested_device_type as string | null) ?? null,
    device: (j.actual_device as string | null) ?? null,
    submitTime: (j.submit_time as string | null) ?? null,
    startTime: (j.start_time as string | null) ?? null,
    endTime: (j.end_time as string | null) ?? null,
    tags: (j.tags as number[]) ?? [],
  };
}

async function lavaMessage(res: Response): Promise<string | undefined> {
  const text = await res.text().catch(() => '');
  if (!text) return undefined;
  try {
    const b = JSON.parse(text) as { message?: unknown; detail?: unknown };
    if (typeof b.message === 'string') return b.message;
    if (typeof b.detail === 'string') return b.detail;
  } catch {
    /* HTML or text */
  }
  return text.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200) || undefined;
}

/** `- {"dt": "...", "lvl": "info", "msg": "..."}`: LAVA's flow mappings are JSON. */
export function parseLogLine(line: string): LabLogLine {
  const body = line.startsWith('- ') ? line.slice(2) : line;
  // LAVA tags a number-like string as `! "2562652"` (YAML's non-specific tag): drop the tag.
  for (const text of [body, body.replace(/: ! "/g, ': "')]) {
    try {
      const o = JSON.parse(text) as { dt?: unknown; lvl?: unknown; msg?: unknown };
      if (o && typeof o === 'object' && typeof o.lvl === 'string') return { ...(typeof o.dt === 'string' ? { dt: o.dt } : {}), lvl: o.lvl, msg: o.msg };
    } catch {
      /* next */
    }
  }
  return { lvl: 'raw', msg: body, raw: line };
}

/** A log line as one line of text for a terminal: target output as is, the rest tagged. */
export function formatLogLine(l: LabLogLine): string {
  const msg = typeof l.msg === 'string' ? l.msg : JSON.stringify(l.msg);
  if (l.lvl === 'target' || l.lvl === 'feedback') return msg;
  const time = l.dt ? l.dt.slice(11, 19) : '';
  return `${time ? `${time} ` : ''}[${l.lvl}] ${msg}`;
}
