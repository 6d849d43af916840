/** Builds lint's start-up snapshot in its own process (startup.ts `buildSnapshot`). */
import { buildSnapshotNow } from './startup.js';

void buildSnapshotNow(process.env, __dirname).then((code) => {
  process.exitCode = code;
});
