/**
 * The XML snippets in snippets/ (contributed for language xml in package.json): each one,
 * expanded with its defaults and put into an official ACRN scenario of its dialect where a user
 * would put it, must validate with ACRN's own schema (acrn-nest's schema checker, tree from
 * ../shared/acrn-data) without a single error.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { analyzeText } from '../../hv-core/scenario/analyze';
import { REPO, acrnTree, type Tag, needs } from './helpers';

interface Snippet {
  prefix: string;
  body: string[];
  description: string;
}

const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { contributes: { snippets?: { language: string; path: string }[] } };

function snippets(): Map<string, Snippet> {
  const out = new Map<string, Snippet>();
  for (const s of pkg.contributes.snippets ?? []) {
    const file = JSON.parse(readFileSync(path.join(REPO, s.path), 'utf8')) as Record<string, Snippet>;
    for (const sn of Object.values(file)) out.set(sn.prefix, sn);
  }
  return out;
}

/** Expands a snippet body the way VS Code does when the user accepts every default. */
export function expand(body: string[], indent: string): string {
  let s = body.map((l, i) => (i === 0 ? '' : indent) + l.replace(/\t/g, '  ')).join('\n');
  // Choices take their first option, placeholders their default (innermost first), tabstops vanish.
  for (let guard = 0; guard < 20 && /\$\{\d+[:|]/.test(s); guard++) {
    s = s.replace(/\$\{\d+\|((?:\\.|[^|\\])*?)(?:,(?:\\.|[^|\\])*)*\|\}/g, (_m, first: string) => first);
    s = s.replace(/\$\{\d+:((?:\\.|[^{}\\])*)\}/g, (_m, def: string) => def);
  }
  s = s.replace(/\$\{\d+\}|\$\d+/g, '');
  return s.replace(/\\([$}\\,|])/g, '$1');
}

const DATA = (tag: Tag, f: string): string => path.join(acrnTree(tag), 'misc', 'config_tools', 'data', 'nuc11tnbi5', f);

/** Where each snippet goes: replace the first match of `replace`, or insert before `before`. */
const RECIPES: Record<string, { tag: Tag; file: string; replace?: RegExp; before?: string; indent: string }> = {
  'acrn-v2-vm': { tag: 'v2.6', file: 'industry.xml', before: '</acrn-config>', indent: '  ' },
  'acrn-v2-legacy-vuart': { tag: 'v2.6', file: 'industry.xml', replace: /<legacy_vuart id="1">[\s\S]*?<\/legacy_vuart>/, indent: '    ' },
  'acrn-v2-console-vuart': { tag: 'v2.6', file: 'industry.xml', replace: /<console_vuart id="0">[\s\S]*?<\/console_vuart>/, indent: '    ' },
  'acrn-v2-communication-vuart': { tag: 'v2.6', file: 'industry.xml', replace: /<communication_vuart id="1">[\s\S]*?<\/communication_vuart>/, indent: '    ' },
  'acrn-v2-features': { tag: 'v2.6', file: 'industry.xml', replace: /<FEATURES>[\s\S]*?<\/FEATURES>/, indent: '    ' },
  'acrn-v3-vm': { tag: 'v3.3', file: 'shared_launch_6user_vm.xml', before: '</acrn-config>', indent: '  ' },
  'acrn-v3-service-vm': { tag: 'v3.3', file: 'shared_launch_6user_vm.xml', replace: /<vm id="0">[\s\S]*?<\/vm>/, indent: '  ' },
  'acrn-v3-console-vuart': { tag: 'v3.3', file: 'shared_launch_6user_vm.xml', replace: /<console_vuart>COM Port 1<\/console_vuart>/, indent: '    ' },
  'acrn-v3-vuart-connection': { tag: 'v3.3', file: 'shared_launch_6user_vm.xml', before: '</vuart_connections>', indent: '      ' },
  'acrn-v3-features': { tag: 'v3.3', file: 'shared_launch_6user_vm.xml', replace: /<FEATURES>[\s\S]*?<\/FEATURES>/, indent: '    ' },
};

function errorsOf(text: string, tag: Tag): string[] {
  return analyzeText(text, { acrnTree: acrnTree(tag) })
    .findings.filter((f) => f.severity === 'error')
    .map((f) => `${f.code}: ${f.message}`);
}

test('package.json contributes the snippet files for xml; every snippet is named acrn-v2-* or acrn-v3-*', () => {
  const contributed = pkg.contributes.snippets ?? [];
  assert.ok(contributed.length >= 2);
  for (const s of contributed) assert.equal(s.language, 'xml');
  const all = snippets();
  for (const prefix of all.keys()) assert.match(prefix, /^acrn-v[23]-[a-z-]+$/);
  for (const want of ['acrn-v2-vm', 'acrn-v3-vm', 'acrn-v2-features', 'acrn-v3-features', 'acrn-v2-legacy-vuart', 'acrn-v2-console-vuart', 'acrn-v2-communication-vuart', 'acrn-v3-console-vuart', 'acrn-v3-vuart-connection'])
    assert.ok(all.has(want), `missing snippet ${want}`);
  assert.deepEqual([...all.keys()].sort(), Object.keys(RECIPES).sort(), 'every snippet has a validation recipe below');
});

test('expand() resolves choices, placeholders and escapes like VS Code', () => {
  assert.equal(expand(['<a id="${1:8}">${2|x,y|}</a>', '\t<b>$3\\$</b>$0'], '  '), '<a id="8">x</a>\n    <b>$</b>');
});

for (const [prefix, r] of Object.entries(RECIPES)) {
  test(`snippet ${prefix}, expanded with its defaults in ${r.tag}/${r.file}, validates with ACRN's ${r.tag} schema`, { skip: needs(r.tag) }, () => {
    const sn = snippets().get(prefix);
    assert.ok(sn, `no snippet ${prefix}`);
    const base = readFileSync(DATA(r.tag, r.file), 'utf8');
    assert.deepEqual(errorsOf(base, r.tag), [], 'the official scenario itself is clean');
    const body = expand(sn.body, r.indent);
    let text: string;
    if (r.replace) {
      assert.ok(r.replace.test(base), `${r.replace} not in ${r.file}`);
      text = base.replace(r.replace, () => body);
    } else {
      // On a line of its own, before the closing tag, at the indentation of its siblings.
      const i = base.lastIndexOf(r.before!);
      text = `${base.slice(0, i)}${r.indent.slice(2)}${body}\n${base.slice(i)}`;
    }
    assert.ok(text.includes(body), 'the expanded snippet is in the scenario');
    assert.deepEqual(errorsOf(text, r.tag), []);
  });
}
