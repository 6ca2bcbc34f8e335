// The extension's commands: each a small function of the context.
import * as vscode from 'vscode';
import { MemoryMapRequest } from '../../server/src/protocol';
import type { Ctx } from './ctx';
import { sendRequest } from './typed';

export function registerCommands(ctx: Ctx): void {
  const reg = (id: string, fn: (...args: unknown[]) => unknown) => ctx.push(vscode.commands.registerCommand(id, fn));
  reg('nanomind.toggleInlineCompletion', () => toggleInlineCompletion(ctx));
  reg('nanomind.restartServer', () => restartServer(ctx));
  reg('nanomind.solvePuzzle', () => ctx.puzzles.solveActiveEditor());
  reg('nanomind.solvePuzzleExactly', () => ctx.puzzles.solveExactly());
  reg('nanomind.applyPuzzleAnswer', () => ctx.puzzles.apply());
  // For tests: what the puzzle view shows now.
  reg('nanomind.puzzleViewState', () => ctx.puzzles.panel.current);
  reg('nanomind.showMemoryMap', () => showMemoryMap(ctx));
  reg('nanomind.showStatusMenu', () => showStatusMenu(ctx));
  // For tests and scripts: the client's state and the server's own status report.
  reg('nanomind.serverStatus', () => ctx.serverStatus());
}

async function toggleInlineCompletion(ctx: Ctx): Promise<void> {
  const enabled = !ctx.config.completionEnabled;
  await ctx.config.setCompletionEnabled(enabled);
  vscode.window.setStatusBarMessage(`nanomind: inline completion ${enabled ? 'on' : 'off'}`, 3000);
}

async function restartServer(ctx: Ctx): Promise<void> {
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'nanomind: restarting server' }, () => ctx.restart());
}

async function showMemoryMap(ctx: Ctx): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const client = ctx.languageClient;
  if (!client) {
    void vscode.window.showErrorMessage('nanomind: the language server is not running.');
    return;
  }
  if (!editor) {
    void vscode.window.showInformationMessage('nanomind: open a file to see its memory map.');
    return;
  }
  try {
    const r = await sendRequest(client, MemoryMapRequest, { uri: editor.document.uri.toString(), position: editor.selection.active });
    const read = r.tokensRead === null ? '' : ` Here the completion model reads ${r.tokensRead} context tokens and keeps them all.`;
    // Until the memory model runs there is no map to draw: say so plainly instead of an empty map.
    if (r.unavailable) void vscode.window.showInformationMessage(`nanomind: no memory map: ${r.unavailable}.${read}`);
    else void vscode.window.showInformationMessage(`nanomind memory: ${r.tokensRead} context tokens read, ${r.tokensKept} kept.`);
  } catch (e) {
    void vscode.window.showErrorMessage(`nanomind: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function showStatusMenu(ctx: Ctx): Promise<void> {
  const on = ctx.config.completionEnabled;
  const picks: (vscode.QuickPickItem & { command: string })[] = [
    { label: on ? 'Turn inline completion off' : 'Turn inline completion on', command: 'nanomind.toggleInlineCompletion' },
    { label: 'Restart server', command: 'nanomind.restartServer' },
    { label: 'Show memory map', command: 'nanomind.showMemoryMap' },
    { label: 'Show log', command: 'nanomind.showLog' },
  ];
  const pick = await vscode.window.showQuickPick(picks, { title: 'nanomind' });
  if (pick?.command === 'nanomind.showLog') ctx.output.show();
  else if (pick) await vscode.commands.executeCommand(pick.command);
}
