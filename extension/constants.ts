/**
 * Every command and setting id the extension uses, in one place; a unit test checks that
 * package.json's contributions match these exactly.
 */
export const PREFIX = 'acrnNest';

export const Commands = {
  restartServer: 'acrnNest.restartServer',
  showLog: 'acrnNest.showLog',
  showDocumentInfo: 'acrnNest.showDocumentInfo',
  build: 'acrnNest.build',
  buildAndDeploy: 'acrnNest.buildAndDeploy',
  deploy: 'acrnNest.deploy',
  cleanBuild: 'acrnNest.cleanBuild',
  selectTarget: 'acrnNest.selectTarget',
  forgetSudoPassword: 'acrnNest.forgetSudoPassword',
  nvmxWizard: 'acrnNest.nvmxWizard',
  upgradeScenario: 'acrnNest.upgradeScenario',
  // the virtual board (hv-core/boardvm)
  startVirtualBoard: 'acrnNest.startVirtualBoard',
  stopVirtualBoard: 'acrnNest.stopVirtualBoard',
  inspectBoard: 'acrnNest.inspectBoard',
  // consoles, L2 guests, doctor (extension/console/)
  launchL2: 'acrnNest.launchL2',
  attachL2: 'acrnNest.attachL2',
  stopL2: 'acrnNest.stopL2',
  openHypervisorConsole: 'acrnNest.openHypervisorConsole',
  toggleConsoleTimestamps: 'acrnNest.toggleConsoleTimestamps',
  logConsoleToFile: 'acrnNest.logConsoleToFile',
  clearConsole: 'acrnNest.clearConsole',
  sendVmConsoleEscape: 'acrnNest.sendVmConsoleEscape',
  doctor: 'acrnNest.doctor',
  refreshNested: 'acrnNest.refreshNested',
  // set-up (extension/choose.ts, issue 11)
  chooseAcrnTree: 'acrnNest.chooseAcrnTree',
  chooseBoardFile: 'acrnNest.chooseBoardFile',
  addTarget: 'acrnNest.addTarget',
  // the LAVA lab (extension/lab.ts, issue 15)
  runOnLab: 'acrnNest.runOnLab',
  setLabToken: 'acrnNest.setLabToken',
  refreshLab: 'acrnNest.refreshLab',
  openLabJobLog: 'acrnNest.openLabJobLog',
  openLabJobInBrowser: 'acrnNest.openLabJobInBrowser',
  cancelLabJob: 'acrnNest.cancelLabJob',
} as const;

/** Views and terminal profiles (package.json contributes.views / contributes.terminal.profiles). */
export const Views = {
  nested: 'acrnNest.nested',
  project: 'acrnNest.project',
  lab: 'acrnNest.lab',
} as const;

export const TerminalProfiles = {
  hypervisor: 'acrnNest.hypervisorConsole',
  l2: 'acrnNest.l2Console',
} as const;

export const Settings = {
  acrnTree: 'acrnNest.acrnTree',
  boardFile: 'acrnNest.boardFile',
  maxFileSizeMB: 'acrnNest.maxFileSizeMB',
  traceServer: 'acrnNest.trace.server',
  targets: 'acrnNest.targets',
  defaultTarget: 'acrnNest.defaultTarget',
  buildHost: 'acrnNest.build.host',
  buildHostAcrnTree: 'acrnNest.build.hostAcrnTree',
  buildPython: 'acrnNest.build.python',
  buildJobs: 'acrnNest.build.jobs',
  buildMakeVariables: 'acrnNest.build.makeVariables',
  labUrl: 'acrnNest.lab.url',
  labDeviceType: 'acrnNest.lab.deviceType',
  labJobTemplate: 'acrnNest.lab.jobTemplate',
} as const;

export type CommandId = (typeof Commands)[keyof typeof Commands];
