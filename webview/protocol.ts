/**
 * Typed messages between the extension host and the webviews. Shared by both ends; the only
 * thing the webview imports from outside webview/.
 */
export interface RequestMessage<M extends string, P> {
  kind: 'request';
  id: number;
  method: M;
  params: P;
}

export interface ResponseMessage<R> {
  kind: 'response';
  id: number;
  result?: R;
  error?: string;
}

export interface NotificationMessage<M extends string, P> {
  kind: 'notification';
  method: M;
  params: P;
}

// ---------------------------------------------------------------------------------------------
// The NVMX wizard (webview/wizard <-> extension/nvmx/wizard.ts). Offsets are UTF-16 offsets into
// the scenario text of `version`; the host maps them to editor ranges.

export type NvmxAction = 'enable' | 'disable';
export type NvmxSharingChoice = 'remove' | 'repin' | 'keep';

export interface NvmxStepView {
  id: string;
  title: string;
  recipe: string;
  satisfied: boolean;
  notApplicable: boolean;
  detail: string;
  /** 1-based line, for the link text. */
  line: number;
  start: number;
  end: number;
}

export interface NvmxSharingView {
  id: string;
  label: string;
  type: string;
  pcpus: number[];
  shared: number[];
  sharesWith: string[];
  namedByRecipe: boolean;
  /** Where the VM starts (link). */
  start: number;
  end: number;
  line: number;
}

/** host -> webview: everything the wizard shows about the document right now. */
export interface NvmxState {
  uri: string;
  fileName: string;
  /** Document version the state was computed from. */
  version: number;
  dialect: string;
  family: 'v2' | 'v3' | undefined;
  enabled: boolean;
  complete: boolean;
  /** What the badge says: on / partly on (n of m steps) / off (hv-core/nvmx/state.ts). */
  summary: { state: 'on' | 'partly' | 'off'; text: string };
  steps: NvmxStepView[];
  /** VMs that would share pCPUs with the Service VM once SCHED_NOOP is on. */
  sharing: NvmxSharingView[];
  /** The board file used, if any. */
  board: string | null;
  /** Why the wizard cannot work on this document (not a scenario, not well-formed, …). */
  error?: string;
}

export interface NvmxPreview {
  action: NvmxAction;
  version: number;
  changes: string[];
  problems: string[];
  /** Unified diff of the plan. */
  diff: string;
  editCount: number;
  /** Per sharing VM: where a re-pin would put it. */
  repinTo: Record<string, number[]>;
}

export interface NvmxApplyResult {
  applied: boolean;
  /** 'stale': the document changed since `version`; the host pushed a fresh state. */
  reason?: 'stale' | 'nothing' | 'failed';
  message: string;
}

/** webview -> host requests, by method. */
export interface NvmxRequests {
  preview: { params: { action: NvmxAction; choices: Record<string, NvmxSharingChoice> }; result: NvmxPreview };
  apply: { params: { action: NvmxAction; choices: Record<string, NvmxSharingChoice>; version: number }; result: NvmxApplyResult };
  reveal: { params: { start: number; end: number }; result: boolean };
}

export type NvmxRequestMethod = keyof NvmxRequests;
export type NvmxRequest = { [M in NvmxRequestMethod]: RequestMessage<M, NvmxRequests[M]['params']> }[NvmxRequestMethod];

/** webview -> host: `ready` once the script runs (the host pushes state only after it). */
export type NvmxWebviewNotification = NotificationMessage<'ready', Record<string, never>>;
/** host -> webview. */
export type NvmxHostNotification = NotificationMessage<'state', NvmxState>;

export type NvmxToHost = NvmxRequest | NvmxWebviewNotification;
export type NvmxToWebview = ResponseMessage<unknown> | NvmxHostNotification;

// ---------------------------------------------------------------------------------------------
// Runtime check of what the webview sends: the host acts only on messages of these shapes (a
// webview is a web page; its messages are checked like any input crossing a boundary).

const ACTIONS: readonly string[] = ['enable', 'disable'] satisfies NvmxAction[];
const CHOICES: readonly string[] = ['remove', 'repin', 'keep'] satisfies NvmxSharingChoice[];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isOffset(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isChoices(v: unknown): v is Record<string, NvmxSharingChoice> {
  return isObject(v) && Object.values(v).every((c) => typeof c === 'string' && CHOICES.includes(c));
}

/** Checks each request's params, by method. */
const PARAM_CHECKS: { [M in NvmxRequestMethod]: (p: Record<string, unknown>) => boolean } = {
  preview: (p) => typeof p.action === 'string' && ACTIONS.includes(p.action) && isChoices(p.choices),
  apply: (p) => typeof p.action === 'string' && ACTIONS.includes(p.action) && isChoices(p.choices) && isOffset(p.version),
  reveal: (p) => isOffset(p.start) && isOffset(p.end) && (p.start as number) <= (p.end as number),
};

/**
 * A message from the wizard's webview, checked against NvmxToHost: the message, or why it is not
 * one (the host logs that and does nothing else).
 */
export function checkNvmxToHost(m: unknown): { ok: true; message: NvmxToHost } | { ok: false; reason: string } {
  if (!isObject(m)) return { ok: false, reason: 'not an object' };
  if (m.kind === 'notification') {
    if (m.method !== 'ready') return { ok: false, reason: `unknown notification ${JSON.stringify(m.method)}` };
    return { ok: true, message: { kind: 'notification', method: 'ready', params: {} } };
  }
  if (m.kind !== 'request') return { ok: false, reason: `unknown kind ${JSON.stringify(m.kind)}` };
  if (!isOffset(m.id)) return { ok: false, reason: 'request without a numeric id' };
  const method = m.method;
  if (typeof method !== 'string' || !Object.prototype.hasOwnProperty.call(PARAM_CHECKS, method)) return { ok: false, reason: `unknown method ${JSON.stringify(method)}` };
  if (!isObject(m.params) || !PARAM_CHECKS[method as NvmxRequestMethod](m.params)) return { ok: false, reason: `${method}: params do not match their declared shape` };
  return { ok: true, message: m as unknown as NvmxRequest };
}
