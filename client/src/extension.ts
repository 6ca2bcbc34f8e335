// Extension entry: builds the context, starts the server, wires commands and settings.
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Config } from './config';
import { Ctx } from './ctx';

let ctx: Ctx | undefined;

export async function activate(extension: vscode.ExtensionContext): Promise<void> {
  ctx = new Ctx(extension);
  const c = ctx;
  registerCommands(c);
  c.push(
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration('nanomind')) return;
      if (Config.needsRestart(e)) await c.restart();
    }),
  );
  try {
    await c.start();
  } catch (e) {
    c.statusBar.setState('stopped', String(e));
    void vscode.window.showErrorMessage(`nanomind: the language server did not start: ${String(e)}`);
  }
}

export async function deactivate(): Promise<void> {
  await ctx?.dispose();
  ctx = undefined;
}
