/**
 * `vm_list` in a console session of its own (issue 11): the Nested view never types into a
 * console the user has open. A TCP console (ser2net, the board simulator) takes a second client;
 * a serial line or the read-only log does not, so for those nothing is sent and the caller says
 * how to list the VMs instead.
 */
import { parseVmList, type AcrnVm } from './acrnShell.js';
import { ConsoleSession } from './session.js';
import type { ConsoleSource } from './source.js';

export type VmListResult =
  | { ok: true; vms: AcrnVm[] }
  /** Nothing was sent: the source cannot take a second session (why says which). */
  | { ok: false; why: string };

/** Whether a hypervisor console source can take a session beside the user's (a second TCP client). */
export function canOpenSecondSession(source: ConsoleSource): boolean {
  return source.kind === 'tcp' && !source.readOnly;
}

/** Opens its own session on `source`, sends vm_list, reads up to the next prompt (bounded), closes. */
export async function vmListOwnSession(source: ConsoleSource, timeoutMs = 5000): Promise<VmListResult> {
  if (!canOpenSecondSession(source)) {
    return { ok: false, why: source.readOnly ? `${source.label} is read-only: vm_list needs the hypervisor shell` : `${source.label} takes one session (yours): type vm_list in the hypervisor console` };
  }
  const session = new ConsoleSession(source, { reconnect: false });
  try {
    await session.start();
    return await new Promise<VmListResult>((resolve) => {
      let text = '';
      const onData = (d: Buffer): void => {
        text += d.toString('latin1');
        if (/VM_NAME[\s\S]*ACRN:\\>/.test(text)) finish({ ok: true, vms: parseVmList(text) });
      };
      const timer = setTimeout(() => finish({ ok: false, why: `no vm_list answer from ${source.label} within ${timeoutMs} ms` }), timeoutMs);
      function finish(v: VmListResult): void {
        clearTimeout(timer);
        session.off('data', onData);
        resolve(v);
      }
      session.on('data', onData);
      session.send('\rvm_list\r');
    });
  } catch (e) {
    return { ok: false, why: e instanceof Error ? e.message : String(e) };
  } finally {
    await session.close();
  }
}
