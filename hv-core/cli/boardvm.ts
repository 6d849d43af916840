/**
 * `acrn-nest board-vm start|power-cycle|stop|status|link`: the virtual board (hv-core/boardvm).
 * The last line `start` prints is the path of the target file, so scripts can do
 * `t=$(acrn-nest board-vm start --dir D | tail -1)`. The commands are shaped for a LAVA device
 * dictionary: power-cycle returns once SSH is back, or fails saying what the serial port showed.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CliIO, CliRun } from './io.js';
import { UsageError } from './io.js';
import type { BoardDevice, Layout, VmHypervisor } from '../engine.js';
import { BOARD_DEVICES, BoardVm, BoardVmError, INSPECTABLE_BOARD, LAYOUTS, VM_HYPERVISORS } from '../engine.js';

export const boardVmCommand: CliRun = {
  async run(argv: string[], io: CliIO): Promise<number> {
    const [sub, ...rest] = argv;
    const { values } = parseArgs({
      args: rest,
      allowPositionals: false,
      options: {
        dir: { type: 'string' },
        layout: { type: 'string' },
        hypervisor: { type: 'string' },
        'acrn-tree': { type: 'string' },
        'cache-dir': { type: 'string' },
        timeout: { type: 'string' },
        cpu: { type: 'string' },
        device: { type: 'string', multiple: true },
        inspectable: { type: 'boolean', default: false },
        cpus: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
    if (!sub || !['prepare', 'start', 'power-cycle', 'stop', 'status', 'link-up', 'link-down'].includes(sub)) throw new UsageError('board-vm needs a subcommand: prepare, start, power-cycle, stop, status, link-up or link-down');
    if (sub === 'prepare') {
      // Builds (or finds) the cached image: what start resumes. No VM keeps running.
      const vm = new BoardVm(io.cwd, { ...(values['cache-dir'] ? { cacheDir: path.resolve(io.cwd, values['cache-dir']) } : {}), log: (l) => io.err(`board-vm: ${l}`) });
      try {
        io.out(await vm.ensureImage());
        return 0;
      } catch (e) {
        if (e instanceof BoardVmError) {
          io.err(`acrn-nest board-vm prepare: ${e.message}`);
          return 1;
        }
        throw e;
      }
    }
    if (!values.dir) throw new UsageError('--dir DIR is required (the folder of this virtual board)');
    const layout = (values.layout ?? 'ubuntu') as Layout;
    if (!LAYOUTS.includes(layout)) throw new UsageError(`--layout must be one of ${LAYOUTS.join(', ')}, not '${values.layout}'`);
    const hypervisor = (values.hypervisor ?? 'xen-standin') as VmHypervisor;
    if (!VM_HYPERVISORS.includes(hypervisor)) throw new UsageError(`--hypervisor must be one of ${VM_HYPERVISORS.join(', ')}, not '${values.hypervisor}'`);
    let timeoutMs: number | undefined;
    if (values.timeout !== undefined) {
      const s = Number(values.timeout);
      if (!Number.isFinite(s) || s <= 0) throw new UsageError(`--timeout must be a number of seconds, not '${values.timeout}'`);
      timeoutMs = s * 1000;
    }
    const devices = (values.device ?? []) as BoardDevice[];
    const unknown = devices.filter((d) => !Object.hasOwn(BOARD_DEVICES, d));
    if (unknown.length) throw new UsageError(`--device must be one of ${Object.keys(BOARD_DEVICES).join(', ')}, not '${unknown.join("', '")}'`);
    const cpus = values.cpus === undefined ? undefined : Number(values.cpus);
    if (cpus !== undefined && !(Number.isInteger(cpus) && cpus >= 1 && cpus <= 8)) throw new UsageError(`--cpus must be a whole number from 1 to 8, not '${values.cpus}'`);
    const abs = (p: string): string => path.resolve(io.cwd, p);
    const vm = new BoardVm(abs(values.dir), { ...(values['cache-dir'] ? { cacheDir: abs(values['cache-dir']) } : {}), log: (l) => io.err(`board-vm: ${l}`) });
    try {
      switch (sub) {
        case 'start': {
          const file = await vm.start({ layout, hypervisor, ...(values['acrn-tree'] ? { acrnTree: abs(values['acrn-tree']) } : {}), ...(timeoutMs ? { timeoutMs } : {}), ...(values.inspectable ? INSPECTABLE_BOARD : {}), ...(values.cpu ? { cpu: values.cpu } : {}), ...(devices.length ? { devices } : {}), ...(cpus ? { cpus } : {}) });
          if (hypervisor === 'xen-standin') io.out(`stand-in image (Xen, not ACRN) to deploy in place of acrn.bin: ${vm.file.standin}`);
          io.out(`console: acrn-nest console --target-file ${file}`);
          io.out(file);
          return 0;
        }
        case 'power-cycle': {
          const r = await vm.powerCycle(timeoutMs ? { timeoutMs } : {});
          io.out(`power-cycled; SSH is back after ${r.seconds.toFixed(1)} s`);
          return 0;
        }
        case 'stop':
          io.out((await vm.stop()) ? 'stopped' : 'not running');
          return 0;
        case 'link-up':
        case 'link-down':
          await vm.setLink(sub === 'link-up');
          io.out(`network cable ${sub === 'link-up' ? 'plugged in' : 'cut'}`);
          return 0;
        default: {
          const s = await vm.status();
          if (values.json) io.out(JSON.stringify(s));
          else if (!s.running) io.out('not running');
          else {
            io.out(`running (pid ${s.state!.pid}, ${s.state!.layout} layout, ${s.state!.hypervisor === 'xen-standin' ? 'Xen stand-in for ACRN' : 'ACRN'}, ${s.state!.accel.toUpperCase()}), ssh 127.0.0.1:${s.state!.sshPort}, serial 127.0.0.1:${s.state!.serialPort}`);
            if (s.state!.accelWhy) io.out(`accelerator: ${s.state!.accelWhy}`);
            if (s.booted) {
              io.out(`booted: hypervisor ${s.booted.hypervisor}; cmdline ${s.booted.cmdline}`);
              io.out(`a plain reboot boots: ${s.booted.defaultEntry}`);
            } else io.out('the guest does not answer on SSH (booting, hung, or its cable is cut)');
          }
          return s.running ? 0 : 1;
        }
      }
    } catch (e) {
      if (e instanceof BoardVmError) {
        io.err(`acrn-nest board-vm ${sub}: ${e.message}`);
        return 1;
      }
      throw e;
    }
  },
};
