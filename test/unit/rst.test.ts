import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { rstInline, rstToMarkdown } from '../../hv-core/rst';
import { acrnTree, needs } from './helpers';

test('inline literals, roles, links, emphasis', () => {
  assert.equal(rstInline('set ``SCHED_NOOP`` first'), 'set `SCHED_NOOP` first');
  assert.equal(rstInline('see :option:`hv.FEATURES.NVMX_ENABLED`'), 'see `hv.FEATURES.NVMX_ENABLED`');
  assert.equal(rstInline('Refer to :ref:`vuart_config`.'), 'Refer to *vuart config*.');
  assert.equal(rstInline(':ref:`the vUART guide <vuart_config>`'), '*the vUART guide*');
  assert.equal(rstInline('`White Paper <https://example.com/a(b).html>`_'), '[White Paper](https://example.com/a%28b%29.html)');
  assert.equal(rstInline('**scenario-based** and *launch*'), '**scenario-based** and *launch*');
  assert.equal(rstInline('Use the `ip a` command'), 'Use the `ip a` command');
  // Markdown metacharacters in plain text are escaped; identifiers with underscores are left readable.
  assert.equal(rstInline('2 * 3 < 4 and SOS_COM1_BASE'), '2 \\* 3 \\< 4 and SOS_COM1_BASE');
  assert.equal(rstInline('``a`b``'), '``a`b``');
});

test('paragraphs are joined, lists keep one item a line, continuation lines are folded', () => {
  const md = rstToMarkdown('First line\nsecond line.\n\n- ``0`` means none\n- ``GUEST_FLAG_RT`` specify that the VM\n  is real-time\n\nAfter.');
  assert.equal(md, 'First line second line.\n\n- `0` means none\n- `GUEST_FLAG_RT` specify that the VM is real-time\n\nAfter.');
  assert.equal(rstToMarkdown('* ``Debug`` enables\n* ``Release`` optimizes'), '- `Debug` enables\n- `Release` optimizes');
  assert.equal(rstToMarkdown('1. one\n2. two'), '1. one\n2. two');
});

test('literal blocks and code-block directives become fenced code', () => {
  assert.equal(rstToMarkdown('Example::\n\n    <vm id="0"/>\n    <x/>\n\nDone.'), 'Example:\n\n```\n<vm id="0"/>\n<x/>\n```\n\nDone.');
  assert.equal(rstToMarkdown('.. code-block:: bash\n\n   make BOARD=x\n'), '```bash\nmake BOARD=x\n```');
  assert.equal(rstToMarkdown('.. note:: Only in debug builds.'), '> **Note:** Only in debug builds.');
});

test('indentation from the XSD is removed', () => {
  assert.equal(rstToMarkdown('\n      Enable it.\n      Twice.\n    '), 'Enable it. Twice.');
});

test('every xs:documentation in the real v2.6 and v3.3 schemas converts without leftover roles', { skip: needs('v2.6', 'v3.3') }, () => {
  let n = 0;
  for (const tag of ['v2.6', 'v3.3'] as const) {
    const dir = path.join(acrnTree(tag), 'misc', 'config_tools', 'schema');
    for (const f of ['config.xsd', 'types.xsd', 'VMtypes.xsd']) {
      const xsd = readFileSync(path.join(dir, f), 'utf8');
      for (const m of xsd.matchAll(/<xs:documentation>([\s\S]*?)<\/xs:documentation>/g)) {
        const raw = m[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
        const md = rstToMarkdown(raw);
        n++;
        assert.doesNotMatch(md, /:(ref|option):`/, `${f}: ${raw}`);
        assert.doesNotMatch(md, /``\w[^`]*``/, `${f}: ${md}`);
      }
    }
  }
  assert.ok(n > 100, `only ${n} documentation strings found`);
});
