/** Upgrading v2 scenarios to v3, the way ACRN's upgrader.py does (no vscode; used by the CLI and the language server). */
export type { UpgradeItem, UpgradeOptions, UpgradeResult } from './upgrade.js';
export { upgradeScenario } from './upgrade.js';
export type { UpgradeSchema } from './xsd.js';
export { loadUpgradeSchema, UpgradeSchemaError } from './xsd.js';
export { UpgradeInputError } from './tree.js';
export type { ReportFiles } from './report.js';
export { defaultUpgradeOut, upgradeReportMarkdown } from './report.js';
