/**
 * One base class for the errors front ends act on. `code` is stable (a front end maps it to an
 * action: "Open Setting", "Enter Sudo Password", …); the message is for people and may change.
 * Codes are `area/what`, e.g. `sudo/password-needed`, `hostkey/record-failed`, `nvmx/no-vm`.
 */
export class AcrnNestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AcrnNestError';
  }
}

/** The codes front ends act on (others are free-form `area/what` strings). */
export const ErrorCodes = {
  sudoPasswordNeeded: 'sudo/password-needed',
  hostKeyRecordFailed: 'hostkey/record-failed',
  hostKeyUnknown: 'hostkey/unknown',
  hostKeyChanged: 'hostkey/changed',
  noTarget: 'settings/no-target',
  unknownTarget: 'settings/unknown-target',
  badTargets: 'settings/bad-targets',
  noAcrnTree: 'tree/unset',
  noHostAcrnTree: 'tree/host-unset',
  noBoard: 'inputs/no-board',
} as const;

/**
 * The first stable code on the error or along its `cause` chain (a deploy step's error wraps the
 * SSH command's): undefined when none carries one.
 */
export function errorCode(e: unknown): string | undefined {
  const seen = new Set<unknown>();
  let cur: unknown = e;
  while (cur && typeof cur === 'object' && !seen.has(cur)) {
    seen.add(cur);
    const code = (cur as { code?: unknown }).code;
    if (cur instanceof AcrnNestError || (typeof code === 'string' && code.includes('/'))) return code as string;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}
