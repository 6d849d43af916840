/**
 * The language client: started lazily, the first time an ACRN file is open, and restarted at
 * most 5 times in 10 minutes after crashes (then the user is told and can restart by command).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CloseHandlerResult, ErrorHandlerResult, LanguageClientOptions, Message, ServerOptions } from 'vscode-languageclient/node';
import { CloseAction, ErrorAction, LanguageClient, TransportKind } from 'vscode-languageclient/node';
import { SETTINGS_SECTION, isAcrnText } from '../hv-core/engine.js';
import type { DocumentInfo } from '../language-server/protocol.js';
import { DocumentInfoNotification } from '../language-server/protocol.js';
import type { Config } from './config.js';

const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 10 * 60 * 1000;

export class ServerHandle implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<LanguageClient> | undefined;
  private readonly crashes: number[] = [];
  private readonly infoEmitter = new vscode.EventEmitter<DocumentInfo>();
  readonly onDocumentInfo = this.infoEmitter.event;
  readonly infos = new Map<string, DocumentInfo>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly config: Config,
  ) {}

  get running(): LanguageClient | undefined {
    return this.client?.isRunning() ? this.client : undefined;
  }

  /** Starts the server once; later calls share the same start. */
  start(): Promise<LanguageClient> {
    this.starting ??= this.create().catch((e: unknown) => {
      this.starting = undefined;
      throw e;
    });
    return this.starting;
  }

  async restart(): Promise<void> {
    this.crashes.length = 0;
    // A start under way finishes first: the language client refuses to stop while it is starting
    // ("Client is not running and can't be stopped. It's current state is: starting").
    if (this.starting) await this.starting.catch(() => undefined);
    if (this.client) {
      await this.client.restart();
    } else {
      await this.start();
    }
  }

  private async create(): Promise<LanguageClient> {
    const module = this.context.asAbsolutePath(path.join('dist', 'server.js'));
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: 'file', language: 'xml' },
        { scheme: 'untitled', language: 'xml' },
      ],
      synchronize: { configurationSection: SETTINGS_SECTION },
      outputChannel: this.log,
      // The server gets settings with paths already resolved (${workspaceFolder}, ~, relative),
      // by the same Config every other part of the extension reads.
      initializationOptions: this.config.serverSettings(),
      middleware: {
        workspace: {
          // Only the acrnNest section is the server's; anything else is answered as VS Code would.
          configuration: (params, token, next) =>
            params.items.every((item) => item.section === SETTINGS_SECTION)
              ? params.items.map((item) => this.config.serverSettings(item.scopeUri ? vscode.Uri.parse(item.scopeUri).fsPath : undefined))
              : next(params, token),
        },
      },
      errorHandler: {
        error: (error: Error, _message: Message | undefined, count: number | undefined): ErrorHandlerResult => {
          this.log.error(`language server connection error: ${error.message}`);
          return { action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown };
        },
        closed: (): CloseHandlerResult => {
          const now = Date.now();
          this.crashes.push(now);
          while (this.crashes.length && now - this.crashes[0]! > RESTART_WINDOW_MS) this.crashes.shift();
          if (this.crashes.length > MAX_RESTARTS) {
            return { action: CloseAction.DoNotRestart, message: `The acrn-nest language server crashed ${this.crashes.length} times in the last 10 minutes and will not be restarted. See the acrn-nest log; run "acrn-nest: Restart Language Server" to try again.` };
          }
          this.log.warn('language server stopped; restarting');
          return { action: CloseAction.Restart };
        },
      },
    };
    const client = new LanguageClient('acrnNest', 'acrn-nest language server', serverOptions, clientOptions);
    this.client = client;
    this.context.subscriptions.push(
      client.onNotification(DocumentInfoNotification.type, (info) => {
        this.infos.set(info.uri, info);
        this.infoEmitter.fire(info);
      }),
    );
    await client.start();
    this.log.info('language server started');
    return client;
  }

  dispose(): void {
    this.infoEmitter.dispose();
    void this.client?.stop();
  }
}

/** Cheap check on an open document: could this be an ACRN file? Avoids starting the server for other XML. */
export function mightBeAcrn(doc: vscode.TextDocument): boolean {
  return doc.languageId === 'xml' && isAcrnText(doc.getText());
}
