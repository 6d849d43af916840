/**
 * What a plain reboot boots, read the way GRUB reads it: the menu of grub.cfg (as grub-mkconfig
 * writes it) and the environment block (grubenv).
 *
 * grub-mkconfig's 00_header sets `default` to `${next_entry}` when grub-reboot set one (a one-shot
 * boot, whatever GRUB_DEFAULT is), else to GRUB_DEFAULT: a number (the n-th top-level entry), a
 * path "2>0" into submenus, a title or an id, or `${saved_entry}` when GRUB_DEFAULT=saved (then
 * grub-set-default decides). An entry GRUB cannot find falls back to the first one. So
 * `grub-set-default` changes what boots only with GRUB_DEFAULT=saved: on Ubuntu's GRUB_DEFAULT=0,
 * or ACRN's grub-acrn `GRUB_DEFAULT="<OS> with ACRN hypervisor"`, it is a no-op.
 */

export interface MenuEntry {
  title: string;
  id: string | undefined;
  /** Top-level index path, e.g. [2, 0] for the first entry of the third item's submenu. */
  path: number[];
  /** The image the entry loads first (multiboot2 / multiboot / linux / chainloader), as written. */
  image: string | undefined;
  /** Every file the entry loads (image and modules/initrd), as written. */
  files: string[];
  submenu: boolean;
}

export interface GrubMenu {
  entries: MenuEntry[];
  /**
   * The `set default=` of 00_header's else-branch: `${saved_entry}` for GRUB_DEFAULT=saved,
   * else GRUB_DEFAULT's value; undefined when grub.cfg sets none (GRUB then boots entry 0).
   */
  defaultExpr: string | undefined;
}

/** GRUB's words of one line (sh-like quoting: '…' literal, "…" with \ escapes). */
export function grubWords(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const j = line.indexOf("'", i + 1);
      cur += line.slice(i + 1, j < 0 ? line.length : j);
      has = true;
      i = j < 0 ? line.length : j;
    } else if (c === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length) i++;
        cur += line[i];
        i++;
      }
      has = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      has = true;
    } else if (c === ' ' || c === '\t') {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else if (c === '#' && !has) {
      break;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) out.push(cur);
  return out;
}

const LOADERS = new Set(['multiboot2', 'multiboot', 'linux', 'linuxefi', 'chainloader', 'module2', 'module', 'initrd', 'initrdefi']);

/** The menu of a grub.cfg: entries with title, id and the files they load; the default expression. */
export function parseGrubCfg(text: string): GrubMenu {
  const entries: MenuEntry[] = [];
  const stack: { entry: MenuEntry | undefined; counter: number }[] = [{ entry: undefined, counter: 0 }];
  let defaultExpr: string | undefined;
  for (const raw of text.split('\n')) {
    const w = grubWords(raw.trim());
    if (w.length === 0) continue;
    const top = stack[stack.length - 1]!;
    if (w[0] === 'menuentry' || w[0] === 'submenu') {
      const idIdx = w.findIndex((x, i) => i > 1 && (x === '--id' || x === '$menuentry_id_option' || x === '${menuentry_id_option}'));
      const parentPath = stack.length > 1 ? stack[stack.length - 1]!.entry!.path : [];
      const e: MenuEntry = { title: w[1] ?? '', id: idIdx > 0 ? w[idIdx + 1] : undefined, path: [...parentPath, top.counter++], image: undefined, files: [], submenu: w[0] === 'submenu' };
      entries.push(e);
      if (raw.trimEnd().endsWith('{')) stack.push({ entry: e, counter: 0 });
      continue;
    }
    if (w[0] === '}' && stack.length > 1) {
      stack.pop();
      continue;
    }
    const cur = top.entry;
    if (cur && !cur.submenu && LOADERS.has(w[0]!)) {
      const file = w.slice(1).find((x) => !x.startsWith('--'));
      if (file) {
        cur.files.push(file);
        if (cur.image === undefined && !['module2', 'module', 'initrd', 'initrdefi'].includes(w[0]!)) cur.image = file;
      }
      continue;
    }
    if (!cur && w[0] === 'set' && w[1]?.startsWith('default=')) {
      const v = w[1].slice('default='.length);
      if (v !== '${next_entry}') defaultExpr = v;
    }
  }
  return { entries, defaultExpr };
}

/** grubenv's variables (`grub-editenv - list` output, or the file itself). */
export function parseGrubEnv(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const i = line.indexOf('=');
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

/** Finds the entry an expression names: index path ("2>0"), title or id at each level. */
export function findEntry(menu: GrubMenu, expr: string): MenuEntry | undefined {
  const parts = expr.split('>');
  let level: number[] = [];
  let found: MenuEntry | undefined;
  for (const p of parts) {
    const siblings = menu.entries.filter((e) => e.path.length === level.length + 1 && level.every((x, i) => e.path[i] === x));
    found = /^\d+$/.test(p) ? siblings.find((e) => e.path[level.length] === Number(p)) : siblings.find((e) => e.title === p || e.id === p);
    if (!found) return undefined;
    level = found.path;
  }
  return found;
}

export interface DefaultBoot {
  /** What a plain reboot boots (GRUB's entry 0 when the default names nothing that exists). */
  entry: MenuEntry | undefined;
  /** True when GRUB_DEFAULT=saved (grub-set-default decides). */
  savedMode: boolean;
  /** The expression GRUB resolves (after substituting saved_entry). */
  expr: string;
  /** A one-shot entry set by grub-reboot, booted once before the default. */
  nextEntry: string | undefined;
  /** The default named an entry that does not exist: GRUB boots entry 0 instead. */
  fellBack: boolean;
}

export function defaultBoot(menu: GrubMenu, env: Map<string, string>): DefaultBoot {
  const savedMode = menu.defaultExpr === '${saved_entry}';
  let expr = savedMode ? env.get('saved_entry') ?? '' : menu.defaultExpr ?? '0';
  if (expr === '') expr = '0';
  const named = findEntry(menu, expr);
  const entry = named ?? findEntry(menu, '0');
  const next = env.get('next_entry');
  return { entry: entry && entry.submenu ? menu.entries.find((e) => e.path.length === entry.path.length + 1 && e.path[0] === entry.path[0]) : entry, savedMode, expr, nextEntry: next ? next : undefined, fellBack: !named };
}

/** The name to give grub-set-default for an entry: its id, else its title path. */
export function entryRef(menu: GrubMenu, e: MenuEntry): string {
  if (e.id) return e.id;
  const titles: string[] = [];
  for (let i = 1; i <= e.path.length; i++) {
    const p = e.path.slice(0, i);
    titles.push(menu.entries.find((x) => x.path.length === p.length && x.path.every((v, j) => v === p[j]))?.title ?? String(p[p.length - 1]));
  }
  return titles.join('>');
}

/** Does an entry load this board path (GRUB paths are relative to the partition `search` picked)? */
export function entryLoads(e: MenuEntry, absPath: string, grubPath: string): boolean {
  return e.files.some((f) => {
    const p = f.replace(/^\([^)]*\)/, '');
    return p === absPath || p === grubPath;
  });
}

/** grub-acrn's 25_linux_acrn lists every /boot/acrn*.bin (and acrn*.out): would it list this file? */
export function grubAcrnWouldList(absPath: string): boolean {
  return /^\/boot\/acrn[^/]*\.(bin|out)$/.test(absPath);
}
