/**
 * The one-shot GRUB entry of a board inspection: the DEFAULT entry's own lines (as update-grub
 * wrote them in grub.cfg), with ACRN's inspector parameters appended to its `linux` line, under a
 * fixed id (`acrn-nest-inspect`), in our own script /etc/grub.d/42_acrn_nest_inspect. The script is
 * a `cat` of a quoted here-document (as deploy's 41_acrn_nest, hv-core/deploy/grub.ts), so
 * update-grub copies the entry verbatim. It is booted once with grub-reboot and removed right
 * after that boot came up; the default entry is never touched.
 */
import type { GrubMenu, MenuEntry } from '../deploy/grubcfg.js';
import { grubWords } from '../deploy/grubcfg.js';
import { grubQuote, HEREDOC_END } from '../deploy/grub.js';

export const INSPECT_ENTRY_ID = 'acrn-nest-inspect';
export const INSPECT_SCRIPT = '/etc/grub.d/42_acrn_nest_inspect';

const LINUX_LOADERS = new Set(['linux', 'linuxefi', 'linux16']);

/**
 * The body lines (between `{` and its `}`) of the entry at `path` in a grub.cfg, counted the way
 * parseGrubCfg counts (top-level menuentry/submenu, then inside submenus).
 */
export function entryBody(cfg: string, path: readonly number[]): string[] | undefined {
  const lines = cfg.split('\n');
  const counters: number[] = [0];
  const stack: number[] = [];
  let body: string[] | undefined;
  let depthInEntry = 0;
  for (const raw of lines) {
    const w = grubWords(raw.trim());
    if (body) {
      // Inside the wanted entry: its own `{ ... }` blocks (if/fi have none in grub.cfg).
      if (w[0] === '}' && depthInEntry === 0) return body;
      if (raw.trimEnd().endsWith('{')) depthInEntry++;
      else if (w[0] === '}') depthInEntry--;
      body.push(raw);
      continue;
    }
    if (w.length === 0) continue;
    if (w[0] === 'menuentry' || w[0] === 'submenu') {
      const idx = counters[counters.length - 1]!;
      counters[counters.length - 1] = idx + 1;
      const here = [...stack, idx];
      const opens = raw.trimEnd().endsWith('{');
      if (w[0] === 'menuentry' && here.length === path.length && here.every((x, i) => x === path[i])) {
        body = [];
        if (!opens) return undefined;
        continue;
      }
      if (opens) {
        stack.push(idx);
        counters.push(0);
      }
      continue;
    }
    if (w[0] === '}' && stack.length > 0) {
      stack.pop();
      counters.pop();
    }
  }
  return undefined;
}

/** Does this body boot Linux directly (a `linux` line, no multiboot hypervisor)? */
export function bootsLinux(body: readonly string[]): boolean {
  const cmds = body.map((l) => grubWords(l.trim())[0]);
  return cmds.some((c) => c !== undefined && LINUX_LOADERS.has(c)) && !cmds.some((c) => c === 'multiboot' || c === 'multiboot2');
}

/**
 * The entry a board inspection boots: the default when it boots Linux natively (the inspector
 * must not run under a hypervisor), else the first entry that does.
 */
export function inspectBase(cfg: string, menu: GrubMenu, def: MenuEntry | undefined): { entry: MenuEntry; body: string[]; isDefault: boolean } | undefined {
  const candidates = [...(def ? [def] : []), ...menu.entries.filter((e) => e !== def)];
  for (const e of candidates) {
    if (e.submenu || e.id === INSPECT_ENTRY_ID) continue;
    const body = entryBody(cfg, e.path);
    if (body && bootsLinux(body)) return { entry: e, body, isDefault: e === def };
  }
  return undefined;
}

/**
 * The entry's text: `body` with `params` appended to every `linux` line (each parameter once:
 * values already there are left alone).
 */
export function inspectEntryText(o: { title: string; body: readonly string[]; params: readonly string[] }): string {
  let linuxLines = 0;
  const body = o.body.map((line) => {
    const m = /^(\s*)(\S+)(\s.*)?$/.exec(line);
    if (!m || !LINUX_LOADERS.has(m[2]!)) return line;
    linuxLines++;
    const words = grubWords(line.trim());
    const add = o.params.filter((p) => !words.includes(p));
    return `${line.replace(/\s+$/, '')}${add.length ? ' ' + add.join(' ') : ''}`;
  });
  if (linuxLines === 0) throw new Error('the entry has no linux line to add the parameters to');
  return [`menuentry ${grubQuote(o.title)} --id ${grubQuote(INSPECT_ENTRY_ID)} {`, ...body, '}'].join('\n');
}

/** The /etc/grub.d script: a quoted here-document (update-grub copies it, expands nothing). */
export function inspectScript(entry: string, comment: readonly string[]): string {
  if (entry.split('\n').includes(HEREDOC_END)) throw new Error('internal: entry text contains the here-document end marker');
  return [
    '#!/bin/sh',
    '# acrn-nest board inspect: a one-shot entry (grub-reboot) with the kernel parameters ACRN\'s',
    '# board inspector needs. Removed by acrn-nest right after that boot; safe to delete (then run update-grub).',
    ...comment.map((c) => `# ${c.replace(/[\r\n]/g, ' ')}`),
    `cat <<'${HEREDOC_END}'`,
    entry,
    HEREDOC_END,
    '',
  ].join('\n');
}
