/**
 * POSIX shell quoting. Every argument of every remote command goes through `shq`: the remote end
 * (OpenSSH) hands the command line to the user's login shell, so an unquoted file or VM name with
 * a space, a quote, `;`, `$()` or a newline would be split or executed.
 */

/** Quotes one argument for POSIX sh: `'...'` with each `'` written as `'\''`. Safe for any string. */
export function shq(arg: string): string {
  if (arg.includes('\0')) throw new Error('a shell argument cannot contain a NUL byte');
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Joins an argv into one POSIX command line, every word quoted. */
export function shJoin(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty command');
  return argv.map(shq).join(' ');
}

/**
 * Splits a command string from a target file (e.g. `"grub2-mkconfig -o /boot/grub2/grub.cfg"`)
 * into words the way sh would for a simple command: whitespace separates, '...' is literal,
 * "..." allows \\ \" \$ \` escapes, backslash escapes outside quotes. Anything that would make sh
 * do more than run one program (`;` `|` `&` `<` `>` `$` backtick, unquoted) is rejected, so a
 * configured command never smuggles a second one.
 */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      i++;
    } else if (c === "'") {
      const j = text.indexOf("'", i + 1);
      if (j < 0) throw new Error(`unterminated ' in command: ${text}`);
      cur += text.slice(i + 1, j);
      inWord = true;
      i = j + 1;
    } else if (c === '"') {
      i++;
      inWord = true;
      for (;;) {
        if (i >= text.length) throw new Error(`unterminated " in command: ${text}`);
        const d = text[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\' && i + 1 < text.length && '\\"$`\n'.includes(text[i + 1]!)) {
          cur += text[i + 1];
          i += 2;
        } else if (d === '$' || d === '`') {
          throw new Error(`command may not contain '${d}' (no expansions): ${text}`);
        } else {
          cur += d;
          i++;
        }
      }
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new Error(`trailing backslash in command: ${text}`);
      cur += text[i + 1];
      inWord = true;
      i += 2;
    } else if (';|&<>$`(){}*?[#~'.includes(c) && !(inWord && '#~'.includes(c))) {
      throw new Error(`command may only name a program and its arguments; '${c}' is not allowed: ${text}`);
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(cur);
  if (words.length === 0) throw new Error('empty command');
  return words;
}
