/**
 * Issue 11 defect 5: listing L1 VMs must never type into the console the user has open. vm_list
 * goes over a session of its own (a second TCP client); a source that takes one session only is
 * not written to at all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { ConsoleSession } from '../../hv-core/console/session';
import { TcpSource } from '../../hv-core/console/tcp';
import type { ConsoleSource } from '../../hv-core/console/source';
import { vmListOwnSession } from '../../hv-core/console/vmList';

test('vm_list runs in its own TCP session; the user\'s session receives nothing it did not type', async () => {
  const received: string[] = [];
  const srv = net.createServer((sock) => {
    const i = received.push('') - 1;
    sock.write('ACRN:\\>');
    sock.on('data', (d) => {
      received[i] += d.toString();
      if (d.toString().includes('vm_list')) sock.write('\r\nVM_ID    VM_NAME                          VM_STATE\r\n=====    =======                          ========\r\n0        ACRN_Service_VM                  Running\r\nACRN:\\>');
    });
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  const user = new ConsoleSession(new TcpSource({ host: '127.0.0.1', port }), { reconnect: false });
  try {
    await user.start();
    const shown: string[] = [];
    user.on('data', (d) => shown.push(d.toString()));
    const r = await vmListOwnSession(new TcpSource({ host: '127.0.0.1', port }), 5000);
    assert.deepEqual(r, { ok: true, vms: [{ id: 0, name: 'ACRN_Service_VM', state: 'Running' }] });
    assert.equal(received.length, 2, 'a second connection was made');
    assert.equal(received[0], '', 'nothing was typed into the user\'s session');
    assert.match(received[1]!, /vm_list/);
    assert.ok(!shown.join('').includes('VM_NAME'), 'the user\'s console shows no vm_list output');
  } finally {
    await user.close();
    srv.close();
  }
});

test('a console that takes one session only (serial): nothing is sent, the reason says what to do', async () => {
  let opened = 0;
  const serial: ConsoleSource = { kind: 'serial', label: '/dev/ttyUSB0', readOnly: false, connect: () => { opened++; return Promise.reject(new Error('must not open')); } };
  const r = await vmListOwnSession(serial);
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.why : '', /type vm_list in the hypervisor console/);
  assert.equal(opened, 0);
});
