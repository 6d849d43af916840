/**
 * The hosts of an OpenSSH client config, as Remote-SSH lists them: every `Host` pattern that names
 * one host (no `*`, `?` or `!`), in file order, once each. `Match` blocks are not hosts.
 */
export function sshConfigHosts(configText: string): string[] {
  const out: string[] = [];
  for (const raw of configText.split(/\r?\n/)) {
    const line = raw.replace(/#.*/, '').trim();
    const m = /^host(?:\s*=\s*|\s+)(.+)$/i.exec(line);
    if (!m) continue;
    for (const word of m[1]!.split(/\s+/)) {
      const name = word.replace(/^"(.*)"$/, '$1');
      if (!name || /[*?!]/.test(name) || out.includes(name)) continue;
      out.push(name);
    }
  }
  return out;
}
