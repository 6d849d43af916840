/**
 * Schema defaults as ACRN's default populator computes them: `@default`, or for elements with
 * acrn:defaults + acrn:unique-among, the first (sorted) value of a Python list comprehension not
 * yet used among a node set.
 */
import type { ElementDecl } from './model.js';

/** Evaluates ACRN's acrn:defaults Python list comprehensions (the three forms its schemas use). */
export function pythonDefaults(src: string): string[] | undefined {
  const m = /^\s*\[\s*(hex\(i\)|f'([^']*)'|f"([^"]*)")\s+for\s+i\s+in\s+range\(([^)]*)\)\s*\]\s*$/.exec(src);
  if (!m) return undefined;
  const args = m[4]!.split(',').map((x) => Number(x.trim()));
  if (args.some((x) => !Number.isInteger(x))) return undefined;
  const [a, b, step] = args.length === 1 ? [0, args[0]!, 1] : [args[0]!, args[1]!, args[2] ?? 1];
  if (step === 0 || Math.abs((b - a) / step) > 4096) return undefined;
  const fmt = m[2] ?? m[3];
  const out: string[] = [];
  for (let i = a; step > 0 ? i < b : i > b; i += step) {
    if (fmt === undefined) out.push(`0x${i.toString(16)}`);
    else
      out.push(
        fmt.replace(/\{i(?::(0?)(\d*)([xXd]?))?\}/g, (_all, zero: string | undefined, width: string | undefined, kind: string | undefined) => {
          let v = kind === 'x' ? i.toString(16) : kind === 'X' ? i.toString(16).toUpperCase() : String(i);
          const w = Number(width || 0);
          if (v.length < w) v = (zero ? '0' : ' ').repeat(w - v.length) + v;
          return v;
        }),
      );
  }
  return out;
}

/** True when ACRN's populator can give the declaration a value (so its absence is not an error). */
export function hasPopulatedDefault(d: ElementDecl): boolean {
  return d.default !== undefined || (d.acrn?.defaults !== undefined && d.acrn.uniqueAmong !== undefined && pythonDefaults(d.acrn.defaults) !== undefined);
}

