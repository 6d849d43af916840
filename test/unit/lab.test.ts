/**
 * hv-core/lab without a lab: job templates (rendering keeps line numbers, LAVA's errors point at
 * the template's line), and the client's errors and its one-POST rule against a local HTTP
 * server that answers as LAVA 2023.01 does (its messages copied from a real lava-server run).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, watch, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { create as createTar } from 'tar';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { LabError, LabErrorCodes, LavaClient, labIdentity, normalizeLabUrl, parseLogLine } from '../../hv-core/lab/lava';
import { ACRN_BOARD_TEMPLATE, builtinTemplate, findKeyPath, locateLavaError, renderTemplate } from '../../hv-core/lab/template';
import type { TemplateValues } from '../../hv-core/lab/template';
import { labRun, labScenario, summarize } from '../../hv-core/lab/run';
import { ConsoleLines, DEFAULT_PANIC, unpackAcpiTables } from '../../hv-core/cli/labFlash';
import { runCli } from '../../hv-core/cli/main';
import { writeMultiboot2Header } from '../../hv-core/deploy/grub';

const values: TemplateValues = {
  job_name: 'acrn-nest: acrn.bin (shared.xml) on acrn-board (1/2)',
  device_type: 'acrn-board',
  image_url: 'file:///tmp/x/acrn.bin',
  image_sha256: 'ab'.repeat(32),
  scenario: 'shared.xml',
  scenario_url: 'file:///tmp/x/shared.xml',
  scenario_sha256: 'cd'.repeat(32),
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

test('the scenario goes to the worker as a download of its own; a job without one leaves its lines out, line numbers kept', () => {
  const t = builtinTemplate('acrn-board');
  const a = t.text.split('\n');
  const withIt = renderTemplate(t, values).split('\n');
  assert.ok(withIt.includes(`      scenario: {url: "file:///tmp/x/shared.xml", sha256sum: "${'cd'.repeat(32)}"}`), withIt.join('\n'));
  assert.ok(withIt.includes('  acrn_scenario: "shared.xml"'));
  const { scenario: _s, scenario_url: _u, scenario_sha256: _h, ...rest } = values;
  const without = renderTemplate(t, rest).split('\n');
  assert.equal(without.length, a.length, 'line numbers stay');
  const left = a.flatMap((l, i) => (without[i] === '' && l !== '' ? [l.trim()] : []));
  assert.deepEqual(left, ['acrn_scenario: {{ scenario }}', 'acrn_scenario_sha256: {{ scenario_sha256 }}', 'scenario: {url: {{ scenario_url }}, sha256sum: {{ scenario_sha256 }}}', 'acpi: {url: {{ acpi_url }}, sha256sum: {{ acpi_sha256 }}}']);
  assert.ok(!without.some((l) => /scenario/.test(l) && !l.trimStart().startsWith('#')), 'no scenario in the job');
  assert.throws(() => renderTemplate({ source: 'x.yaml', text: 'a: {{ nope }}\n' }, rest), /known: .*scenario_url/, 'the optional ones are listed as known');
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
  assert.match((await run(['lab', 'run', ...lab, '--image', 'x'], { ACRN_NEST_LAB_TOKEN: 't' })).err, /--device-type T is required/);
  assert.match((await run(['lab', 'run', ...lab, '--device-type', 't', '--count', '2', '--device', 'a', '--image', 'x'], { ACRN_NEST_LAB_TOKEN: 't' })).err, /exclude each other/);
  assert.match((await run(['lab', 'run', ...lab, '--device-type', 't', '--count', '0', '--image', 'x'], { ACRN_NEST_LAB_TOKEN: 't' })).err, /--count must be 1\.\.64/);
  assert.match((await run(['lab', 'cancel', ...lab, 'abc'])).err, /'abc' is not a job id/);
  const missingTokenFile = await run(['lab', 'jobs', ...lab, '--token-file', '/nonexistent/token']);
  assert.equal(missingTokenFile.code, 1);
  assert.match(missingTokenFile.err, /cannot read the token file \/nonexistent\/token: ENOENT/);
  // --scenario is the scenario XML the worker's deploy gets: checked before any request.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-lab-unit-'));
  try {
    const img = path.join(dir, 'acrn.bin');
    writeFileSync(img, 'x');
    const runScenario = (f: string): Promise<{ code: number; out: string; err: string }> => run(['lab', 'run', ...lab, '--device-type', 't', '--image', img, '--scenario', f], { ACRN_NEST_LAB_TOKEN: 't' });
    const noFile = await runScenario(path.join(dir, 'shared'));
    assert.equal(noFile.code, 1);
    assert.match(noFile.err, /--scenario is the scenario XML the image was built from \(the worker's deploy gets it\): cannot read \S+shared: ENOENT/);
    writeFileSync(path.join(dir, 'board.xml'), '<acrn-config board="x"><BIOS_INFO>y</BIOS_INFO></acrn-config>\n');
    const board = await runScenario(path.join(dir, 'board.xml'));
    assert.equal(board.code, 1);
    assert.match(board.err, /board\.xml is not an ACRN scenario/);
    writeFileSync(path.join(dir, 'hybrid.xml'), '<acrn-config>\n<hv><FEATURES><RELOC_ENABLED>y</RELOC_ENABLED></FEATURES></hv>\n<vm id="0"><load_order>PRE_LAUNCHED_VM</load_order><name>RTVM</name><os_config><kern_mod>Zephyr_RawImage</kern_mod></os_config></vm>\n<vm id="1"><load_order>SERVICE_VM</load_order><name>ACRN_Service_VM</name><os_config><kern_mod>Linux_bzImage</kern_mod></os_config></vm>\n</acrn-config>\n');
    // A pre-launched VM's ACPI table is looked for where deploy looks (<image dir>/acpi).
    const acpi = await runScenario(path.join(dir, 'hybrid.xml'));
    assert.equal(acpi.code, 1);
    assert.ok(acpi.err.includes(`hybrid.xml has pre-launched VMs whose ACPI tables the board needs, and ${path.join(dir, 'acpi')} lacks ACPI_VM0.bin: build them`), acpi.err);
    const acpiDirAlone = await run(['lab', 'run', ...lab, '--device-type', 't', '--image', img, '--acpi-dir', dir], { ACRN_NEST_LAB_TOKEN: 't' });
    assert.equal(acpiDirAlone.code, 2);
    assert.match(acpiDirAlone.err, /--acpi-dir DIR goes with --scenario FILE/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const t = await run(['lab', 'template']);
  assert.equal(t.code, 0);
  assert.equal(t.out, ACRN_BOARD_TEMPLATE.trimEnd());
});

test('a v3 scenario\'s pre-launched VMs: their ACPI tables go to the worker as one tar the job downloads, unpacked there for the deploy; a template without it is refused before any submit', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-lab-acpi-'));
  try {
    const img = path.join(dir, 'acrn.bin');
    writeFileSync(img, 'x');
    const scenario = path.join(dir, 'hybrid.xml');
    writeFileSync(scenario, '<acrn-config>\n<hv><FEATURES><RELOC_ENABLED>y</RELOC_ENABLED></FEATURES></hv>\n<vm id="0"><load_order>PRE_LAUNCHED_VM</load_order><name>RTVM</name><os_config><kern_mod>Zephyr_RawImage</kern_mod></os_config></vm>\n<vm id="2"><load_order>PRE_LAUNCHED_VM</load_order><name>VM2</name><os_config><kern_mod>Zephyr_RawImage</kern_mod></os_config></vm>\n<vm id="1"><load_order>SERVICE_VM</load_order><name>ACRN_Service_VM</name><os_config><kern_mod>Linux_bzImage</kern_mod></os_config></vm>\n</acrn-config>\n');
    mkdirSync(path.join(dir, 'acpi'));
    const t0 = randomBytes(1500);
    const t2 = randomBytes(700);
    writeFileSync(path.join(dir, 'acpi', 'ACPI_VM0.bin'), t0);
    writeFileSync(path.join(dir, 'acpi', 'ACPI_VM2.bin'), t2);
    writeFileSync(path.join(dir, 'acpi', 'notes.txt'), 'not packed');
    const s = labScenario(scenario, { image: img });
    assert.ok(s.acpi, 'the tables are carried');
    assert.deepEqual(s.acpi.files, ['ACPI_VM0.bin', 'ACPI_VM2.bin']);
    assert.equal(s.acpi.url, pathToFileURL(`${img}.acpi.tar`).href);
    assert.equal(s.acpi.sha256, createHash('sha256').update(readFileSync(`${img}.acpi.tar`)).digest('hex'));
    assert.equal(labScenario(scenario, { image: img }).acpi!.sha256, s.acpi.sha256, 'the same tables make the same tar');
    // The job downloads it as its image `acpi`, with its SHA-256.
    const job = renderTemplate(builtinTemplate('acrn-board'), { ...values, acpi_url: s.acpi.url, acpi_sha256: s.acpi.sha256 }).split('\n');
    assert.ok(job.includes(`      acpi: {url: ${JSON.stringify(s.acpi.url)}, sha256sum: "${s.acpi.sha256}"}`), job.join('\n'));
    // The worker's side: only ACPI_VM<n>.bin plain files come out, into a folder of their own.
    const out = unpackAcpiTables(`${img}.acpi.tar`);
    try {
      assert.deepEqual(readdirSync(out).sort(), ['ACPI_VM0.bin', 'ACPI_VM2.bin']);
      assert.ok(readFileSync(path.join(out, 'ACPI_VM0.bin')).equals(t0) && readFileSync(path.join(out, 'ACPI_VM2.bin')).equals(t2));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    const evil = path.join(dir, 'evil.tar');
    createTar({ file: evil, cwd: dir, sync: true }, ['acpi/ACPI_VM0.bin', 'hybrid.xml']);
    assert.throws(() => unpackAcpiTables(evil), /holds 'acpi\/ACPI_VM0\.bin', 'hybrid\.xml', not only ACPI_VM<n>\.bin files/);
    writeFileSync(path.join(dir, 'garbage.tar'), randomBytes(2048));
    assert.throws(() => unpackAcpiTables(path.join(dir, 'garbage.tar')), /no ACPI_VM<n>\.bin file|is not a tar of ACPI tables/);
    // A workspace template from before (no acpi image): refused before anything is submitted.
    const lava = await fakeLava((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url!.startsWith('/api/v0.2/devicetypes/')) res.end(JSON.stringify({ results: [{ name: 'acrn-board' }] }));
      else if (req.url!.startsWith('/api/v0.2/devices/')) res.end(JSON.stringify({ results: [{ hostname: 'nuc-1', device_type: 'acrn-board', state: 'Idle', health: 'Good', tags: [] }] }));
      else res.end(JSON.stringify({ results: [] }));
    });
    try {
      const old = { source: path.join(dir, 'lava-job.yaml'), text: ACRN_BOARD_TEMPLATE.split('\n').filter((l) => !/acpi/.test(l)).join('\n') };
      await assert.rejects(
        labRun(new LavaClient({ url: lava.url, token: 't' }), { deviceType: 'acrn-board', count: 1, imageUrl: pathToFileURL(img).href, imageSha256: 'ab'.repeat(32), scenario: s, template: old }),
        (e: LabError) => e.code === LabErrorCodes.badScenario && e.message.startsWith(`${old.source}: the scenario's pre-launched VMs need their ACPI tables (ACPI_VM0.bin, ACPI_VM2.bin)`) && e.message.includes("add the line 'acpi: {url: {{ acpi_url }}"),
      );
      assert.ok(!lava.seen.some((l) => l.startsWith('POST')), 'nothing submitted');
    } finally {
      await lava.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lab flash (the worker\'s flasher): LAVA\'s {SCENARIO} left as it is means no scenario; the job\'s ACPI tables become the deploy\'s --acpi-dir; a panic on the console runs the power cycle, which ends the deploy\'s wait', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acrn-nest-lab-flash-'));
  // The board's SSH: accepts and never speaks (the deploy waits in its connect) until the power
  // cycle "resets" the board, which closes every connection.
  const sockets = new Set<net.Socket>();
  const ssh = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  // The board's serial port: ACRN's panic as v3.3 prints it under QEMU (measured, board-vm.md).
  const serial = net.createServer((s) => {
    s.on('error', () => undefined);
    s.write('ACRN Hypervisor\r\n[12345us][cpu=0][sev=1][seq=7]:PANIC: init_pcpu_pre line: 154\r\n\x1b[0m');
  });
  await Promise.all([ssh, serial].map((srv) => new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))));
  const port = (s: net.Server): number => (s.address() as AddressInfo).port;
  try {
    const image = path.join(dir, 'acrn.bin');
    writeFileSync(image, writeMultiboot2Header(Buffer.alloc(4096)));
    writeFileSync(path.join(dir, 'id'), 'not a key\n');
    writeFileSync(path.join(dir, 'known_hosts'), '');
    const tf = path.join(dir, 'target.json');
    writeFileSync(tf, JSON.stringify({ host: '127.0.0.1', port: port(ssh), user: 'acrn', identityFile: path.join(dir, 'id'), knownHostsFile: path.join(dir, 'known_hosts'), console: { type: 'tcp', host: '127.0.0.1', port: port(serial) } }));
    const run = async (args: string[]): Promise<{ code: number; out: string; err: string }> => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(['lab', 'flash', '--target-file', tf, '--image', image, ...args], { out: (l) => out.push(l), err: (l) => err.push(l), cwd: dir, env: {} });
      return { code, out: out.join('\n'), err: err.join('\n') };
    };
    // A scenario the job names goes to the deploy, which reads it before touching the board.
    const named = await run(['--scenario', path.join(dir, 'scenario', 'shared.xml')]);
    assert.equal(named.code, 1);
    assert.match(named.err, /deploy failed at step 1 .*shared\.xml/);
    // The job's ACPI tables: unpacked into a folder of their own, which is the deploy's --acpi-dir
    // (here the tar lacks the table the scenario needs, so the deploy stops at step 1 naming it).
    writeFileSync(path.join(dir, 'hybrid.xml'), '<acrn-config>\n<hv><FEATURES><RELOC_ENABLED>y</RELOC_ENABLED></FEATURES></hv>\n<vm id="0"><load_order>PRE_LAUNCHED_VM</load_order><name>RTVM</name><os_config><kern_mod>Zephyr_RawImage</kern_mod></os_config></vm>\n<vm id="1"><load_order>SERVICE_VM</load_order><name>ACRN_Service_VM</name><os_config><kern_mod>Linux_bzImage</kern_mod></os_config></vm>\n</acrn-config>\n');
    mkdirSync(path.join(dir, 'acpi'));
    writeFileSync(path.join(dir, 'acpi', 'ACPI_VM3.bin'), 'x');
    createTar({ file: path.join(dir, 'acpi.tar'), cwd: path.join(dir, 'acpi'), sync: true }, ['ACPI_VM3.bin']);
    const tables = await run(['--scenario', path.join(dir, 'hybrid.xml'), '--acpi', path.join(dir, 'acpi.tar')]);
    assert.equal(tables.code, 1);
    const unpacked = /ACPI_VM0\.bin \(ACPI tables of pre-launched VM 0\) not found in (\S+acrn-nest-acpi-\w+)/.exec(tables.err)?.[1];
    assert.ok(unpacked, tables.err);
    assert.ok(!existsSync(unpacked), 'the unpacked tables are removed after the deploy');
    const acpiAlone = await run(['--scenario', '{SCENARIO}', '--acpi', path.join(dir, 'acpi.tar')]);
    assert.equal(acpiAlone.code, 2);
    assert.match(acpiAlone.err, /--acpi TAR goes with --scenario FILE/);
    // The power cycle: a command of the device's; here it "resets" the board (drops its SSH).
    const cycled = path.join(dir, 'cycled');
    const none = run(['--scenario', '{SCENARIO}', '--power-cycle', `echo board reset; touch ${cycled}`]);
    const powered = await Promise.race([watchFile(cycled), none.then(() => 'flash ended first')]);
    assert.equal(powered, 'created', 'the panic ran the power cycle while the deploy waited');
    for (const s of sockets) s.destroy();
    ssh.close();
    const r = await none;
    assert.equal(r.code, 1, r.err);
    assert.ok(!/SCENARIO|scenario/.test(r.err), `no scenario read: ${r.err}`);
    assert.match(r.out, /^console: \[\d+us\]\[cpu=0\]\[sev=1\]\[seq=7\]:PANIC: init_pcpu_pre line: 154$/m, 'the console\'s lines go into the job\'s log, escapes and CRs removed');
    assert.match(r.out, /^power: board reset$/m);
    assert.match(r.err, /console shows a panic \(.*PANIC: init_pcpu_pre line: 154\): power-cycling it \(echo board reset/);
    assert.match(r.err, /the new image panicked on .*after the power cycle the board runs its previous default, unchanged/);
  } finally {
    ssh.close();
    serial.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lab flash reads the console in whole lines: a panic line the serial port delivers in pieces is one log line and one panic, wherever it is cut', () => {
  // ACRN v3.3 under QEMU as a CI run's job log had it, with OVMF's escapes before GRUB.
  const text = '\x1b[=3h\x1b[=3hBdsDxe: loading Boot0001\r\nLoading ACRN hypervisor (acrn-nest: board-vm) ...\r\n[0us][cpu=0][(null)][sev=1][seq=1]:PANIC: init_pcpu_pre line: 154\r\n\r\n[0us][cpu=0][(null)][sev=1][seq=2]:hardware not support!\r\n';
  const want = ['BdsDxe: loading Boot0001', 'Loading ACRN hypervisor (acrn-nest: board-vm) ...', '[0us][cpu=0][(null)][sev=1][seq=1]:PANIC: init_pcpu_pre line: 154', '', '[0us][cpu=0][(null)][sev=1][seq=2]:hardware not support!'];
  for (let cut = 0; cut <= text.length; cut++) {
    for (const pieces of [[text.slice(0, cut), text.slice(cut)], [text.slice(0, cut), text.slice(cut, cut + 3), text.slice(cut + 3)]]) {
      const c = new ConsoleLines(new RegExp(DEFAULT_PANIC));
      const lines: string[] = [];
      const panics: string[] = [];
      for (const p of pieces) {
        const r = c.feed(p);
        lines.push(...r.lines);
        if (r.panic !== undefined) panics.push(r.panic);
      }
      assert.equal(c.flush(), undefined);
      assert.deepEqual(lines, want, `cut at ${cut}`);
      assert.deepEqual(panics, ['[0us][cpu=0][(null)][sev=1][seq=1]:PANIC: init_pcpu_pre line: 154'], `cut at ${cut}`);
    }
  }
  // A line the board never finished (reset in the middle of it) is still logged at the end.
  const c = new ConsoleLines(new RegExp(DEFAULT_PANIC));
  assert.deepEqual(c.feed('ok\r\nhalf a li').lines, ['ok']);
  assert.equal(c.flush(), 'half a li');
});

/** Resolves 'created' once the file exists (fs.watch on its folder: an event, no polling). */
function watchFile(file: string): Promise<string> {
  return new Promise((resolve) => {
    const w = watch(path.dirname(file), () => {
      if (existsSync(file)) {
        w.close();
        resolve('created');
      }
    });
    if (existsSync(file)) {
      w.close();
      resolve('created');
    }
  });
}
