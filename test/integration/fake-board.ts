/**
 * The board's /boot, grub.d and GRUB commands in a temporary folder, for deploys to the loopback
 * sshd: small shell scripts stand in for update-grub (it really runs every executable
 * `NN_*` script in the grub.d folder, as grub-mkconfig does, into grub.cfg), grub-reboot,
 * grub-set-default and grub-editenv (they keep next_entry/saved_entry in a grubenv file), and every
 * call is appended to calls.log.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { shq } from '../../hv-core/ssh-target/quote';

export interface FakeBoard {
  root: string;
  bootDir: string;
  grubDir: string;
  kernel: string;
  calls: string;
  grubCfg: string;
  grubEnv: string;
  commands: { updateGrub: string; grubReboot: string; grubSetDefault: string; reboot: string; grubEditenv: string };
}

export function makeFakeBoard(root: string, opts: { bootDir?: string; binDir?: string; kernel?: string } = {}): FakeBoard {
  const bootDir = opts.bootDir ?? path.join(root, 'boot', 'acrn');
  const grubDir = path.join(root, 'grub.d');
  const bin = opts.binDir ?? path.join(root, 'bin');
  const kernel = opts.kernel ?? path.join(root, 'boot', 'vmlinuz-6.1.0-acrn');
  for (const d of [bootDir, grubDir, bin, path.dirname(kernel)]) mkdirSync(d, { recursive: true });
  writeFileSync(kernel, 'fake bzImage\n');
  const calls = path.join(root, 'calls.log');
  const grubCfg = path.join(root, 'grub.cfg');
  const grubEnv = path.join(root, 'grubenv');
  writeFileSync(calls, '');
  writeFileSync(grubEnv, '');
  // 00_header as grub-mkconfig writes it for GRUB_DEFAULT=saved, and the distribution's entry.
  const header = `if [ "\${next_entry}" ] ; then\n   set default="\${next_entry}"\n   set next_entry=\n   save_env next_entry\nelse\n   set default="\${saved_entry}"\nfi\nmenuentry 'Ubuntu' --id ubuntu {\n\tlinux /boot/vmlinuz root=/dev/sda2 ro\n}\n`;
  writeFileSync(path.join(grubDir, '00_header'), `#!/bin/sh\ncat <<'EOF'\n${header}EOF\n`, { mode: 0o755 });
  writeFileSync(grubCfg, header);
  const script = (name: string, body: string): string => {
    const f = path.join(bin, name);
    writeFileSync(f, `#!/bin/sh\nprintf '%s\\n' "${name} $*" >> ${shq(calls)}\n${body}\n`);
    chmodSync(f, 0o755);
    return f;
  };
  const commands = {
    updateGrub: script('update-grub', `for f in ${shq(grubDir)}/[0-9][0-9]_*; do [ -x "$f" ] && "$f"; done > ${shq(grubCfg)}`),
    grubReboot: script('grub-reboot', `grep -v '^next_entry=' ${shq(grubEnv)} > ${shq(grubEnv)}.n; printf 'next_entry=%s\\n' "$1" >> ${shq(grubEnv)}.n; mv ${shq(grubEnv)}.n ${shq(grubEnv)}`),
    grubSetDefault: script('grub-set-default', `grep -v '^saved_entry=' ${shq(grubEnv)} > ${shq(grubEnv)}.n; printf 'saved_entry=%s\\n' "$1" >> ${shq(grubEnv)}.n; mv ${shq(grubEnv)}.n ${shq(grubEnv)}`),
    grubEditenv: script('grub-editenv', `[ "$1" = - ] && shift; case "$1" in list) cat ${shq(grubEnv)};; unset) grep -v "^$2=" ${shq(grubEnv)} > ${shq(grubEnv)}.n; mv ${shq(grubEnv)}.n ${shq(grubEnv)};; *) exit 1;; esac`),
    reboot: script('reboot', 'echo "the fake board does not reboot" >&2; exit 1'),
  };
  return { root, bootDir, grubDir, kernel, calls, grubCfg, grubEnv, commands };
}
