/**
 * End-to-end harness: the packaged VSIX in a real code-server 4.100.3 (VS Code 1.100.3's
 * workbench), driven in Debian's Chromium by playwright-core. Recipe and reasons:
 * ../shared/notes/e2e-in-real-vscode.md. Reused by every e2e test; the API below is stable.
 *
 *   import { test } from 'node:test';
 *   import { packageVsix, startCodeServer, writeWorkspace } from './harness';
 *
 *   test('my feature', { timeout: 90_000 }, async (t) => {
 *     const workspace = writeWorkspace('my-feature', { 'a.xml': '<acrn-config ...' });
 *     const cs = await startCodeServer({ workspace, name: 'my-feature' });
 *     t.after(() => cs.stop());                     // always runs, even when the test fails
 *     await cs.openFile('a.xml');
 *     await cs.filterProblems('a.xml');             // the Problems list is virtualized: filter it
 *     const text = await cs.waitForProblems(/\[Ln 3, Col 7\]/);
 *     await cs.screenshot('my-feature');           // -> test-results/e2e/my-feature.png
 *   });
 *
 * Artifacts in test-results/e2e/: your screenshots, <name>.code-server.log (code-server's output)
 * and <name>.last.png (the page when stop() ran, for post-mortems). ACRN_NEST_E2E_TRACE=1 prints
 * every step with its time; ACRN_NEST_VSIX=x.vsix tests a given VSIX; ACRN_NEST_E2E_WAIT_MS bounds
 * each wait (default 45 s).
 *
 * Rules the harness follows (and tests using it should too): the OS picks the port (code-server
 * binds 127.0.0.1:0 and prints the real one); everything waits on selectors or output lines with a
 * bounded timeout, never a fixed sleep; code-server runs in its own process group and is killed
 * by that PID on stop() and, as a last resort, when the test process exits.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Locator, Page } from 'playwright-core';

export const REPO = path.resolve(__dirname, '..', '..');
/** The code-server binary installed by scripts/install-code-server.sh. */
export const CODE_SERVER = path.join(REPO, '.e2e', 'code-server', 'node_modules', '.bin', 'code-server');
export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots and logs of e2e runs (gitignored). */
export const ARTIFACTS = path.join(REPO, 'test-results', 'e2e');
/** Where `npm run package` writes the VSIX. */
export const VSIX = path.join(REPO, 'dist', 'acrn-nest.vsix');
/** The extension's id in code-server (publisher.name). */
export const EXTENSION_ID = 'acrn-nest.acrn-nest';

const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** `ACRN_NEST_E2E_TRACE=1` prints each harness step with its time since start to stderr. */
const TRACE = process.env.ACRN_NEST_E2E_TRACE === '1';
function tracer(name: string): (step: string) => void {
  const t0 = performance.now();
  return (step) => {
    if (TRACE) process.stderr.write(`[e2e ${name} +${((performance.now() - t0) / 1000).toFixed(1)}s] ${step}\n`);
  };
}

/**
 * Default bound for a single wait (a selector, an output line); `ACRN_NEST_E2E_WAIT_MS` overrides
 * it. Loading the workbench gets twice as long. On an idle machine every wait takes a few seconds.
 */
export const WAIT_MS = Number(process.env.ACRN_NEST_E2E_WAIT_MS) || 45_000;

/** Is the e2e environment installed (code-server + Chromium)? Tests fail with this message when not. */
export function missingPrerequisite(): string | undefined {
  if (!existsSync(CODE_SERVER)) return `code-server is not installed at ${CODE_SERVER}: run bash scripts/install-code-server.sh`;
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing: apt-get install chromium (scripts/install-deps.sh)`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Packaging

let packaged: string | undefined;

/** Everything the VSIX is built from; the VSIX is rebuilt when any of it is newer. */
const VSIX_INPUTS = ['extension', 'language-server', 'hv-core', 'webview', 'snippets', 'media', 'package.json', 'README.md', 'LICENSE', '.vscodeignore', 'scripts/build.mjs'];

function newestMtime(p: string): number {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs;
  for (const n of readdirSync(p)) m = Math.max(m, newestMtime(path.join(p, n)));
  return m;
}

/**
 * Runs `npm run package` (production bundles + vsce) at most once per test process, and not at
 * all when dist/acrn-nest.vsix is newer than every input (make-style); `force` always packages.
 * `ACRN_NEST_VSIX=/path/x.vsix` tests a given VSIX instead. Returns the VSIX path.
 */
export function packageVsix(options: { force?: boolean } = {}): string {
  const given = process.env.ACRN_NEST_VSIX;
  if (given) {
    if (!existsSync(given)) throw new Error(`ACRN_NEST_VSIX=${given} does not exist`);
    return given;
  }
  if (packaged && !options.force) return packaged;
  const upToDate = existsSync(VSIX) && statSync(VSIX).mtimeMs > Math.max(...VSIX_INPUTS.map((p) => newestMtime(path.join(REPO, p))));
  if (!upToDate || options.force) {
    const r = spawnSync('npm', ['run', '-s', 'package'], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0 || !existsSync(VSIX)) {
      throw new Error(`npm run package failed (status ${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
    }
  }
  packaged = VSIX;
  return VSIX;
}

/** Entry names of a zip file, read from its central directory (no zip64: a VSIX is small). */
export function zipEntries(zip: Buffer): string[] {
  const EOCD = 0x06054b50;
  const CDH = 0x02014b50;
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file: no end-of-central-directory record');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const names: string[] = [];
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(p) !== CDH) throw new Error(`corrupt central directory at ${p}`);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    names.push(zip.toString('utf8', p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return names;
}

// ---------------------------------------------------------------------------------------------
// Workspaces

/**
 * Writes a throwaway workspace folder under the OS temp dir from `{ relPath: content }` (folders
 * created as needed) and returns its absolute path. Removed when the process exits.
 */
export function writeWorkspace(name: string, files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `acrn-nest-e2e-${name}-`));
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
  cleanupOnExit.add(dir);
  return dir;
}

// ---------------------------------------------------------------------------------------------
// code-server

export interface CodeServerOptions {
  /** Absolute path of the folder to open. */
  workspace: string;
  /** User settings (User/settings.json); merged over the harness defaults. */
  settings?: Record<string, unknown>;
  /**
   * true (default): --disable-workspace-trust, the workspace is trusted. false: restricted mode
   * (workspace trust on, the startup prompt off, so the folder opens untrusted).
   */
  trusted?: boolean;
  /** VSIX to install; default packageVsix(). null installs nothing. */
  vsix?: string | null;
  /** Prefix for artifacts (code-server log, screenshots on failure). Default "code-server". */
  name?: string;
  /** Keep the user-data dir after stop() (e.g. to read logs). Default false. */
  keepUserData?: boolean;
  /** Extra environment for code-server (and so for the extension host and language server). */
  env?: Record<string, string>;
  /** Browser viewport. Default 1400x900. */
  viewport?: { width: number; height: number };
}

export interface CodeServer {
  /** http://127.0.0.1:PORT/?folder=... (the page that was opened). */
  url: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  page: Page;
  browser: Browser;
  /** code-server's --user-data-dir (logs under logs/<date>/exthost*). */
  userDataDir: string;
  extensionsDir: string;
  /** The code-server process (its own process group). */
  pid: number;
  /** Everything code-server printed so far. */
  output(): string;
  /** Opens a workspace file by clicking through the Explorer; resolves when its editor is active. */
  openFile(relPath: string): Promise<void>;
  /** Opens (if needed) the Problems panel and returns its text ("message  source  [Ln x, Col y]"). */
  problems(): Promise<string>;
  /** Waits until the Problems panel text matches; returns that text. */
  waitForProblems(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /**
   * Types `text` into the Problems panel's filter box ("" clears it). The Problems list is
   * virtualized: only rows that fit on screen are in the DOM, so filter to what you check (a
   * message fragment, or a file's base name, which shows all of that file's problems).
   */
  filterProblems(text: string): Promise<void>;
  /** The status bar's text. */
  statusBar(): Promise<string>;
  /** Waits until the status bar text matches; returns that text. */
  waitForStatusBar(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Runs a command by its palette title ("acrn-nest: Show Log") through F1. */
  runCommand(title: string): Promise<void>;
  /** Waits until the text of the first element matching `selector` matches `pattern`. */
  waitForText(selector: string, pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Saves test-results/e2e/<name>.png and returns its path. */
  screenshot(name: string): Promise<string>;
  /** Reads a log file of this session whose name matches (e.g. /acrn-nest\.log$/), or undefined. */
  readLog(file: RegExp): string | undefined;
  /** Closes Chromium, kills code-server's process group, removes temp dirs. Idempotent. */
  stop(): Promise<void>;
}

const cleanupOnExit = new Set<string>();
const groupsToKill = new Set<number>();
function killLeftovers(): void {
  for (const pid of groupsToKill) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  groupsToKill.clear();
  for (const d of cleanupOnExit) rmSync(d, { recursive: true, force: true });
}
process.once('exit', killLeftovers);
// code-server is in its own process group, so Ctrl-C on the test run does not reach it: kill it here.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killLeftovers();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

/** Resolves with the first match of `pattern` in the child's output, or rejects on exit/timeout. */
function waitForOutput(child: ChildProcess, out: { text: string }, pattern: RegExp, timeoutMs: number, what: string): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const m = out.text.match(pattern);
      if (m) {
        cleanup();
        resolve(m);
      }
      return Boolean(m);
    };
    const onExit = (code: number | null, signal: string | null): void => {
      cleanup();
      reject(new Error(`${what}: code-server exited (${code ?? signal}) before it was ready:\n${out.text.slice(-3000)}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${what}: no ${pattern} within ${timeoutMs} ms; output:\n${out.text.slice(-3000)}`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    };
    const onData = (): void => void check();
    if (check()) return;
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', onExit);
  });
}

/** Installs a VSIX into an extensions dir with code-server's own CLI. */
export function installVsix(vsix: string, extensionsDir: string, userDataDir: string): void {
  mkdirSync(userDataDir, { recursive: true });
  const r = spawnSync(CODE_SERVER, ['--config', path.join(userDataDir, 'config.yaml'), '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', vsix], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0 || !/successfully installed/i.test(r.stdout + r.stderr)) {
    throw new Error(`code-server --install-extension ${vsix} failed (status ${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  }
}

/**
 * Installs `vsix` into `extensionsDir`. The real install (code-server --install-extension) runs
 * once per VSIX content, into .e2e/extensions-cache/<sha1>; every session gets a copy of that.
 */
function installCached(vsix: string, extensionsDir: string): void {
  const hash = createHash('sha1').update(readFileSync(vsix)).digest('hex').slice(0, 16);
  const cacheRoot = path.join(REPO, '.e2e', 'extensions-cache');
  const cached = path.join(cacheRoot, hash);
  if (!existsSync(path.join(cached, '.complete'))) {
    const tmp = `${cached}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    installVsix(vsix, path.join(tmp, 'extensions'), path.join(tmp, 'user-data'));
    writeFileSync(path.join(tmp, '.complete'), vsix);
    try {
      renameSync(tmp, cached);
    } catch {
      // Another test process won the race; its copy is the same VSIX.
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(path.join(cached, '.complete'))) throw new Error(`could not cache the installed VSIX in ${cached}`);
    }
    for (const old of readdirSync(cacheRoot)) {
      // Older VSIXes' installs, once no test started from them in the last 10 minutes.
      const p = path.join(cacheRoot, old);
      if (old !== hash && !old.includes('.tmp-') && Date.now() - statSync(p).mtimeMs > 10 * 60_000) rmSync(p, { recursive: true, force: true });
    }
  }
  const source = path.join(cached, 'extensions');
  cpSync(source, extensionsDir, { recursive: true });
  const now = new Date();
  utimesSync(cached, now, now); // in use: not pruned for the next 10 minutes
  const manifest = path.join(extensionsDir, 'extensions.json');
  if (existsSync(manifest)) writeFileSync(manifest, readFileSync(manifest, 'utf8').split(source).join(extensionsDir));
}

/** Starts code-server on a free loopback port with the VSIX installed, and opens the workspace in Chromium. */
export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const missing = missingPrerequisite();
  if (missing) throw new Error(missing);
  const name = options.name ?? 'code-server';
  const trace = tracer(name);
  const trusted = options.trusted ?? true;
  const root = mkdtempSync(path.join(os.tmpdir(), `acrn-nest-cs-${name}-`));
  const userDataDir = path.join(root, 'user-data');
  const extensionsDir = path.join(root, 'extensions');
  mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  if (!options.keepUserData) cleanupOnExit.add(root);
  const settings: Record<string, unknown> = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'update.mode': 'none',
    'security.workspace.trust.startupPrompt': 'never',
    'security.workspace.trust.emptyWindow': false,
    // Opened files stay open (no preview tab replaced by the next file): the language server keeps
    // every document the test opened, and their diagnostics stay in the Problems panel.
    'workbench.editor.enablePreview': false,
    // Built-in extensions that would only compete for CPU with the one under test.
    'git.enabled': false,
    'git.autoRepositoryDetection': false,
    'npm.autoDetect': 'off',
    'typescript.tsc.autoDetect': 'off',
    'grunt.autoDetect': 'off',
    'gulp.autoDetect': 'off',
    'jake.autoDetect': 'off',
    'extensions.ignoreRecommendations': true,
    ...options.settings,
  };
  writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  writeFileSync(path.join(userDataDir, 'config.yaml'), 'auth: none\ncert: false\n');

  const vsix = options.vsix === undefined ? packageVsix() : options.vsix;
  trace('packaged');
  if (vsix) installCached(vsix, extensionsDir);
  trace('VSIX installed');

  const args = [
    '--config', path.join(userDataDir, 'config.yaml'),
    '--auth', 'none',
    '--bind-addr', '127.0.0.1:0',
    '--disable-telemetry',
    '--disable-update-check',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    ...(trusted ? ['--disable-workspace-trust'] : []),
  ];
  const child = spawn(CODE_SERVER, args, {
    cwd: options.workspace,
    detached: true, // its own process group: stop() kills the server, the extension host and our language server
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  if (child.pid === undefined) throw new Error(`could not start ${CODE_SERVER}`);
  const pid = child.pid;
  groupsToKill.add(pid);
  const out = { text: '' };
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d: string) => (out.text += d));
  child.stderr.on('data', (d: string) => (out.text += d));

  let browser: Browser | undefined;
  let stopped = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // The last state of the page, for a failed test's post-mortem: test-results/e2e/<name>.last.png.
    const pages = browser?.contexts().flatMap((c) => c.pages()) ?? [];
    if (pages[0]) await pages[0].screenshot({ path: path.join(ARTIFACTS, `${name}.last.png`), timeout: 10_000 }).catch(() => undefined);
    try {
      await browser?.close();
    } catch {
      // the browser may already be gone
    }
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const killer = setTimeout(() => {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 5000);
      await exited;
      clearTimeout(killer);
    }
    // The extension host and the language server are in the same group; make sure none is left.
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // none left
    }
    groupsToKill.delete(pid);
    try {
      writeFileSync(path.join(ARTIFACTS, `${name}.code-server.log`), out.text);
    } catch {
      // artifacts are best effort
    }
    if (!options.keepUserData) {
      rmSync(root, { recursive: true, force: true });
      cleanupOnExit.delete(root);
    }
  };

  try {
    // Chromium starts while code-server does.
    const launching = chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
    launching.then((b) => (browser = b)).catch(() => undefined);
    let m: RegExpMatchArray;
    try {
      m = await waitForOutput(child, out, /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)\/?/, WAIT_MS, 'starting code-server');
    } catch (e) {
      await launching.then((b) => b.close()).catch(() => undefined);
      throw e;
    }
    const origin = m[1]!;
    trace(`listening on ${origin}`);
    const url = `${origin}/?folder=${encodeURIComponent(options.workspace)}`;
    browser = await launching;
    trace('Chromium launched');
    const page = await browser.newPage({ viewport: options.viewport ?? { width: 1400, height: 900 } });
    // Every notification message shown, in order (a toast hides itself after a while): a failed
    // wait for a notification lists them, so a message worded otherwise shows at once.
    await page.addInitScript(TOAST_RECORDER);
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 2 * WAIT_MS });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 2 * WAIT_MS });
    trace('workbench visible');
    // The Explorer is the default view of a folder; wait until it lists the workspace.
    await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ state: 'visible', timeout: WAIT_MS });
    trace('Explorer lists the workspace');
    return makeHandle({ url, origin, page, browser, userDataDir, extensionsDir, pid, out, stop, trace });
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Page script: window.__acrnNestToasts gets each new notification toast message (at most 100). */
const TOAST_RECORDER = `(() => {
  const seen = (window.__acrnNestToasts = []);
  const record = () => {
    for (const m of document.querySelectorAll('.notifications-toasts .notification-list-item-message')) {
      const t = m.innerText.trim();
      if (t && seen[seen.length - 1] !== t && !seen.includes(t)) seen.push(t);
    }
    if (seen.length > 100) seen.splice(0, seen.length - 100);
  };
  const start = () => new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true });
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start);
})()`;

interface HandleParts {
  url: string;
  origin: string;
  page: Page;
  browser: Browser;
  userDataDir: string;
  extensionsDir: string;
  pid: number;
  out: { text: string };
  stop: () => Promise<void>;
  trace: (step: string) => void;
}

function makeHandle(p: HandleParts): CodeServer {
  const { page, trace } = p;

  const waitForText = async (selector: string, pattern: RegExp, timeoutMs = WAIT_MS): Promise<string> => {
    // A string expression: this tsconfig has no DOM lib, and the check runs in the page.
    const expr = `(() => { const el = document.querySelector(${JSON.stringify(selector)}); const t = el ? el.innerText : ''; return new RegExp(${JSON.stringify(pattern.source)}, ${JSON.stringify(pattern.flags)}).test(t) ? t : false; })()`;
    try {
      const handle = await page.waitForFunction(expr, undefined, { timeout: timeoutMs });
      trace(`${selector} matches ${pattern}`);
      return (await handle.jsonValue()) as string;
    } catch (e) {
      const now = await page.locator(selector).first().innerText({ timeout: 1000 }).catch(() => '(not found)');
      const toasts = selector.includes('notification') ? ((await page.evaluate('window.__acrnNestToasts').catch(() => undefined)) as string[] | undefined) : undefined;
      const shown = toasts ? `\nnotifications shown so far:\n${toasts.map((t) => `  ${t}`).join('\n') || '  (none)'}` : '';
      throw new Error(`waiting for ${selector} to match ${pattern}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\ncurrent text: ${now}${shown}`);
    }
  };

  const openProblems = async (): Promise<void> => {
    const panel = page.locator('.markers-panel');
    if (await panel.isVisible()) return;
    await page.keyboard.press('Control+Shift+M');
    await panel.waitFor({ state: 'visible', timeout: WAIT_MS });
  };

  const filterProblems = async (text: string): Promise<void> => {
    await openProblems();
    const input = page.locator('#workbench\\.parts\\.panel .viewpane-filter input').first();
    await input.waitFor({ state: 'visible', timeout: WAIT_MS });
    await input.fill(text);
    trace(`Problems filter: "${text}"`);
  };

  const openFile = async (relPath: string): Promise<void> => {
    const parts = relPath.split(/[\\/]/).filter(Boolean);
    // Focus the Explorer (Ctrl+Shift+E) so its tree is visible even if another view was shown.
    const tree = page.locator('.explorer-folders-view');
    if (!(await tree.isVisible())) {
      await page.keyboard.press('Control+Shift+E');
      await tree.waitFor({ state: 'visible', timeout: WAIT_MS });
    }
    const rowFor = (seg: string, attrs = ''): Locator =>
      tree.locator(`.monaco-list-row${attrs}`).filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(seg)}$`) }) }).first();
    for (let i = 0; i < parts.length; i++) {
      const seg = parts[i]!;
      const row = rowFor(seg);
      await row.waitFor({ state: 'visible', timeout: WAIT_MS });
      const isFolder = i < parts.length - 1;
      if (isFolder) {
        if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
        await rowFor(seg, '[aria-expanded="true"]').waitFor({ state: 'visible', timeout: WAIT_MS });
      } else {
        await row.click();
      }
    }
    const file = parts[parts.length - 1] ?? relPath;
    await page.locator('.tabs-container .tab.active .label-name', { hasText: new RegExp(`^${escapeRegExp(file)}$`) }).waitFor({ state: 'visible', timeout: WAIT_MS });
    await page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor({ state: 'visible', timeout: WAIT_MS });
    trace(`opened ${relPath}`);
  };

  const runCommand = async (title: string): Promise<void> => {
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: WAIT_MS });
    await input.fill(`>${title}`);
    const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }) }).first();
    try {
      await row.waitFor({ state: 'visible', timeout: WAIT_MS });
    } catch (e) {
      const rows = await page.locator('.quick-input-widget .quick-input-list').innerText().catch(() => '');
      throw new Error(`command "${title}" is not in the command palette (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); palette shows:\n${rows}`);
    }
    await row.click();
    await input.waitFor({ state: 'hidden', timeout: WAIT_MS });
    trace(`ran "${title}"`);
  };

  const screenshot = async (name: string): Promise<string> => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path: file });
    return file;
  };

  const readLog = (pattern: RegExp): string | undefined => {
    const found: string[] = [];
    const walk = (d: string): void => {
      if (!existsSync(d)) return;
      for (const n of readdirSync(d)) {
        const f = path.join(d, n);
        if (statSync(f).isDirectory()) walk(f);
        else if (pattern.test(f)) found.push(f);
      }
    };
    walk(path.join(p.userDataDir, 'logs'));
    const newest = found.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    return newest ? readFileSync(newest, 'utf8') : undefined;
  };

  return {
    url: p.url,
    origin: p.origin,
    page,
    browser: p.browser,
    userDataDir: p.userDataDir,
    extensionsDir: p.extensionsDir,
    pid: p.pid,
    output: () => p.out.text,
    openFile,
    problems: async () => {
      await openProblems();
      return page.locator('.markers-panel').innerText();
    },
    waitForProblems: async (pattern, timeoutMs) => {
      await openProblems();
      return waitForText('.markers-panel', pattern, timeoutMs);
    },
    filterProblems,
    statusBar: () => page.locator('#workbench\\.parts\\.statusbar').innerText(),
    waitForStatusBar: (pattern, timeoutMs) => waitForText('#workbench\\.parts\\.statusbar', pattern, timeoutMs),
    runCommand,
    waitForText,
    screenshot,
    readLog,
    stop: p.stop,
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
