/** acrn-nest's version, from package.json (the one place it is written; bundles inline it). */
import { version } from '../package.json';

export const VERSION: string = version;
