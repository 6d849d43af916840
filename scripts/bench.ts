/**
 * `npm run bench`: every speed and memory figure acrn-nest promises, measured side by side with
 * its baseline in one run, printed as a table per section. Each section is a module in
 * scripts/bench/ exporting `title` and `run(report)`; run one with `npm run bench -- NAME`.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';

export interface BenchRow {
  figure: string;
  value: string;
  /** The baseline it is compared with, and the ratio or target. */
  baseline?: string;
  ratio?: string;
  target?: string;
  ok?: boolean;
}

export type Report = (row: BenchRow) => void;

export interface BenchSection {
  title: string;
  run(report: Report): Promise<void>;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const dir = path.join(__dirname, 'bench');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts')).sort();
  let failed = 0;
  for (const f of files) {
    const name = f.replace(/\.ts$/, '');
    if (only.length && !only.includes(name)) continue;
    const mod = (await import(path.join(dir, f))) as BenchSection;
    console.log(`\n## ${mod.title} (${name})`);
    const rows: BenchRow[] = [];
    try {
      await mod.run((r) => {
        rows.push(r);
        const mark = r.ok === undefined ? '' : r.ok ? '  ok' : '  MISSED';
        console.log(`  ${r.figure.padEnd(58)} ${r.value.padStart(14)}${r.baseline ? `   vs ${r.baseline}` : ''}${r.ratio ? `   ratio ${r.ratio}` : ''}${r.target ? `   (target ${r.target})` : ''}${mark}`);
      });
    } catch (e) {
      failed++;
      console.log(`  section failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }
  if (failed) process.exitCode = 1;
}

if (require.main === module) void main();
