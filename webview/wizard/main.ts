/**
 * The NVMX wizard (browser side): the recipe as a live checklist for the open scenario, the
 * choices for VMs that would share pCPUs, the exact diff, and Apply. Talks to the extension only
 * through the typed messages of webview/protocol.ts (requests carry ids; responses match them).
 * Theme-aware through VS Code's CSS variables; every control is a focusable button/dropdown.
 */
import { provideVSCodeDesignSystem, vsCodeBadge, vsCodeButton, vsCodeDivider, vsCodeDropdown, vsCodeOption } from '@vscode/webview-ui-toolkit';
import type { NvmxAction, NvmxPreview, NvmxRequests, NvmxSharingChoice, NvmxState, NvmxToHost, NvmxToWebview } from '../protocol.js';

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeDropdown(), vsCodeOption(), vsCodeDivider(), vsCodeBadge());

interface VsCodeApi {
  postMessage(m: NvmxToHost): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();

let nextId = 1;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

function request<M extends keyof NvmxRequests>(method: M, params: NvmxRequests[M]['params']): Promise<NvmxRequests[M]['result']> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    vscode.postMessage({ kind: 'request', id, method, params } as NvmxToHost);
  });
}

let state: NvmxState | undefined;
let preview: NvmxPreview | undefined;
let action: NvmxAction = 'enable';
let actionChosen = false;
const choices: Record<string, NvmxSharingChoice> = {};
let message = '';
let busy = false;

const app = document.getElementById('app')!;
const nonce = document.body.dataset.nonce ?? '';

const css = `
body { color: var(--vscode-foreground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
h1 { font-size: 1.3em; margin: 0.4em 0; }
h2 { font-size: 1.1em; margin: 1em 0 0.4em; }
.meta { color: var(--vscode-descriptionForeground); }
ul.steps { list-style: none; padding: 0; margin: 0; }
ul.steps li { display: grid; grid-template-columns: 1.6em 1fr auto; gap: 0.4em; padding: 0.25em 0; align-items: start; }
.ok { color: var(--vscode-testing-iconPassed, var(--vscode-charts-green)); }
.bad { color: var(--vscode-testing-iconFailed, var(--vscode-errorForeground)); }
.na { color: var(--vscode-descriptionForeground); }
.detail { color: var(--vscode-descriptionForeground); font-size: 0.95em; }
.linkbtn { background: none; border: none; color: var(--vscode-textLink-foreground); cursor: pointer; padding: 0; font: inherit; text-decoration: underline; }
.linkbtn:focus-visible { outline: 1px solid var(--vscode-focusBorder); }
table { border-collapse: collapse; }
td, th { text-align: left; padding: 0.2em 0.6em 0.2em 0; vertical-align: middle; }
pre.diff { font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); background: var(--vscode-textCodeBlock-background); padding: 0.5em; overflow: auto; max-height: 28em; }
pre.diff .add { background: var(--vscode-diffEditor-insertedTextBackground); display: block; }
pre.diff .del { background: var(--vscode-diffEditor-removedTextBackground); display: block; }
pre.diff .hunk { color: var(--vscode-descriptionForeground); display: block; }
.actions { display: flex; gap: 0.6em; align-items: center; margin: 0.8em 0; flex-wrap: wrap; }
.msg { margin: 0.6em 0; }
.problems li { color: var(--vscode-editorWarning-foreground); }
.error { color: var(--vscode-errorForeground); }
`;
const style = document.createElement('style');
style.nonce = nonce;
style.textContent = css;
document.head.appendChild(style);

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...kids: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const k of kids) e.append(k);
  return e;
}

function custom(tag: string, attrs: Record<string, string> = {}, ...kids: (Node | string)[]): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const k of kids) e.append(k);
  return e;
}

function linkTo(line: number, start: number, end: number): HTMLButtonElement {
  const b = el('button', { class: 'linkbtn', type: 'button', 'aria-label': `Show line ${line} in the editor` }, `line ${line}`);
  b.addEventListener('click', () => void request('reveal', { start, end }));
  return b;
}

function diffView(diff: string): HTMLElement {
  const pre = el('pre', { class: 'diff', tabindex: '0', 'aria-label': 'Preview of the edits (unified diff)', 'data-testid': 'diff' });
  for (const line of diff.split('\n')) {
    if (line.startsWith('+++') || line.startsWith('---')) continue;
    const cls = line.startsWith('@@') ? 'hunk' : line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : '';
    const span = el('span', cls ? { class: cls } : {}, line);
    pre.append(span, cls ? '' : '\n');
  }
  return pre;
}

function render(): void {
  app.replaceChildren();
  if (!state) {
    app.append(el('p', {}, 'Loading…'));
    return;
  }
  const s = state;
  app.append(el('h1', {}, `Nested virtualization — ${s.fileName}`));
  if (s.error) {
    app.append(el('p', { class: 'error', role: 'alert' }, s.error));
    return;
  }
  const badge = custom('vscode-badge', { 'data-testid': 'nvmx-state', 'data-state': s.summary.state }, s.summary.state === 'on' ? 'ON' : s.summary.state === 'partly' ? s.summary.text.toUpperCase() : 'off');
  app.append(el('p', { class: 'meta' }, `${s.dialect} · nested virtualization `, badge, s.complete ? ' · every recipe step satisfied' : '', s.board ? ` · board ${s.board.split(/[\\/]/).pop() ?? s.board}` : ' · no board file (set acrnNest.boardFile for the pCPU checks)'));
  app.append(el('p', { class: 'meta' }, 'L1 hypervisor: KVM only, 64-bit, with EPT for L2 guests; QEMU launches the L2 guests (recipe: Restrictions and Constraints).'));

  app.append(el('h2', {}, 'Recipe checklist'));
  const ul = el('ul', { class: 'steps', 'aria-label': 'Recipe steps', 'data-testid': 'steps' });
  for (const st of s.steps) {
    const icon = st.notApplicable ? el('span', { class: 'na', 'aria-label': 'not applicable' }, '–') : st.satisfied ? el('span', { class: 'ok', 'aria-label': 'satisfied' }, '✓') : el('span', { class: 'bad', 'aria-label': 'not satisfied' }, '✗');
    const li = el('li', { 'data-step': st.id, 'data-satisfied': String(st.satisfied) }, icon, el('div', {}, el('div', {}, st.title), el('div', { class: 'detail' }, `${st.detail} (${st.recipe})`)), linkTo(st.line, st.start, st.end));
    ul.append(li);
  }
  app.append(ul);
  app.append(custom('vscode-divider'));

  // Action.
  const actions = el('div', { class: 'actions' });
  const dd = custom('vscode-dropdown', { 'aria-label': 'Action', 'data-testid': 'action' });
  for (const a of ['enable', 'disable'] as const) {
    const o = custom('vscode-option', { value: a }, a === 'enable' ? 'Enable nested virtualization' : 'Disable nested virtualization');
    if (a === action) o.setAttribute('selected', '');
    dd.append(o);
  }
  dd.addEventListener('change', () => {
    action = (dd as unknown as { value: NvmxAction }).value;
    actionChosen = true;
    void refreshPreview();
  });
  actions.append(el('label', {}, 'Action: '), dd);
  app.append(actions);

  if (action === 'enable' && s.sharing.length) {
    app.append(el('h2', {}, 'VMs that would share pCPUs (SCHED_NOOP runs one vCPU per pCPU)'));
    if (s.family === 'v3') app.append(el('p', { class: 'meta' }, 'ACRN v3 gives the Service VM every pCPU not used by a pre-launched VM, so a post-launched VM cannot be re-pinned away from it: remove it, or keep it and accept the error.'));
    const table = el('table', { 'data-testid': 'sharing' }, el('tr', {}, el('th', {}, 'VM'), el('th', {}, 'pCPUs'), el('th', {}, 'shares with'), el('th', {}, 'choice')));
    for (const v of s.sharing) {
      const sel = custom('vscode-dropdown', { 'aria-label': `What to do with ${v.label}`, 'data-vm': v.id });
      const repin = preview?.repinTo[v.id];
      // v3: the Service VM takes every pCPU not used by a pre-launched VM: nothing is free to re-pin to.
      const options = s.family === 'v3' ? (['remove', 'keep'] as const) : (['remove', 'repin', 'keep'] as const);
      for (const c of options) {
        const label = c === 'remove' ? 'Remove the VM (and what refers to it)' : c === 'repin' ? `Re-pin to free pCPUs${repin?.length ? ` (${repin.join(', ')})` : ''}` : 'Keep (the CPU sharing error remains)';
        const o = custom('vscode-option', { value: c }, label);
        if ((choices[v.id] ?? 'remove') === c) o.setAttribute('selected', '');
        sel.append(o);
      }
      sel.addEventListener('change', () => {
        choices[v.id] = (sel as unknown as { value: NvmxSharingChoice }).value;
        void refreshPreview();
      });
      table.append(el('tr', {}, el('td', {}, `${v.label} (${v.type})${v.namedByRecipe ? ' — the recipe says remove' : ''} `, linkTo(v.line, v.start, v.end)), el('td', {}, v.pcpus.join(', ')), el('td', {}, v.sharesWith.join(', ')), el('td', {}, sel)));
    }
    app.append(table);
  }

  app.append(el('h2', {}, 'Preview'));
  if (!preview) app.append(el('p', { class: 'meta' }, 'Computing…'));
  else if (preview.editCount === 0) app.append(el('p', { class: 'meta', 'data-testid': 'no-changes' }, `Nothing to change: nested virtualization is already ${action === 'enable' ? 'enabled as the recipe says' : 'disabled'}.`));
  else {
    app.append(el('ul', { 'aria-label': 'Changes' }, ...preview.changes.map((c) => el('li', {}, c))));
    if (preview.problems.length) app.append(el('ul', { class: 'problems', 'aria-label': 'Remaining problems' }, ...preview.problems.map((p) => el('li', {}, p))));
    app.append(diffView(preview.diff));
  }
  const apply = custom('vscode-button', { appearance: 'primary', 'data-testid': 'apply' }, action === 'enable' ? 'Apply: enable' : 'Apply: disable');
  if (!preview || preview.editCount === 0 || busy) apply.setAttribute('disabled', '');
  apply.addEventListener('click', () => void doApply());
  app.append(el('div', { class: 'actions' }, apply));
  if (message) app.append(el('p', { class: 'msg', role: 'status', 'data-testid': 'message' }, message));
}

function effectiveChoices(): Record<string, NvmxSharingChoice> {
  const out: Record<string, NvmxSharingChoice> = {};
  for (const v of state?.sharing ?? []) out[v.id] = choices[v.id] ?? 'remove';
  return out;
}

async function refreshPreview(): Promise<void> {
  if (!state || state.error) return;
  const version = state.version;
  try {
    const p = await request('preview', { action, choices: effectiveChoices() });
    if (state.version === version) preview = p;
  } catch (e) {
    message = `Preview failed: ${(e as Error).message}`;
  }
  render();
}

async function doApply(): Promise<void> {
  if (!preview || busy) return;
  busy = true;
  render();
  try {
    const r = await request('apply', { action, choices: effectiveChoices(), version: preview.version });
    message = r.message;
  } catch (e) {
    message = `Apply failed: ${(e as Error).message}`;
  }
  busy = false;
  render();
}

window.addEventListener('message', (ev: MessageEvent<NvmxToWebview>) => {
  const m = ev.data;
  if (m.kind === 'response') {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error !== undefined) p.reject(new Error(m.error));
    else p.resolve(m.result);
    return;
  }
  if (m.kind === 'notification' && m.method === 'state') {
    state = m.params;
    if (!actionChosen) action = state.enabled && state.complete ? 'disable' : 'enable';
    preview = undefined;
    render();
    void refreshPreview();
  }
});

render();
vscode.postMessage({ kind: 'notification', method: 'ready', params: {} });
