/**
 * hv-core/ssh-target: how acrn-nest reaches a board over SSH. No VS Code imports.
 *
 * Typical use (CLI and extension alike):
 * ```ts
 * const target = resolveTarget(loadTargetFile('nuc.json'));      // or parseTarget(settingsObject, 'settings')
 * const conn = await SshConnection.connect(target, {
 *   onUnknownHostKey: async (info) => askUser(info.fingerprint),   // false/absent -> UnknownHostKeyError
 *   sudoPassword,                                                  // only ever written to sudo's stdin
 *   signal,
 * });
 * const r = await conn.run(['sha256sum', '--', '/boot/acrn/acrn.bin'], { sudo: true });
 * await conn.upload(bytes, '/tmp/x', { onProgress });
 * conn.close();
 * ```
 * - `target.ts`: Target (the JSON target file), TARGET_DEFAULTS (Ubuntu), parseTarget/loadTargetFile
 *   (TargetError names field and file), ResolvedTarget.
 * - `resolve.ts`: resolveTarget (~/.ssh/config alias: HostName, User, Port, IdentityFile, ProxyJump),
 *   describeTarget ("user@host:port").
 * - `known-hosts.ts`: known_hosts parsing (hashed, [host]:port), checkHostKey, fingerprint, recordHostKey.
 * - `connection.ts`: SshConnection (exec/run/upload/channel/forward/closed) and its errors:
 *   UnknownHostKeyError (carries info.fingerprint), ChangedHostKeyError (always refused), ConnectError,
 *   ConnectionLostError, RemoteCommandError, AbortedError, TimeoutError.
 * - `quote.ts`: shq/shJoin (POSIX quoting of every remote argument), splitCommand (command strings
 *   from target files, no shell operators).
 */
export * from './target.js';
export * from './resolve.js';
export * from './known-hosts.js';
export * from './connection.js';
export * from './quote.js';
