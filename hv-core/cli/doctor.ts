/** `acrn-nest doctor`: the nested-virtualization preflight on the Service VM and in the scenario. */
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { DoctorCheck, XmlDocument } from '../engine.js';
import { formatChecks, loadFile, parseXml, probeServiceVm, scenarioChecks } from '../engine.js';
import type { CliIO, CliRun } from './io.js';
import { UsageError } from './io.js';
import { openTargetFile } from './nest-target.js';
import { cliSettings, sharedOptions } from './settings.js';

export const doctorCommand: CliRun = {
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values } = parseArgs({
      args: argv,
      options: sharedOptions('target-file', 'scenario', 'board', 'json'),
    });
    if (!values['target-file'] && !values.scenario) throw new UsageError('give --target-file FILE (the Service VM) and/or --scenario FILE');
    const checks: DoctorCheck[] = [];
    if (values.scenario) {
      const file = path.resolve(io.cwd, values.scenario);
      const loaded = loadFile(file);
      let board: XmlDocument | undefined;
      const boardFile = cliSettings({ board: values.board }, io).boardFile;
      if (boardFile) board = parseXml(loadFile(boardFile).text);
      checks.push(...scenarioChecks(loaded.text, board ? { board, file: values.scenario } : { file: values.scenario }));
    }
    if (values['target-file']) {
      const t = openTargetFile(values['target-file'], io);
      try {
        checks.push(...(await probeServiceVm(await t.provider())));
      } catch (e) {
        checks.push({ id: 'ssh', where: 'Service VM', title: 'reachable over SSH', status: 'fail', detail: (e as Error).message, fix: 'Check the target file (host, port, user, identityFile, knownHostsFile) and that the board is up.' });
      } finally {
        t.close();
      }
    }
    if (values.json) io.out(JSON.stringify(checks, null, 2));
    else for (const l of formatChecks(checks)) io.out(l);
    const failed = checks.filter((c) => c.status === 'fail').length;
    if (!values.json) io.out(failed ? `${failed} check(s) failed` : 'all checks passed');
    return failed ? 1 : 0;
  },
};
