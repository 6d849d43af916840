/**
 * reStructuredText -> Markdown, for the subset ACRN's schemas use in xs:documentation: inline
 * literals (``x``), roles (:option:`x`, :ref:`y`, :ref:`text <target>`), hyperlinks
 * (`text <url>`_), emphasis and strong emphasis, bullet and enumerated lists (with continuation
 * lines), literal blocks (`::` paragraphs and `.. code-block::`), and paragraphs hard-wrapped in
 * the XSD. Anything else passes through as text, with the characters Markdown would misread
 * escaped. Pure and fast: hover calls it on every request.
 */

/** Removes the common leading indentation and surrounding blank lines. */
export function dedent(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').replace(/\t/g, '    ').split('\n');
  // The first line often starts right after <xs:documentation> with no indent: ignore it for the minimum.
  // ... unless it opens a block whose body is indented relative to it (a directive, a `::` paragraph).
  const first = lines[0]?.trim() ?? '';
  const skipFirst = !(/^\.\.\s/.test(first) || first.endsWith('::'));
  let min = Infinity;
  lines.forEach((l, i) => {
    if ((i === 0 && skipFirst) || l.trim() === '') return;
    min = Math.min(min, l.length - l.trimStart().length);
  });
  if (!Number.isFinite(min)) min = 0;
  const out = lines.map((l, i) => (i === 0 ? l.trimStart() : l.slice(Math.min(min, l.length - l.trimStart().length))));
  while (out.length && out[0]!.trim() === '') out.shift();
  while (out.length && out[out.length - 1]!.trim() === '') out.pop();
  return out.join('\n');
}

/** Markdown-escapes plain text (not inside code). */
function escapeText(s: string): string {
  return s.replace(/([\\`*[\]<>#|])/g, '\\$1').replace(/(^|\s)_(?=\S)/g, '$1\\_');
}

const INLINE = new RegExp(
  [
    /``(.+?)``/.source, // 1: inline literal
    /:([\w-]+):`([^`]+)`/.source, // 2,3: role
    /`([^`<]+?)\s*<([^`>]+)>`__?/.source, // 4,5: hyperlink with target
    /`([^`]+)`_{1,2}/.source, // 6: named reference without target
    /`([^`]+)`/.source, // 7: default role (interpreted text)
    /\*\*(\S(?:.*?\S)?)\*\*/.source, // 8: strong
    /\*(\S(?:[^*]*?\S)?)\*/.source, // 9: emphasis
  ].join('|'),
  'g',
);

function code(s: string): string {
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(longest + 1);
  const pad = s.startsWith('`') || s.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${s}${pad}${fence}`;
}

/** Converts the inline markup of one paragraph. */
export function rstInline(text: string): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    out += escapeText(text.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[1] !== undefined) out += code(m[1]);
    else if (m[2] !== undefined) {
      const role = m[2];
      const body = m[3]!;
      const titled = /^(.*?)\s*<([^>]+)>$/.exec(body);
      if (role === 'ref' || role === 'doc') {
        // Cross-references into ACRN's documentation: show the title (or the label) in italics.
        const label = titled ? titled[1]! : body;
        out += `*${escapeText(label.replace(/[_-]/g, (c) => (c === '_' ? ' ' : c)).trim())}*`;
      } else if (role === 'option' || role === 'envvar' || role === 'file' || role === 'command' || role === 'code' || role === 'samp' || role === 'kbd') {
        out += code(titled ? titled[1]! : body);
      } else if (role === 'emphasis') out += `*${escapeText(body)}*`;
      else if (role === 'strong') out += `**${escapeText(body)}**`;
      else out += code(body);
    } else if (m[4] !== undefined) {
      const url = m[5]!.trim();
      out += /^(https?|mailto):/.test(url) ? `[${escapeText(m[4].trim())}](${url.replace(/\(/g, '%28').replace(/\)/g, '%29')})` : escapeText(m[4].trim());
    } else if (m[6] !== undefined) out += escapeText(m[6]);
    else if (m[7] !== undefined) out += code(m[7]);
    else if (m[8] !== undefined) out += `**${escapeText(m[8])}**`;
    else if (m[9] !== undefined) out += `*${escapeText(m[9])}*`;
  }
  out += escapeText(text.slice(last));
  return out;
}

const BULLET = /^([-*+•])\s+(.*)$/;
const ENUM = /^(\d+|[a-zA-Z]|#)([.)])\s+(.*)$/;

function indentOf(l: string): number {
  return l.length - l.trimStart().length;
}

/**
 * Converts a reStructuredText fragment (one xs:documentation) to Markdown. Paragraphs are joined
 * into single lines (Markdown reflows anyway); lists keep one item per line; literal blocks
 * become fenced code blocks.
 */
export function rstToMarkdown(rst: string): string {
  const lines = dedent(rst).split('\n');
  const blocks: string[] = [];
  let i = 0;
  let literalNext = false;

  const readIndented = (from: number, minIndent: number): { body: string[]; next: number } => {
    const body: string[] = [];
    let j = from;
    while (j < lines.length) {
      const l = lines[j]!;
      if (l.trim() === '') {
        body.push('');
        j++;
        continue;
      }
      if (indentOf(l) < minIndent) break;
      body.push(l);
      j++;
    }
    while (body.length && body[body.length - 1] === '') {
      body.pop();
      j--;
    }
    const min = Math.min(...body.filter((b) => b.trim() !== '').map(indentOf));
    return { body: body.map((b) => b.slice(Math.min(min, b.length))), next: j };
  };

  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '') {
      i++;
      continue;
    }
    const indent = indentOf(line);
    const trimmed = line.trim();

    // Literal block after a paragraph ending in '::'.
    if (literalNext && indent > 0) {
      const { body, next } = readIndented(i, 1);
      blocks.push('```\n' + body.join('\n') + '\n```');
      i = next;
      literalNext = false;
      continue;
    }
    literalNext = false;

    // Directives: code blocks keep their content; notes become quotes; others are dropped.
    const dir = /^\.\.\s+([\w-]+)::\s*(.*)$/.exec(trimmed);
    if (dir) {
      const name = dir[1]!;
      const { body, next } = readIndented(i + 1, indent + 1);
      const content = body.filter((b, k) => !(k === 0 && /^:[\w-]+:/.test(b.trim())));
      if (name === 'code-block' || name === 'code' || name === 'sourcecode') {
        blocks.push('```' + (dir[2] ?? '').trim() + '\n' + content.join('\n').replace(/^\n+/, '') + '\n```');
      } else if (name === 'note' || name === 'warning' || name === 'important' || name === 'tip' || name === 'caution') {
        const text = [dir[2] ?? '', ...content].join(' ').replace(/\s+/g, ' ').trim();
        blocks.push(`> **${name[0]!.toUpperCase()}${name.slice(1)}:** ${rstInline(text)}`);
      }
      i = next;
      continue;
    }
    if (/^\.\.(\s|$)/.test(trimmed)) {
      // Comment or link target: skip it and its indented body.
      const { next } = readIndented(i + 1, indent + 1);
      i = next;
      continue;
    }

    // Lists: one item per line, continuation lines joined, nested items indented.
    const bullet = BULLET.exec(trimmed);
    const num = bullet ? null : ENUM.exec(trimmed);
    if (bullet || (num && (i + 1 >= lines.length || lines[i + 1]!.trim() === '' || ENUM.test(lines[i + 1]!.trim()) || indentOf(lines[i + 1]!) > indent))) {
      const items: string[] = [];
      let j = i;
      let n = 1;
      while (j < lines.length) {
        const l = lines[j]!;
        if (l.trim() === '') {
          // A blank line inside a list continues it only if the next line is another item.
          const k = lines.slice(j).findIndex((x) => x.trim() !== '');
          if (k < 0) break;
          const nxt = lines[j + k]!;
          if (indentOf(nxt) === indent && (bullet ? BULLET.test(nxt.trim()) : ENUM.test(nxt.trim()))) {
            j += k;
            continue;
          }
          if (indentOf(nxt) > indent) {
            j += k;
            continue;
          }
          break;
        }
        const li = indentOf(l);
        const t = l.trim();
        const bm = bullet ? BULLET.exec(t) : ENUM.exec(t);
        if (li === indent && bm) {
          const text = bullet ? bm[2]! : bm[3]!;
          items.push(`${bullet ? '-' : `${n++}.`} ${text}`);
        } else if (li > indent && items.length) {
          const nested = BULLET.exec(t);
          if (nested && li >= indent + 2) items.push(`   - ${nested[2]!}`);
          else items[items.length - 1] += ' ' + t;
        } else break;
        j++;
      }
      blocks.push(
        items
          .map((it) => {
            const m = /^(\s*(?:-|\d+\.)\s)(.*)$/.exec(it)!;
            return m[1]! + rstInline(m[2]!);
          })
          .join('\n'),
      );
      i = j;
      continue;
    }

    // A paragraph: lines at the same indentation until a blank line or a list starts.
    const para: string[] = [];
    let j = i;
    while (j < lines.length) {
      const l = lines[j]!;
      if (l.trim() === '') break;
      if (j > i && (BULLET.test(l.trim()) || /^\.\.\s/.test(l.trim()))) break;
      if (j > i && indentOf(l) > indent && para[para.length - 1]?.endsWith('::')) break;
      para.push(l.trim());
      j++;
    }
    // Section underlines (=====, -----) after a title line: render the title in bold.
    if (para.length === 2 && /^([=\-~^"'`#*+])\1{2,}$/.test(para[1]!)) {
      blocks.push(`**${rstInline(para[0]!)}**`);
      i = j;
      continue;
    }
    let text = para.join(' ');
    if (text.endsWith('::')) {
      literalNext = true;
      // "Example::" -> "Example:"; a lone "::" disappears.
      text = /\s::$/.test(text) || text === '::' ? text.replace(/\s*::$/, '') : text.slice(0, -1);
    }
    if (indent > 0 && !literalNext) blocks.push('> ' + rstInline(text));
    else if (text) blocks.push(rstInline(text));
    i = j;
  }
  return blocks.join('\n\n');
}
