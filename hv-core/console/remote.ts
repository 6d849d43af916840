/**
 * The consoles' name for hv-core/target/remoteHost.ts (what consoles, L2 guests and the doctor
 * need from an SSH connection to the Service VM), re-exported for existing importers.
 */
export type { HostProvider, RemoteExecResult, RemoteHost, RemoteProcess } from '../target/remoteHost.js';
