/**
 * Finding the board file for a scenario when the user did not name one: the scenario's
 * `board="name"` attribute resolved next to the scenario or in an ACRN tree's data folder
 * (`misc/config_tools/data/<board>/<board>.xml`), else the one board XML in the scenario's folder.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const BOARD_HINT = /<(CPU_PROCESSOR_INFO|BIOS_INFO|processors)[\s>]/;

function isBoard(file: string): boolean {
  try {
    const head = readFileSync(file, 'utf8').slice(0, 200000);
    return head.includes('<acrn-config') && BOARD_HINT.test(head);
  } catch {
    return false;
  }
}

export function findBoardFile(scenarioPath: string, text: string, acrnTree?: string): string | undefined {
  const dir = path.dirname(scenarioPath);
  const m = /<acrn-config\b[^>]*\bboard\s*=\s*["']([^"']+)["']/.exec(text);
  const name = m?.[1];
  const candidates: string[] = [];
  if (name && /^[\w.-]+$/.test(name)) {
    candidates.push(path.join(dir, `${name}.xml`), path.join(dir, `${name}.board.xml`));
    if (acrnTree) candidates.push(path.join(acrnTree, 'misc', 'config_tools', 'data', name, `${name}.xml`));
  }
  for (const c of candidates) if (existsSync(c) && isBoard(c)) return c;
  let found: string[] = [];
  try {
    found = readdirSync(dir)
      .filter((n) => n.endsWith('.xml'))
      .map((n) => path.join(dir, n))
      .filter((p) => p !== path.resolve(scenarioPath) && isBoard(p));
  } catch {
    return undefined;
  }
  return found.length === 1 ? found[0] : undefined;
}
