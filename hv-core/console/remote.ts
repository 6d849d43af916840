/**
 * The consoles' name for hv-core/ssh-target/remoteHost.ts (what consoles, L2 guests and the doctor
 * need from an SSH connection to the Service VM), re-exported for existing importers.
 */
export type { HostProvider, RemoteExecResult, RemoteHost, RemoteProcess } from '../ssh-target/remoteHost.js';
