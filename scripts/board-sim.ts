/**
 * Starts THE BOARD SIMULATOR (test/support/sim/board-simulator.ts) from the command line, for the demo
 * and for trying deploys without a board:
 *
 *   npx tsx scripts/board-sim.ts [--dir DIR] [--port N] [--console-port N] [--user acrn|root]
 *                                [--authorized-key FILE.pub] [--reboot-delay-ms MS] [--sudo-password-stdin]
 *
 * Without --authorized-key it generates a client key in DIR. It writes DIR/target.json (a target
 * file for `acrn-nest deploy`) and DIR/known_hosts with the simulator's host key (generated for
 * this run; trusting it is fine because this process just created it), prints a banner, and one
 * machine-readable line `BOARD_SIM_READY {"port":..,"consolePort":..,"targetFile":..}` for
 * scripts. Runs until SIGINT/SIGTERM.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateEd25519 } from '../hv-core/ssh-target/keys';
import { BoardSimulator, SIM_NAME } from '../test/support/sim/board-simulator';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string' },
      port: { type: 'string' },
      'console-port': { type: 'string' },
      user: { type: 'string', default: 'acrn' },
      'authorized-key': { type: 'string' },
      'reboot-delay-ms': { type: 'string' },
      'sudo-password-stdin': { type: 'boolean', default: false },
    },
  });
  const dir = path.resolve(values.dir ?? path.join(os.tmpdir(), 'acrn-nest-board-sim'));
  mkdirSync(dir, { recursive: true });
  let pub: string;
  let identityFile: string | undefined;
  if (values['authorized-key']) pub = readFileSync(values['authorized-key'], 'utf8').trim();
  else {
    identityFile = path.join(dir, 'id_ed25519');
    if (!existsSync(identityFile)) {
      const k = generateEd25519('acrn-nest board simulator client');
      writeFileSync(identityFile, k.private, { mode: 0o600 });
      writeFileSync(identityFile + '.pub', k.public + '\n');
    }
    pub = readFileSync(identityFile + '.pub', 'utf8').trim();
  }
  let sudoPassword: string | undefined;
  if (values['sudo-password-stdin']) sudoPassword = readFileSync(0, 'utf8').split('\n')[0];
  const sim = await BoardSimulator.start({
    dir: path.join(dir, 'board'),
    authorizedKeys: [pub],
    user: values.user ?? 'acrn',
    ...(values.port ? { port: Number(values.port) } : {}),
    ...(values['console-port'] ? { consolePort: Number(values['console-port']) } : {}),
    ...(values['reboot-delay-ms'] ? { rebootDelayMs: Number(values['reboot-delay-ms']) } : {}),
    ...(sudoPassword !== undefined ? { sudoPassword } : {}),
    log: (l) => console.log(l),
  });
  const knownHosts = path.join(dir, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${sim.port} ${sim.hostKeyPub}\n`);
  const targetFile = path.join(dir, 'target.json');
  writeFileSync(targetFile, JSON.stringify({ name: 'board-simulator', host: '127.0.0.1', port: sim.port, user: sim.user, ...(identityFile ? { identityFile } : {}), knownHostsFile: knownHosts }, null, 2) + '\n');
  console.log(`\n=== ${SIM_NAME.toUpperCase()} (not a real board) ===`);
  console.log(`SSH             ${sim.user}@127.0.0.1 -p ${sim.port}   host key ${sim.hostFingerprint}`);
  console.log(`console (UART)  127.0.0.1:${sim.consolePort}  (raw TCP, like ser2net: nc 127.0.0.1 ${sim.consolePort})`);
  console.log(`sandbox         ${sim.root}`);
  console.log(`target file     ${targetFile}`);
  console.log(`try             acrn-nest deploy --target-file ${targetFile} --image acrn.bin [--scenario scenario.xml]`);
  console.log(`BOARD_SIM_READY ${JSON.stringify({ port: sim.port, consolePort: sim.consolePort, targetFile, knownHosts, identityFile, hostFingerprint: sim.hostFingerprint, root: sim.root })}`);
  const stop = (): void => {
    void sim.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main().catch((e: unknown) => {
  console.error(`${SIM_NAME}: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
