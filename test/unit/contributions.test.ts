/**
 * package.json's contributions and extension/constants.ts name the same commands and settings,
 * exactly. Both sides are read, never listed here, so adding a command or a setting in one
 * place without the other fails this test.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Commands, PREFIX, Settings } from '../../extension/constants';
import { REPO } from './helpers';
import { DEFAULT_MAX_FILE_MB } from '../../hv-core/files';
import { DEFAULT_RAW_SETTINGS } from '../../hv-core/settings';
import { VERSION } from '../../hv-core/version';

interface CommandContribution {
  command: string;
  title?: string;
  category?: string;
}
interface SettingContribution {
  description?: string;
  markdownDescription?: string;
  default?: unknown;
  type?: string | string[];
}
interface Manifest {
  contributes?: {
    commands?: CommandContribution[];
    configuration?: { properties?: Record<string, SettingContribution> } | { properties?: Record<string, SettingContribution> }[];
  };
  activationEvents?: string[];
}

const manifest = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as Manifest;
const contributedCommands = manifest.contributes?.commands ?? [];
const configuration = manifest.contributes?.configuration;
const contributedSettings: Record<string, SettingContribution> = Object.assign({}, ...(Array.isArray(configuration) ? configuration : configuration ? [configuration] : []).map((c) => c.properties ?? {}));

const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

test('contributes.commands matches Commands in extension/constants.ts', () => {
  const ids = contributedCommands.map((c) => c.command);
  assert.deepEqual(sorted(ids), sorted(new Set(ids)), 'no command is contributed twice');
  assert.deepEqual(sorted(ids), sorted(Object.values(Commands)));
});

test('contributes.configuration properties match Settings in extension/constants.ts', () => {
  assert.deepEqual(sorted(Object.keys(contributedSettings)), sorted(Object.values(Settings)));
});

test('constants use one prefix and no id twice', () => {
  for (const id of [...Object.values(Commands), ...Object.values(Settings)]) {
    assert.ok(id.startsWith(`${PREFIX}.`), `${id} starts with ${PREFIX}.`);
  }
  assert.equal(new Set(Object.values(Commands)).size, Object.values(Commands).length, 'command ids are unique');
  assert.equal(new Set(Object.values(Settings)).size, Object.values(Settings).length, 'setting ids are unique');
});

test('every contributed command has a title and the acrn-nest category; every setting is documented with a default', () => {
  for (const c of contributedCommands) {
    assert.ok(c.title?.trim(), `${c.command} has a title`);
    assert.equal(c.category, 'acrn-nest', `${c.command} is in the acrn-nest category`);
  }
  for (const [id, s] of Object.entries(contributedSettings)) {
    assert.ok((s.markdownDescription ?? s.description)?.trim(), `${id} has a (markdown)description`);
    assert.ok('default' in s, `${id} has a default`);
  }
});

test('activation is never "*"', () => {
  assert.ok(!(manifest.activationEvents ?? []).includes('*'), 'activationEvents must not contain "*"');
});

test('the defaults package.json declares are the engine\'s (one source each): max file size, version', () => {
  assert.equal(contributedSettings[Settings.maxFileSizeMB]?.default, DEFAULT_MAX_FILE_MB);
  assert.equal(contributedSettings[Settings.acrnTree]?.default, DEFAULT_RAW_SETTINGS.acrnTree);
  assert.equal(contributedSettings[Settings.boardFile]?.default, DEFAULT_RAW_SETTINGS.boardFile);
  assert.equal(VERSION, (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version);
});
