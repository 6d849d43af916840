/**
 * What consoles, L2 guests and the doctor need from an SSH connection to the Service VM (here,
 * beside the connection, so hv-core/l2 and hv-core/console both import it from below). The
 * implementation is hv-core/ssh-target's connection (ssh2, host keys verified); tests and the bench
 * can supply their own. Every command string handed to `exec`/`spawn` is built with `shq`.
 */
import type { Duplex, Readable } from 'node:stream';

export interface RemoteExecResult {
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
}

/** An exec channel: stdout on the readable side, stdin on the writable side. */
export type RemoteProcess = Duplex & { stderr: Readable };

export interface RemoteHost {
  /** For messages: "root@nuc:22". */
  readonly label: string;
  exec(command: string, opts?: { stdin?: string | Buffer; timeoutMs?: number }): Promise<RemoteExecResult>;
  spawn(command: string): Promise<RemoteProcess>;
  /** OpenSSH streamlocal forwarding (direct-streamlocal@openssh.com) to a Unix socket on the host. */
  openUnixSocket(path: string): Promise<Duplex>;
  /** True until the connection closes. */
  readonly alive: boolean;
  onClose(cb: (err?: Error) => void): void;
  close(): void;
}

/** Gives a live connection, making a new one when the last one dropped (board rebooted). */
export type HostProvider = () => Promise<RemoteHost>;
