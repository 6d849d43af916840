/** The build driver (no VS Code): tree check, preflight, make, findings, up-to-date stamp. */
export { runBuild, cleanBuild, parseConfigH, STAMP_NAME } from './build.js';
export type { BuildOptions, BuildResult } from './build.js';
export { BuildError, inspectAcrnTree } from './tree.js';
export type { AcrnTreeInfo, BuildStep, Family } from './tree.js';
export { LocalHost, LineSplitter } from './host.js';
export type { BuildHost, RunOptions, RunResult, FileStat, Stream } from './host.js';
export { BuildOutputParser, formatBuildFinding, mapValidatorPath, validatorFindings, compilerFinding, v2KeyToXpath } from './parse.js';
export type { BuildFinding, ParsedLine, MappedFile } from './parse.js';
export { preflight, compareVersions, parseRequirements, PYTHON_MODULES } from './preflight.js';
export type { PreflightProblem, PreflightResult, ToolVersions } from './preflight.js';
export { RemoteHost } from './remote.js';
