/**
 * The engine's one entry point: everything extension/, language-server/ and hv-core/cli/ use of
 * hv-core, types included, and nothing else (the layers/zones lint rule rejects a deep import
 * from those folders; see eslint.config.mjs). A front end makes the engine's settings once
 * (`resolveSettings`, or the CLI's `cliSettings`) and hands them, or the parts of them an
 * operation needs, to the operations below: analyze, NVMX plan, build, deploy, console, L2,
 * doctor, upgrade, inspect.
 *
 * Bundles keep their size: scripts/build.mjs marks hv-core's modules free of side
 * effects, so a bundle keeps only what it uses of this list (the language server gets no SSH, the
 * CLI's lint no checkers until it loads dist/cli/analyze.js). To use more of hv-core in a front
 * end, export it here, in its group.
 */

// Settings: made once per front end (resolveSettings; the CLI's cliSettings makes the same
// shape), the one board lookup and ACRN-file check, and what operations take from them.
export type { AcrnSettings, RawSettings, TargetSettings } from './settings.js';
export { acrnKind, isAcrnText, resolveSettings, resolveTargetSettings } from './settings.js';
export type { PathScope } from './settings-paths.js';
export { DEFAULT_RAW_SETTINGS, SETTINGS_SECTION, boardFor, resolveSettingPath } from './settings-paths.js';
export { buildOptionsFrom, targetNamed } from './operations.js';
export { DEFAULT_MAX_FILE_MB, loadFile } from './files.js';
export { VERSION } from './version.js';

// Errors with stable codes that front ends map to actions.
export { AcrnNestError, ErrorCodes, errorCode } from './errors.js';

// Analysis (the checkers, their caches) and the editor's schema features.
export type { Analysis, AnalyzeOptions } from './scenario/analyze.js';
export { analyzeText } from './scenario/analyze.js';
export { loadAnalyzer } from './scenario/load.js';
export type { Dialect } from './scenario/dialect.js';
export { detectDialect } from './scenario/dialect.js';
export type { OutlineKind, OutlineSymbol } from './scenario/outline.js';
export { outline } from './scenario/outline.js';
export type { AssertCaches } from './schema/asserts.js';
export { loadBoard } from './schema/asserts.js';
export { createAnalysisCaches } from './schema/asserts/create.js';
export type { CompletionEntry, CompletionKind } from './schema/complete.js';
export { complete } from './schema/complete.js';
export { fixesFor } from './schema/fixes.js';
export { hoverAt } from './schema/hover.js';
export type { SchemaModel } from './schema/index.js';
export { schemaFor } from './schema/index.js';
export { useBundledModels } from './schema/bundled/index.js';
export { SCHEMA_DIR } from './schema/loader.js';
export { findAcrnTree, uriToPath } from './schema/tree.js';
export type { Finding, Severity } from './findings.js';
export { sortFindings } from './findings.js';
export type { XmlDocument } from './xml/model.js';
export { attr, path } from './xml/model.js';
export { parseXml } from './xml/parser.js';
export { LineIndex } from './xml/positions.js';

// NVMX: status, plans (enable/disable), facts and the recipe state.
export type { Plan, PlanOptions, SharingChoice } from './nvmx/engine.js';
export { nvmxStatus, planDisable, planEnable } from './nvmx/engine.js';
export { collectFacts } from './nvmx/facts.js';
export { isNvmxData } from './nvmx/rules.js';
export { nvmxSummary } from './nvmx/state.js';

// Build: here or on a build host.
export type { BuildHost } from './acrn-build/host.js';
export type { BuildFinding, BuildResult } from './acrn-build/index.js';
export { BuildError, cleanBuild, formatBuildFinding, runBuild } from './acrn-build/index.js';
export { RemoteHost as RemoteBuildHost } from './acrn-build/remote.js';

// Targets: target files, SSH connections, host keys.
export type { ConnectOptions, HostKeyInfo } from './ssh-target/connection.js';
export { ChangedHostKeyError, SshConnection, UnknownHostKeyError } from './ssh-target/connection.js';
export { TargetError } from './ssh-target/index.js';
export { entryMatches, fingerprint, hostKeyName, readKnownHosts } from './ssh-target/known-hosts.js';
export type { HostProvider, RemoteHost } from './ssh-target/remoteHost.js';
export type { ResolveOptions } from './ssh-target/resolve.js';
export { lookupSshConfig, resolveTarget } from './ssh-target/resolve.js';
export { sshConfigHosts } from './ssh-target/sshHosts.js';
export type { ResolvedTarget } from './ssh-target/target.js';
export { loadTargetFile, parseTarget } from './ssh-target/target.js';

// Deploy.
export type { DeployEvent, DeployResult } from './deploy/index.js';
export { DeployError, deploy } from './deploy/index.js';

// Consoles: the hypervisor's and L2 guests'.
export { VM_CONSOLE_ESCAPE, hypervisorBanner } from './console/acrnShell.js';
export type { ConsoleConfig } from './console/config.js';
export { hypervisorSource, sshSerialTarget } from './console/config.js';
export { L2ConsoleSource } from './console/remoteSources.js';
export { CrlfNormalizer, statusLine } from './console/render.js';
export { ConsoleSession } from './console/session.js';
export type { ConsoleSource } from './console/source.js';
export { sshHostProvider } from './console/ssh.js';
export type { L2Settings, NestTarget } from './console/targetFile.js';
export { loadNestTarget } from './console/targetFile.js';
export type { VmListResult } from './console/vmList.js';
export { vmListOwnSession } from './console/vmList.js';

// L2 guests (QEMU/KVM in the Service VM).
export type { L2Guest } from './l2/manager.js';
export { L2Error, L2Manager } from './l2/manager.js';
export type { Accel, L2Net, L2Spec } from './l2/qemu.js';
export { NAME_RE } from './l2/qemu.js';
export { checkL2Ready } from './l2/ready.js';

// Doctor.
export type { DoctorCheck } from './doctor.js';
export { formatChecks, probeServiceVm, scenarioChecks } from './doctor.js';

// Upgrade (v2 -> v3).
export type { UpgradeItem, UpgradeSchema } from './upgrade/index.js';
export { UpgradeInputError, UpgradeSchemaError, defaultUpgradeOut, loadUpgradeSchema, upgradeReportMarkdown, upgradeScenario } from './upgrade/index.js';

// Board inspection.
export type { InspectEvent, InspectOptions, InspectResult, InspectorFinding } from './inspect/index.js';
export { InspectCodes, InspectError, checkBoardName, describeMissing, formatFinding, inspectBoard, installCommand } from './inspect/index.js';

// The virtual board.
export type { BoardDevice, Layout, VmHypervisor } from './boardvm/vm.js';
export { BOARD_DEVICES, BoardVm, BoardVmError, INSPECTABLE_BOARD, LAYOUTS, VM_HYPERVISORS, targetSettingFor } from './boardvm/vm.js';

// Labs (LAVA).
export type { LabDevice, LabJob, LabTestCase } from './lab/lava.js';
export { LabError, LabErrorCodes, LavaClient, formatLogLine, labIdentity } from './lab/lava.js';
export { followJobs, labRun, labScenario, summarize } from './lab/run.js';
export type { Template } from './lab/template.js';
export { builtinTemplate } from './lab/template.js';
