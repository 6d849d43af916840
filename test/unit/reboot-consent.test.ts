/**
 * Issue 11 defect 6: Build and Deploy asks before it reboots a board (modal, with "Don't ask again
 * for this target"). The decision is a plain module; the modal itself is in the e2e build test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyRebootChoice, mustAskBeforeReboot, NO_REBOOT, REBOOT, REBOOT_ALWAYS, REBOOT_CHOICES, rebootQuestion } from '../../extension/rebootConsent';

function memento(): { get<T>(k: string): T | undefined; update(k: string, v: unknown): Promise<void> } {
  const m = new Map<string, unknown>();
  return { get: <T>(k: string) => m.get(k) as T | undefined, update: (k, v) => Promise.resolve(void m.set(k, v)) };
}

test('a deploy asks before rebooting; "don\'t ask again" holds for that target only', async () => {
  const store = memento();
  const nuc = { name: 'nuc', user: 'acrn', host: '10.0.0.5', port: 22 };
  assert.equal(mustAskBeforeReboot(store, nuc), true, 'a fresh profile asks');
  assert.match(rebootQuestion(nuc), /Deploy to nuc \(acrn@10\.0\.0\.5:22\) reboots the board/);
  assert.deepEqual([...REBOOT_CHOICES], [REBOOT, REBOOT_ALWAYS, NO_REBOOT]);
  assert.deepEqual(await applyRebootChoice(store, nuc, undefined), { proceed: false, noReboot: false }, 'Cancel / Escape stops');
  assert.deepEqual(await applyRebootChoice(store, nuc, REBOOT), { proceed: true, noReboot: false });
  assert.equal(mustAskBeforeReboot(store, nuc), true, 'Reboot once: asked again next time');
  assert.deepEqual(await applyRebootChoice(store, nuc, NO_REBOOT), { proceed: true, noReboot: true });
  assert.deepEqual(await applyRebootChoice(store, nuc, REBOOT_ALWAYS), { proceed: true, noReboot: false });
  assert.equal(mustAskBeforeReboot(store, nuc), false);
  const renamed = { ...nuc, name: 'renamed' };
  assert.equal(mustAskBeforeReboot(store, renamed), false, 'same board, new name: not asked');
  assert.equal(mustAskBeforeReboot(store, { ...nuc, host: '10.0.0.6' }), true, 'another board: asked');
});
