// The extension's commands: each a small function of the context.
import * as vscode from 'vscode';
import { MemoryMapRequest, type BrainStatus, type MemoryReport } from '../../server/src/protocol';
import type { Ctx } from './ctx';
import { memoryBrainText, memoryMapOutcome, savingsText } from './memoryText';
import { sendRequest } from './typed';

export function registerCommands(ctx: Ctx): void {
  const reg = (id: string, fn: (...args: unknown[]) => unknown) => ctx.push(vscode.commands.registerCommand(id, fn));
  reg('nanomind.toggleInlineCompletion', () => toggleInlineCompletion(ctx));
  reg('nanomind.restartServer', () => restartServer(ctx));
  reg('nanomind.solvePuzzle', () => ctx.puzzles.solveActiveEditor());
  reg('nanomind.solvePuzzleExactly', () => ctx.puzzles.solveActiveEditor(true));
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
  // The status bar item looks the same before and after: say that it happened.
  vscode.window.setStatusBarMessage('nanomind: server restarted', 3000);
}

/**
 * Fades, in the active document, the text the completion model dropped from its memory in the last completion
 * (client/src/memoryMap.ts), until the next edit; or says plainly why there is nothing to fade.
 */
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
  const doc = editor.document;
  const file = vscode.workspace.asRelativePath(doc.uri);
  if (!ctx.config.languages.includes(doc.languageId)) {
    void vscode.window.showInformationMessage(
      `nanomind: no memory map for ${file}: it gets no completions (${doc.languageId} is not in nanomind.completion.languages).`,
    );
    return;
  }
  try {
    const version = doc.version;
    const report = await sendRequest(client, MemoryMapRequest, { uri: doc.uri.toString(), position: editor.selection.active });
    if (doc.version !== version) {
      void vscode.window.showInformationMessage(`nanomind: ${file} changed while its memory map was read; run "Show Memory Map" again.`);
      return;
    }
    const outcome = memoryMapOutcome(report, file);
    ctx.output.info(outcome.message);
    if (outcome.fade) ctx.memoryMap.show(doc, report.droppedRanges, outcome.message);
    else void vscode.window.showInformationMessage(outcome.message);
  } catch (e) {
    void vscode.window.showErrorMessage(`nanomind: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * The status menu's memory entry: whether the memory brain is on (or off and why) and its budget, and what the
 * active document's last completion kept. Asked fresh of the server each time the menu opens.
 */
async function memoryEntry(ctx: Ctx): Promise<{ description: string; detail?: string }> {
  let brain: BrainStatus | undefined;
  try {
    brain = (await ctx.serverStatus()).server?.brains.memory;
  } catch (e) {
    ctx.output.warn(`status menu: the server's status could not be read: ${e instanceof Error ? e.message : String(e)}`);
  }
  const client = ctx.languageClient;
  const editor = vscode.window.activeTextEditor;
  let report: MemoryReport | undefined;
  let detail: string | undefined;
  if (brain && client && editor && ctx.config.languages.includes(editor.document.languageId)) {
    const file = vscode.workspace.asRelativePath(editor.document.uri);
    try {
      report = await sendRequest(client, MemoryMapRequest, { uri: editor.document.uri.toString(), position: editor.selection.active });
      detail = savingsText(report, file);
    } catch (e) {
      detail = `${file}: no memory report (${e instanceof Error ? e.message : String(e)})`;
    }
  }
  return { description: memoryBrainText(brain, report, ctx.config.serverSettings.memory.budget), detail };
}

async function showStatusMenu(ctx: Ctx): Promise<void> {
  const on = ctx.config.completionEnabled;
  const memory = await memoryEntry(ctx);
  const picks: (vscode.QuickPickItem & { command: string })[] = [
    { label: on ? 'Turn inline completion off' : 'Turn inline completion on', command: 'nanomind.toggleInlineCompletion' },
    { label: 'Restart server', command: 'nanomind.restartServer' },
    { label: 'Show memory map', ...memory, command: 'nanomind.showMemoryMap' },
    { label: 'Show log', command: 'nanomind.showLog' },
  ];
  const pick = await vscode.window.showQuickPick(picks, { title: 'nanomind' });
  if (pick?.command === 'nanomind.showLog') ctx.output.show();
  else if (pick) await vscode.commands.executeCommand(pick.command);
}
