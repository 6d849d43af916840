/**
 * Runs inside a downloaded VS Code (@vscode/test-cli, `npm run test:vscode`; mocha TDD ui), with
 * the extension loaded from the repository. Not run on machines that cannot download VS Code:
 * the same behaviour is checked there in code-server by test/e2e/foundation.test.ts.
 */
/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'acrn-nest.acrn-nest';

/** Resolves with the diagnostics of `uri` once `accept` holds for them; rejects after `ms`. */
function diagnosticsFor(uri: vscode.Uri, accept: (d: readonly vscode.Diagnostic[]) => boolean, ms: number): Promise<readonly vscode.Diagnostic[]> {
  return new Promise((resolve, reject) => {
    const done = (d: readonly vscode.Diagnostic[]): void => {
      clearTimeout(timer);
      sub.dispose();
      resolve(d);
    };
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no matching diagnostics for ${uri.toString()} within ${ms} ms; have: ${JSON.stringify(vscode.languages.getDiagnostics(uri).map((d) => d.message))}`));
    }, ms);
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === uri.toString())) {
        const d = vscode.languages.getDiagnostics(uri);
        if (accept(d)) done(d);
      }
    });
    const now = vscode.languages.getDiagnostics(uri);
    if (accept(now)) done(now);
  });
}

suite('acrn-nest activation', () => {
  const folder = vscode.workspace.workspaceFolders?.[0];

  test('activates on an ACRN scenario, not before', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    assert.ok(folder, 'the test workspace is open');
    const doc = await vscode.workspace.openTextDocument(path.join(folder.uri.fsPath, 'nuc-v26-nested.xml'));
    await vscode.window.showTextDocument(doc);
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  test('reports a well-formedness error at the right line and column', async () => {
    assert.ok(folder);
    const uri = vscode.Uri.file(path.join(folder.uri.fsPath, 'nuc-v26-nested.xml'));
    const doc = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(doc);
    const line = doc.getText().split('\n').findIndex((l) => l.includes('<name>ACRN SOS VM</name>'));
    assert.ok(line >= 0, 'the scenario has the line this test breaks');
    const col = doc.lineAt(line).text.indexOf('</name>');
    // Break it in the editor only (never saved): `</name>` -> `</nmae>`.
    await editor.edit((e) => e.replace(new vscode.Range(line, col + 2, line, col + 6), 'nmae'));
    try {
      const diags = await diagnosticsFor(uri, (d) => d.some((x) => x.source === 'acrn-nest' && /Unexpected end tag <\/nmae>/.test(x.message)), 30_000);
      const d = diags.find((x) => /Unexpected end tag <\/nmae>/.test(x.message))!;
      assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
      assert.equal(d.range.start.line, line);
      assert.equal(d.range.start.character, col + 2, 'the diagnostic starts at the end tag name');
    } finally {
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
  });
});
