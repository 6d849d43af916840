/**
 * The commands that talk to a board or a build host (SSH, serial): one part of the CLI bundle
 * (dist/cli/remote.js), loaded by dist/cli.js only when one of them runs.
 */
export { buildCommand } from './build.js';
export { deployCommand } from './deploy.js';
export { consoleCommand } from './console.js';
export { l2Command } from './l2.js';
export { doctorCommand } from './doctor.js';
