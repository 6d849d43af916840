/**
 * The extension's one settings reader (as rust-analyzer's editors/code/src/config.ts): every
 * `acrnNest.*` value is read here, per resource, and turned into hv-core's resolved settings
 * (`AcrnSettings`: absolute paths with `${workspaceFolder}`, `${userHome}`, `${env:…}` and `~`
 * expanded, defaults applied, targets validated). Nothing else reads settings by name.
 *
 * No `vscode` import: VS Code is behind `ConfigSource` (extension/vscodeConfig.ts), so the logic is
 * unit-tested without a window.
 */
import path from 'node:path';
import type { AcrnSettings, PathScope, RawSettings, ResolveOptions, TargetSettings } from '../hv-core/engine.js';
import { DEFAULT_RAW_SETTINGS, resolveSettingPath, resolveSettings } from '../hv-core/engine.js';
import type { ServerSettings } from '../language-server/protocol.js';
import { Settings } from './constants.js';

/** The part of VS Code's configuration API the extension uses (a fake in unit tests). */
export interface ConfigSource {
  /** The value of a full setting id (`acrnNest.boardFile`) for a resource (a file path), or undefined. */
  get<T>(key: string, resource?: string): T | undefined;
  /** The workspace folder holding a resource; without one (or outside every folder): the first folder. */
  workspaceFolder(resource?: string): string | undefined;
  /** Writes a setting (workspace scope). */
  update?(key: string, value: unknown): Thenable<void> | Promise<void>;
}

export class Config {
  constructor(
    private readonly source: ConfigSource,
    private readonly resolveOpts: ResolveOptions = {},
  ) {}

  /** The settings as written, for a resource. */
  raw(resource?: string): RawSettings {
    const g = <T>(k: string): T | undefined => this.source.get<T>(k, resource);
    return {
      acrnTree: g<string>(Settings.acrnTree),
      boardFile: g<string>(Settings.boardFile),
      maxFileSizeMB: g<number>(Settings.maxFileSizeMB),
      targets: g<unknown[]>(Settings.targets),
      defaultTarget: g<string>(Settings.defaultTarget),
      build: {
        host: g<string>(Settings.buildHost),
        hostAcrnTree: g<string>(Settings.buildHostAcrnTree),
        python: g<string>(Settings.buildPython),
        jobs: g<number>(Settings.buildJobs),
        makeVariables: g<string[]>(Settings.buildMakeVariables),
      },
    };
  }

  /** Where relative paths and `${workspaceFolder}` of a resource's settings resolve. */
  scope(resource?: string): PathScope {
    const folder = this.source.workspaceFolder(resource);
    return folder ? { workspaceFolder: folder } : { fallbackBase: resource ? path.dirname(resource) : undefined };
  }

  /** The resolved settings for a resource (a scenario's path) or the workspace. */
  settings(resource?: string): AcrnSettings {
    return resolveSettings(this.raw(resource), this.scope(resource), this.resolveOpts);
  }

  /** A path given for a resource (e.g. a task's "board") resolved like a path setting. */
  resolvePath(value: string | undefined, resource?: string): string | undefined {
    return resolveSettingPath(value, this.scope(resource));
  }

  /** What the language server reads (section `acrnNest`), with paths already resolved. */
  serverSettings(resource?: string): ServerSettings {
    // Without the targets: the server has no use for them (and resolving them reads ~/.ssh/config).
    const s = resolveSettings({ ...this.raw(resource), targets: [] }, this.scope(resource), this.resolveOpts);
    return { acrnTree: s.acrnTree ?? DEFAULT_RAW_SETTINGS.acrnTree, boardFile: s.boardFile ?? DEFAULT_RAW_SETTINGS.boardFile, maxFileSizeMB: s.limits.maxFileMB };
  }

  /** The target entries of settings (resolved), and one message per invalid entry. */
  targets(): { targets: TargetSettings[]; errors: string[] } {
    const s = this.settings();
    return { targets: s.targets, errors: s.targetErrors };
  }

  get defaultTarget(): string | undefined {
    return this.settings().defaultTarget;
  }

  /** Writes one acrnNest.* setting (workspace scope). */
  async set(key: string, value: unknown): Promise<void> {
    if (!this.source.update) throw new Error(`cannot write ${key} here`);
    await this.source.update(key, value);
  }

  async setDefaultTarget(name: string): Promise<void> {
    await this.source.update?.(Settings.defaultTarget, name);
  }

  /** Adds a target entry to acrnNest.targets, or replaces the entry of the same name. */
  async upsertTarget(entry: Record<string, unknown> & { name: string }): Promise<void> {
    const list = (this.source.get<unknown[]>(Settings.targets) ?? []).filter((t) => !(typeof t === 'object' && t !== null && (t as { name?: unknown }).name === entry.name));
    await this.source.update?.(Settings.targets, [...list, entry]);
  }

  /**
   * Makes a board XML the workspace's acrnNest.boardFile: written as `${workspaceFolder}/…` when
   * the file is inside the folder (portable with the workspace), else as the absolute path.
   */
  async setBoardFile(file: string): Promise<void> {
    await this.source.update?.(Settings.boardFile, boardFileSetting(file, this.source.workspaceFolder(file)));
  }
}

/** The value acrnNest.boardFile gets for a file (see Config.setBoardFile). */
export function boardFileSetting(file: string, folder: string | undefined): string {
  if (folder) {
    const rel = path.relative(folder, file);
    if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return `\${workspaceFolder}/${rel.split(path.sep).join('/')}`;
  }
  return file;
}
