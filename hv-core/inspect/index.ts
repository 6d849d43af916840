/**
 * hv-core/inspect: ACRN's board inspector run on a board over SSH. No VS Code imports.
 *
 * ```ts
 * const r = await inspectBoard({
 *   target: resolveTarget(loadTargetFile('nuc.json')),
 *   name: 'my-nuc', acrnTree: '/src/acrn-hypervisor', out: '/ws/my-nuc.board.xml',
 *   confirmReboot: async ({ missing }) => askUser(missing),   // absent: reboots when needed
 *   onEvent: (e) => progress.report(`${e.index}/5 ${e.step}: ${e.message}`),
 * });
 * r.findings; // the inspector's WARNING/ERROR/CRITICAL lines
 * ```
 * - `inspect.ts`: inspectBoard(), INSPECT_STEPS, InspectError (`.step`, `.host`, `.code`, `.findings`).
 * - `preflight.ts`: the probe, tools -> packages, kernel parameters, board-name check.
 * - `grubEntry.ts`: the one-shot entry (42_acrn_nest_inspect, id acrn-nest-inspect).
 * - `output.ts`: the inspector's output: lines, progress, findings.
 * - `pack.ts`: the tree's inspector as one tar.gz.
 */
export * from './inspect.js';
export * from './preflight.js';
export * from './grubEntry.js';
export * from './output.js';
export * from './pack.js';
