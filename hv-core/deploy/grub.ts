/**
 * Our own GRUB script (default /etc/grub.d/41_acrn_nest): a `cat` of a quoted here-document, so
 * update-grub copies the entries verbatim and nothing in them is expanded. Two entries with fixed
 * ids: `acrn-nest` (the image just deployed) and `acrn-nest-prev` (the image before it). We never
 * edit 40_custom or ACRN's 25_linux_acrn. The new entry is booted once with grub-reboot and made the
 * saved default only after the board came back running the new image. Where GRUB_DEFAULT is not
 * `saved`, the deploy adds /etc/default/grub.d/zz-acrn-nest.cfg (GRUB_DEFAULT=saved, saved_entry set
 * to what booted by default before, so nothing changes until a verified image exists): see deploy.ts.
 */
import { shq } from '../ssh-target/quote.js';

export const ENTRY_ID = 'acrn-nest';
export const ENTRY_PREV_ID = 'acrn-nest-prev';
export const HEREDOC_END = 'ACRN_NEST_EOF';
/** grubenv variable our entries set when they boot. */
export const BOOTED_VAR = 'acrn_nest_entry';

export interface GrubModule {
  /** Path as GRUB sees it (relative to the root of the partition holding the file). */
  grubPath: string;
  tag: string;
}

export interface GrubEntry {
  id: string;
  title: string;
  /** multiboot2 image, as GRUB sees it. */
  image: string;
  cmdline: string | undefined;
  modules: GrubModule[];
}

/** GRUB's lexer quotes like sh: single quotes are literal. */
export const grubQuote = shq;

/** The tokens our entries append to the multiboot2 command line (see `bootTokens`). */
export const TOKEN_ENTRY = 'acrn_nest.entry';
export const TOKEN_IMAGE = 'acrn_nest.image';

/**
 * What an entry appends to the hypervisor's command line: its id and the first 16 hex digits of
 * its image's sha256. ACRN appends its multiboot2 command line to the Service VM's kernel command
 * line (hypervisor/boot/guest/vboot_info.c, v2.x and v3.x alike); the Xen stand-in hands what
 * follows ` -- ` to dom0. So these tokens show in the Service VM's /proc/cmdline only when this
 * entry's image started and booted the Service VM: the proof step 5 asks for. Linux ignores
 * unknown `a.b=c` parameters.
 */
export function bootTokens(entryId: string, sha256: string | undefined): string {
  return `${TOKEN_ENTRY}=${entryId}${sha256 ? ` ${TOKEN_IMAGE}=${sha256.slice(0, 16)}` : ''}`;
}

export function grubEntryText(e: GrubEntry & { sha256?: string }): string {
  const cmdline = [e.cmdline, bootTokens(e.id, e.sha256)].filter(Boolean).join(' ');
  const lines = [
    `menuentry ${grubQuote(e.title)} --id ${grubQuote(e.id)} {`,
    '\tinsmod part_gpt',
    '\tinsmod part_msdos',
    '\tinsmod ext2',
    `\tsearch --no-floppy --file --set=root ${grubQuote(e.image)}`,
    `\techo ${grubQuote(`Loading ${e.title} ...`)}`,
    `\tmultiboot2 ${grubQuote(e.image)} ${cmdline}`,
    ...e.modules.map((m) => `\tmodule2 ${grubQuote(m.grubPath)} ${grubQuote(m.tag)}`),
    // Which entry GRUB started, for the messages of a failed verify: set after the image and its
    // modules loaded, so a missing file leaves it unset. It proves nothing about the boot itself
    // (the image may hang after GRUB hands over); step 5 checks the command-line tokens for that.
    // A no-op where GRUB cannot write grubenv (LVM, RAID, btrfs).
    `\tset ${BOOTED_VAR}=${grubQuote(e.id)}`,
    `\tsave_env ${BOOTED_VAR}`,
    '}',
  ];
  return lines.join('\n');
}

export function grubScript(entries: (GrubEntry & { sha256?: string })[], comment: string[]): string {
  for (const e of entries) {
    const t = grubEntryText(e);
    if (t.split('\n').includes(HEREDOC_END)) throw new Error('internal: entry text contains the here-document end marker');
  }
  return [
    '#!/bin/sh',
    '# acrn-nest: GRUB entries for the ACRN hypervisor, rewritten by every deploy. Do not edit;',
    '# your own entries belong in 40_custom, which acrn-nest never touches.',
    ...comment.map((c) => `# ${c.replace(/[\r\n]/g, ' ')}`),
    `cat <<'${HEREDOC_END}'`,
    ...entries.map(grubEntryText),
    HEREDOC_END,
    '',
  ].join('\n');
}

/**
 * The multiboot2 command line: what the target file says, else the running kernel's `root=`
 * (from /proc/cmdline), so the Service VM mounts the same root file system.
 */
export function defaultCmdline(procCmdline: string): string | undefined {
  const m = /(?:^|\s)(root=\S+)/.exec(procCmdline);
  return m?.[1];
}

/** Our drop-in for GRUB_DEFAULT (sourced after /etc/default/grub and, by its name, after acrn.cfg). */
export const DEFAULT_DROPIN = '/etc/default/grub.d/zz-acrn-nest.cfg';

export function defaultDropin(was: string | undefined): string {
  return [
    '# acrn-nest: GRUB_DEFAULT=saved, so that `grub-set-default` (run by acrn-nest deploy once a new',
    '# hypervisor image has booted and been verified) decides what a plain reboot boots.',
    `# GRUB's default before: ${was === undefined ? '(none: the first entry)' : JSON.stringify(was).replace(/[\r\n]/g, ' ')}. To undo: remove this file, run update-grub.`,
    'GRUB_DEFAULT=saved',
    '',
  ].join('\n');
}

/** Is this a multiboot2 image (header magic, i386 architecture and checksum within the first 32 KiB, 8-byte aligned)? */
export function multiboot2Header(b: Buffer): { offset: number } | undefined {
  const MAGIC = 0xe85250d6;
  for (let off = 0; off + 16 <= Math.min(b.length, 32768); off += 8) {
    if (b.readUInt32LE(off) !== MAGIC) continue;
    const arch = b.readUInt32LE(off + 4);
    const len = b.readUInt32LE(off + 8);
    const sum = b.readUInt32LE(off + 12);
    if (arch === 0 && len >= 16 && ((MAGIC + arch + len + sum) >>> 0) === 0) return { offset: off };
  }
  return undefined;
}

/** Writes a minimal valid multiboot2 header (magic, i386, length 16, checksum) at `offset`. */
export function writeMultiboot2Header(b: Buffer, offset = 0): Buffer {
  const MAGIC = 0xe85250d6;
  b.writeUInt32LE(MAGIC, offset);
  b.writeUInt32LE(0, offset + 4);
  b.writeUInt32LE(16, offset + 8);
  b.writeUInt32LE((0x100000000 - ((MAGIC + 16) % 0x100000000)) % 0x100000000, offset + 12);
  return b;
}
