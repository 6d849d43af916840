/**
 * "acrn-nest: Start Virtual Board" / "Stop Virtual Board": the virtual board of hv-core/boardvm
 * (a Debian VM with real GRUB, QEMU TCG), started in the extension's storage and added to
 * `acrnNest.targets` as "board-vm" (the default target when none is set), so Deploy, the console
 * and Doctor work against it before the real NUC. Disabled in untrusted workspaces (it runs QEMU).
 */
import path from 'node:path';
import * as vscode from 'vscode';
import type { Layout } from '../hv-core/engine.js';
import { BoardVm, BoardVmError, targetSettingFor } from '../hv-core/engine.js';
import { Commands } from './constants.js';
import type { CommandFactory, Ctx } from './context.js';

export const VIRTUAL_BOARD_TARGET = 'board-vm';

function vmFor(ctx: Ctx): BoardVm {
  return new BoardVm(path.join(ctx.extension.globalStorageUri.fsPath, 'board-vm'), { log: (l) => ctx.log.info(`board-vm: ${l}`) });
}

async function start(ctx: Ctx): Promise<void> {
  if (!ctx.trusted) {
    void vscode.window.showWarningMessage('acrn-nest: the virtual board runs QEMU; trust this workspace first.');
    return;
  }
  const pick = await vscode.window.showQuickPick(
    [
      { label: 'ubuntu', description: 'GRUB_DEFAULT=0, as Ubuntu ships it', layout: 'ubuntu' as Layout },
      { label: 'saved', description: 'GRUB_DEFAULT=saved', layout: 'saved' as Layout },
    ],
    { title: 'acrn-nest: how the virtual board\'s GRUB is set up' },
  );
  if (!pick) return;
  const vm = vmFor(ctx);
  const file = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'acrn-nest: starting the virtual board (a Debian VM with real GRUB; the first start builds its image, a few minutes)' }, async (progress) => {
    const vmLog = new BoardVm(vm.dir, { log: (l) => { ctx.log.info(`board-vm: ${l}`); progress.report({ message: l }); } });
    try {
      return await vmLog.start({ layout: pick.layout, hypervisor: 'xen-standin' });
    } catch (e) {
      if (e instanceof BoardVmError && e.code === 'already-running') return vm.file.target;
      throw e;
    }
  });
  await ctx.config.upsertTarget({ ...targetSettingFor(file, VIRTUAL_BOARD_TARGET), name: VIRTUAL_BOARD_TARGET });
  if (!ctx.config.defaultTarget) await ctx.config.setDefaultTarget(VIRTUAL_BOARD_TARGET);
  const a = await vscode.window.showInformationMessage(`acrn-nest: the virtual board is up and is the target "${VIRTUAL_BOARD_TARGET}". Its hypervisor is a stand-in (Xen; ACRN needs VMX): deploy ${vm.file.standin} to rehearse.`, 'Open Console', 'Show Log');
  if (a === 'Open Console') await vscode.commands.executeCommand(Commands.openHypervisorConsole);
  else if (a === 'Show Log') ctx.log.show();
}

async function stop(ctx: Ctx): Promise<void> {
  const stopped = await vmFor(ctx).stop();
  void vscode.window.showInformationMessage(stopped ? 'acrn-nest: the virtual board is stopped.' : 'acrn-nest: no virtual board is running.');
}

export const BOARD_VM_COMMANDS: Record<string, CommandFactory> = {
  [Commands.startVirtualBoard]: (ctx) => () => start(ctx),
  [Commands.stopVirtualBoard]: (ctx) => () => stop(ctx),
};
