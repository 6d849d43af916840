/**
 * hv-core/lab without a lab: job templates (rendering keeps line numbers, LAVA's errors point at
 * the template's line), and the client's errors and its one-POST rule against a local HTTP
 * server that answers as LAVA 2023.01 does (its messages copied from a real lava-server run).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LabError, LabErrorCodes, LavaClient, labIdentity, normalizeLabUrl, parseLogLine } from '../../hv-core/lab/lava';
import { ACRN_BOARD_TEMPLATE, builtinTemplate, findKeyPath, locateLavaError, renderTemplate } from '../../hv-core/lab/template';
import type { TemplateValues } from '../../hv-core/lab/template';
import { summarize } from '../../hv-core/lab/run';
import { runCli } from '../../hv-core/cli/main';

const values: TemplateValues = {
  job_name: 'acrn-nest: shared on acrn-board (1/2)',
  device_type: 'acrn-board',
  image_url: 'file:///tmp/x/acrn.bin',
  image_sha256: 'ab'.repeat(32),
  scenario: 'shared',
  tags: [],
  job_timeout: 45,
  login_user: 'acrn',
  login_password: 'acrn',
  shell_prompt: '\\$ ',
};

test('rendering keeps every line where the template has it, and fills values as YAML scalars', () => {
  const t = builtinTemplate('acrn-board');
  const out = renderTemplate(t, values);
  const a = t.text.split('\n');
  const b = out.split('\n');
  assert.equal(b.length, a.length);
  assert.ok(b.includes('device_type: "acrn-board"'), out);
  assert.ok(b.includes('tags: []'), out);
  assert.ok(b.includes('        url: "file:///tmp/x/acrn.bin"'), out);
  assert.ok(out.includes(`"booted-image-${'ab'.repeat(8)}-end"`), 'the sha prefix inside a quoted string is filled in raw');
  assert.ok(!/\{\{/.test(out.split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n')), 'no placeholder left');
});

test('an unknown placeholder is an error at its line, before anything is sent', () => {
  const text = 'job_name: {{ job_name }}\ndevice_type: {{ device_typo }}\n';
  assert.throws(() => renderTemplate({ source: '/w/lava-job.yaml', text }, values), (e: LabError) => e.code === LabErrorCodes.rejected && e.message.startsWith('/w/lava-job.yaml:2: unknown placeholder {{ device_typo }}'));
});

test('LAVA errors map to the template line: YAML line numbers and schema key paths', () => {
  const t = ACRN_BOARD_TEMPLATE;
  const lines = t.split('\n');
  const lineOf = (re: RegExp): number => lines.findIndex((l) => re.test(l)) + 1;
  // Messages as lava-server 2023.01 answers them (measured).
  assert.deepEqual(locateLavaError(t, "Problem with submitted job data: not a valid value for dictionary value @ data['priority']"), { line: lineOf(/^priority:/), what: 'priority' });
  const deployTimeout = lines.findIndex((l, i) => i > lineOf(/^- deploy:/) && /^ {4}timeout:/.test(l)) + 1;
  assert.equal(locateLavaError(t, "Problem with submitted job data: extra keys not allowed @ data['actions'][0]['deploy']['timeout']['minutz']")?.line, deployTimeout, 'a missing key points at its parent');
  assert.equal(locateLavaError(t, "expected str @ data['actions[1]']['boot']['auto_login']['username']")?.line, lineOf(/^ {6}username:/));
  assert.equal(locateLavaError(t, 'Loading job submission failed: while parsing a flow sequence\n  in "<unicode string>", line 12, column 8')?.line, 12);
  assert.equal(locateLavaError(t, 'Devices unavailable: something'), undefined);
  assert.equal(findKeyPath('a:\n  b:\n  - x: 1\n  - y: 2\n    z: 3\n', ['a', 'b', 1, 'z']), 5);
});

test('lab URLs: http(s) only, no credentials in them; the identity a token is stored under', () => {
  assert.equal(labIdentity('https://lava.example.org'), 'https://lava.example.org/');
  assert.equal(labIdentity('https://lava.example.org/lab?x=1#y'), 'https://lava.example.org/lab/');
  assert.throws(() => normalizeLabUrl('ftp://x/'), (e: LabError) => e.code === LabErrorCodes.badUrl);
  assert.throws(() => normalizeLabUrl('https://user:secret@x/'), (e: LabError) => e.code === LabErrorCodes.badUrl && !e.message.includes('secret'));
});

test('log lines: LAVA\'s flow mappings, and anything else kept raw', () => {
  assert.deepEqual(parseLogLine('- {"dt": "2026-12-02T04:33:09.262462", "lvl": "target", "msg": "login:"}'), { dt: '2026-12-02T04:33:09.262462', lvl: 'target', msg: 'login:' });
  assert.equal(parseLogLine('- not: json').lvl, 'raw');
});

test('pass/fail comes from the test cases, never from the job state alone', () => {
  const job = { id: 1, description: '', submitter: 'u', state: 'Finished', health: 'Complete', deviceType: 't', device: 'd', submitTime: null, startTime: null, endTime: null, tags: [] };
  const tc = (suite: string, name: string, result: string) => ({ id: 1, name, suite, result });
  assert.equal(summarize(job, [tc('lava', 'job', 'pass'), tc('0_acrn-smoke', 'hypervisor-running', 'fail')]).passed, false, 'a Complete job with a failed case fails');
  assert.equal(summarize(job, [tc('lava', 'job', 'pass')]).passed, false, 'LAVA\'s own cases alone are no pass');
  assert.equal(summarize(job, [tc('lava', 'job', 'pass'), tc('0_acrn-smoke', 'hypervisor-running', 'pass')]).passed, true);
  assert.equal(summarize({ ...job, health: 'Incomplete' }, [tc('0_acrn-smoke', 'x', 'pass')]).passed, false);
});

/** A local server standing in for LAVA's HTTP answers; counts every request. */
async function fakeLava(handler: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} auth=${req.headers.authorization ? 'yes' : 'no'}`);
      handler(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    seen,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

test('a submit whose answer never comes is not retried: one POST, and the error says the job may exist', async () => {
  const lab = await fakeLava((req, res) => {
    if (req.method === 'POST') req.socket.destroy();
    else res.end('{}');
  });
  try {
    const c = new LavaClient({ url: lab.url, token: 't0ken-secret' });
    await assert.rejects(c.submit('job_name: x'), (e: LabError) => e.code === LabErrorCodes.submitUncertain && /may or may not have been created/.test(e.message) && !e.message.includes('t0ken-secret'));
    assert.deepEqual(lab.seen, ['POST /api/v0.2/jobs/ auth=yes']);
  } finally {
    await lab.close();
  }
});

test('a GET whose kept-alive connection the lab closed is asked again on a new one; a lab that keeps closing is named unreachable', async () => {
  let drop = 1;
  const lab = await fakeLava((_req, res) => {
    if (drop-- > 0) {
      res.socket?.destroy();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ count: 1, next: null, results: [{ id: 7, description: 'x', state: 'Finished', health: 'Complete', actual_device: null, submit_time: null, end_time: null }] }));
  });
  try {
    const c = new LavaClient({ url: lab.url, token: 't' });
    const jobs = await c.jobs({ limit: 1 });
    assert.equal(jobs[0]?.id, 7);
    assert.equal(lab.seen.length, 2, lab.seen.join('\n'));
    drop = 100;
    lab.seen.length = 0;
    await assert.rejects(c.jobs({ limit: 1 }), (e: LabError) => e.code === LabErrorCodes.unreachable && /cannot reach the lab at 127\.0\.0\.1:\d+: UND_ERR_SOCKET/.test(e.message));
    assert.equal(lab.seen.length, 3, 'the first try and two more');
  } finally {
    await lab.close();
  }
});

test('HTTP answers map to stable codes: 403 bad token, 400 device type, 400 schema, 201 ids', async () => {
  let answer: [number, unknown] = [201, { message: 'job(s) successfully submitted', job_ids: [7] }];
  const lab = await fakeLava((_req, res) => {
    res.writeHead(answer[0], { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer[1]));
  });
  try {
    const c = new LavaClient({ url: lab.url, token: 't' });
    assert.deepEqual(await c.submit('x'), [7]);
    answer = [403, { detail: 'Invalid token.' }];
    await assert.rejects(c.submit('x'), (e: LabError) => e.code === LabErrorCodes.unauthorized && /token was refused \(HTTP 403: Invalid token\.\)/.test(e.message));
    answer = [400, { message: 'Specified device or device type not found.' }];
    await assert.rejects(c.submit('x'), (e: LabError) => e.code === LabErrorCodes.unknownDeviceType);
    answer = [400, { message: "Problem with submitted job data: not a valid value for dictionary value @ data['priority']" }];
    await assert.rejects(c.submit('x'), (e: LabError) => e.code === LabErrorCodes.rejected && e.details.lavaMessage!.includes("data['priority']"));
    await assert.rejects(new LavaClient({ url: lab.url }).submit('x'), (e: LabError) => e.code === LabErrorCodes.noToken);
    assert.equal(lab.seen.filter((s) => s.startsWith('POST')).length, 4, 'one POST per submit, none for the tokenless one');
  } finally {
    await lab.close();
  }
});

test('an unreachable lab is named by its host', async () => {
  const lab = await fakeLava((_q, r) => r.end());
  const url = lab.url;
  await lab.close();
  await assert.rejects(new LavaClient({ url }).devices(), (e: LabError) => e.code === LabErrorCodes.unreachable && e.message.includes(new URL(url).host) && /ECONNREFUSED/.test(e.message));
});

test('acrn-nest lab: usage errors exit 2 before any request; template prints the built-in job', async () => {
  const run = async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l), cwd: process.cwd(), env });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  assert.equal((await run(['lab'])).code, 2);
  assert.match((await run(['lab', 'devices'])).err, /--lab URL is required \(or ACRN_NEST_LAB_URL\)/);
  // Port 9 (discard) on loopback is never asked: these fail on their arguments first.
  const lab = ['--lab', 'http://127.0.0.1:9/'];
  assert.match((await run(['lab', 'run', ...lab, '--image', 'x', '--scenario', 's'], { ACRN_NEST_LAB_TOKEN: 't' })).err, /--device-type T is required/);
  assert.match((await run(['lab', 'run', ...lab, '--device-type', 't', '--count', '2', '--device', 'a', '--image', 'x', '--scenario', 's'], { ACRN_NEST_LAB_TOKEN: 't' })).err, /exclude each other/);
  assert.match((await run(['lab', 'run', ...lab, '--device-type', 't', '--count', '0', '--image', 'x', '--scenario', 's'], { ACRN_NEST_LAB_TOKEN: 't' })).err, /--count must be 1\.\.64/);
  assert.match((await run(['lab', 'cancel', ...lab, 'abc'])).err, /'abc' is not a job id/);
  const missingTokenFile = await run(['lab', 'jobs', ...lab, '--token-file', '/nonexistent/token']);
  assert.equal(missingTokenFile.code, 1);
  assert.match(missingTokenFile.err, /cannot read the token file \/nonexistent\/token: ENOENT/);
  const t = await run(['lab', 'template']);
  assert.equal(t.code, 0);
  assert.equal(t.out, ACRN_BOARD_TEMPLATE.trimEnd());
});
