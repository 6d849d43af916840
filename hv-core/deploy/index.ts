/**
 * hv-core/deploy: the safe deploy of acrn.bin to a board over SSH. No VS Code imports.
 *
 * ```ts
 * import { resolveTarget, loadTargetFile } from '../ssh-target';
 * import { deploy, DeployError, DEPLOY_STEPS } from '../deploy';
 * const result = await deploy({
 *   target: resolveTarget(loadTargetFile('nuc.json')),
 *   image: 'build/hypervisor/acrn.bin',
 *   scenario: 'scenario.xml',                  // optional: kernel tag check, v3 ACPI modules
 *   noReboot: false,
 *   connect: { onUnknownHostKey: (info) => askUser(info.fingerprint), sudoPassword },
 *   signal,                                     // cancel
 *   onEvent: (e) => progress.report(`${e.index}/5 ${e.step}: ${e.message}`, e.progress),
 * });
 * ```
 * Steps (DEPLOY_STEPS): 1 check, 2 upload, 3 grub, 4 reboot, 5 verify. A failure throws
 * DeployError with `.step` and `.host` (message: "deploy failed at step N (...) on HOST: reason");
 * host-key problems surface as DeployError whose `.cause` is UnknownHostKeyError (with
 * `.info.fingerprint`) or ChangedHostKeyError.
 *
 * - `deploy.ts`: deploy(), DeployOptions, DeployEvent, DeployResult, DeployError. deploy() runs the
 *   five steps as methods of one DeployRun (check, upload, grub, reboot, verify), each taking what
 *   the steps before it learnt (Checked, Uploaded).
 * - `lock.ts`: the board-wide deploy lock (flock with a heartbeat over its SSH channel).
 * - `grub.ts`: the GRUB script we own (41_acrn_nest), entry ids ENTRY_ID / ENTRY_PREV_ID.
 * - `scenario-info.ts`: Service VM kern_mod, pre-launched VMs, v3 ACPI modules from a scenario.
 */
export * from './deploy.js';
export * from './grub.js';
export * from './scenario-info.js';
