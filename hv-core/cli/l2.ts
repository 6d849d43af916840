/** `acrn-nest l2 launch|list|stop`: L2 guests on the Service VM (QEMU from the recipe, detached). */
import { parseArgs } from 'node:util';
import type { Accel, L2Guest, L2Net, L2Spec } from '../engine.js';
import { L2Manager } from '../engine.js';
import type { CliIO, CliRun } from './io.js';
import { UsageError } from './io.js';
import { openTargetFile } from './nest-target.js';


function describe(g: L2Guest): string {
  const s = g.spec;
  const what = s ? [s.disk ?? s.kernel, s.memory ?? '2G', `${s.smp ?? 2} vCPU`, s.accel ?? 'kvm'].filter(Boolean).join(', ') : '';
  return `${g.name.padEnd(16)} ${(g.running ? 'running' : 'stopped').padEnd(8)} ${g.pid && g.running ? `pid ${g.pid}`.padEnd(10) : ''.padEnd(10)} ${what}`;
}

export const l2Command: CliRun = {
  async run(argv: string[], io: CliIO): Promise<number> {
    const [sub, ...rest] = argv;
    if (sub !== 'launch' && sub !== 'list' && sub !== 'stop') throw new UsageError(sub ? `unknown l2 subcommand '${sub}' (launch, list, stop)` : 'launch, list or stop?');
    const { values } = parseArgs({
      args: rest,
      options: {
        'target-file': { type: 'string' },
        name: { type: 'string' },
        disk: { type: 'string' },
        format: { type: 'string' },
        kernel: { type: 'string' },
        initrd: { type: 'string' },
        append: { type: 'string' },
        memory: { type: 'string' },
        smp: { type: 'string' },
        accel: { type: 'string' },
        net: { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
    if (sub === 'launch') {
      if (!values.name) throw new UsageError('--name NAME is required');
      if (!values.disk === !values.kernel) throw new UsageError('give exactly one of --disk IMAGE or --kernel FILE');
      if (values.append !== undefined && !values.kernel) throw new UsageError('--append needs --kernel');
      if (values.accel !== undefined && values.accel !== 'kvm' && values.accel !== 'tcg') throw new UsageError(`--accel must be kvm or tcg, not '${values.accel}'`);
      if (values.net !== undefined && !['tap', 'user', 'none'].includes(values.net)) throw new UsageError(`--net must be tap, user or none, not '${values.net}'`);
      if (values.format !== undefined && values.format !== 'raw' && values.format !== 'qcow2') throw new UsageError(`--format must be raw or qcow2, not '${values.format}'`);
    }
    if (values.smp !== undefined && !/^\d+$/.test(values.smp)) throw new UsageError(`--smp must be a number, not '${values.smp}'`);
    if (values.timeout !== undefined && !/^\d+(\.\d+)?$/.test(values.timeout)) throw new UsageError(`--timeout must be seconds, not '${values.timeout}'`);

    const t = openTargetFile(values['target-file'], io);
    try {
      const host = await t.provider();
      const m = new L2Manager(host, { runDir: t.nest.l2.runDir, powerdownTimeoutMs: t.nest.l2.powerdownTimeoutMs });
      if (sub === 'launch') {
        const accel = (values.accel ?? t.nest.l2.accel ?? 'kvm') as Accel;
        const netType = values.net ?? t.nest.l2.net ?? 'tap';
        const spec: L2Spec = { name: values.name!, accel, net: { type: netType } as L2Net };
        if (values.disk) spec.disk = values.disk;
        if (values.format) spec.diskFormat = values.format as 'raw' | 'qcow2';
        if (values.kernel) spec.kernel = values.kernel;
        if (values.initrd) spec.initrd = values.initrd;
        if (values.append !== undefined) spec.append = values.append;
        if (values.memory) spec.memory = values.memory;
        if (values.smp) spec.smp = Number(values.smp);
        if (accel === 'tcg') io.err(`acrn-nest l2: running ${spec.name} WITHOUT KVM (accel tcg, as asked): slow, for testing only`);
        const g = await m.launch(spec);
        io.out(`launched L2 guest ${g.name} on ${host.label}: pid ${String(g.pid)}, serial ${g.paths.serial}, QMP ${g.paths.qmp}`);
        io.out(`attach: acrn-nest console --target-file ${values['target-file']} --l2 ${g.name}`);
        return 0;
      }
      if (sub === 'list') {
        const { guests: list, skipped } = await m.scan();
        for (const s of skipped) io.err(`acrn-nest l2: skipped ${s.name}: ${s.why}`);
        if (values.json) io.out(JSON.stringify(list, null, 2));
        else if (list.length === 0) io.out(`no L2 guests on ${host.label} (run dir ${await m.runDir()})`);
        else for (const g of list) io.out(describe(g));
        return 0;
      }
      const timeoutMs = values.timeout !== undefined ? Number(values.timeout) * 1000 : undefined;
      let names: string[];
      if (values.name) names = [values.name];
      else {
        const { guests, skipped } = await m.scan();
        for (const s of skipped) io.err(`acrn-nest l2: skipped ${s.name}: ${s.why}`);
        names = guests.filter((g) => g.running).map((g) => g.name);
      }
      if (names.length === 0) io.out(`no running L2 guests on ${host.label}`);
      for (const n of names) {
        const r = await m.stop(n, timeoutMs);
        const how = { powerdown: 'powered down', terminated: 'did not power down in time: terminated (SIGTERM)', killed: 'killed (SIGKILL)', 'not-running': 'was not running' }[r.how];
        io.out(`${n}: ${how}${r.detail ? ` (${r.detail})` : ''}`);
      }
      return 0;
    } finally {
      t.close();
    }
  },
};
