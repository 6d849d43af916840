/**
 * Our own GRUB script (default /etc/grub.d/41_acrn_nest): a `cat` of a quoted here-document, so
 * update-grub copies the entries verbatim and nothing in them is expanded. Two entries with fixed
 * ids: `acrn-nest` (the image just deployed) and `acrn-nest-prev` (the image before it). We never
 * edit 40_custom or ACRN's 25_linux_acrn, and never change GRUB_DEFAULT: the new entry is booted once
 * with grub-reboot and made the saved default only after the board came back healthy.
 */
import { shq } from '../target/quote.js';

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

export function grubEntryText(e: GrubEntry): string {
  const lines = [
    `menuentry ${grubQuote(e.title)} --id ${grubQuote(e.id)} {`,
    '\tinsmod part_gpt',
    '\tinsmod part_msdos',
    '\tinsmod ext2',
    `\tsearch --no-floppy --file --set=root ${grubQuote(e.image)}`,
    `\techo ${grubQuote(`Loading ${e.title} ...`)}`,
    // Records which entry booted, so the deploy can tell a fallback from success (needs a grubenv
    // GRUB can write: plain ext4, not LVM/RAID/btrfs; otherwise it is a no-op).
    `\tset ${BOOTED_VAR}=${grubQuote(e.id)}`,
    `\tsave_env ${BOOTED_VAR}`,
    `\tmultiboot2 ${grubQuote(e.image)}${e.cmdline ? ' ' + e.cmdline : ''}`,
    ...e.modules.map((m) => `\tmodule2 ${grubQuote(m.grubPath)} ${grubQuote(m.tag)}`),
    '}',
  ];
  return lines.join('\n');
}

export function grubScript(entries: GrubEntry[], comment: string[]): string {
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
