// Runs "Solve Puzzle" against the server and keeps the view, the target document and the last
// answer together, so Apply writes exactly what was verified into the text it was computed from.
import * as vscode from 'vscode';
import type { BaseLanguageClient } from 'vscode-languageclient';
import { PuzzleStepNotification, ServerCommands, type SolvePuzzleArgs, type SolvePuzzleResult } from '../../server/src/protocol';
import { PuzzlePanel } from './puzzleView';
import { onNotification } from './typed';

/** The puzzle files' language ids (package.json's languages): the client sends them to the server like code. */
export const puzzleLanguages = ['sudoku', 'maze'];

interface Target {
  uri: vscode.Uri;
  range?: vscode.Range;
}

export class PuzzleController implements vscode.Disposable {
  readonly panel = new PuzzlePanel();
  private target: Target | undefined;
  private result: SolvePuzzleResult | undefined;
  private runs = 0;

  constructor(
    private readonly client: () => BaseLanguageClient | undefined,
    private readonly log: vscode.LogOutputChannel,
    /** Whether the client sends documents of this language to the server (its document selector). */
    private readonly synced: (languageId: string) => boolean,
  ) {
    this.panel.onAction((action) => void (action === 'apply' ? this.apply() : this.solveExactly()));
  }

  /**
   * Solve the active editor's puzzle (its selection, or the whole document) with the network, or with the
   * classical solver when `exact`. With the focus in the puzzle view (no active text editor), the editor of the
   * puzzle it shows, else a visible puzzle file.
   */
  async solveActiveEditor(exact = false): Promise<SolvePuzzleResult | undefined> {
    const shown = this.target?.uri.toString();
    const editor =
      vscode.window.activeTextEditor ??
      vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === shown) ??
      vscode.window.visibleTextEditors.find((e) => puzzleLanguages.includes(e.document.languageId));
    if (!editor) {
      void vscode.window.showErrorMessage('nanomind: open a puzzle file (.sudoku or .maze), or select a puzzle in any file, to solve it.');
      return undefined;
    }
    this.target = { uri: editor.document.uri, range: editor.selection.isEmpty ? undefined : editor.selection };
    return this.run(exact);
  }

  /** Solve the puzzle the view shows with the classical solver (its button; labelled as such in the view). */
  solveExactly(): Promise<SolvePuzzleResult | undefined> {
    return this.run(true);
  }

  /** Write the last verified answer into its document; refuses if the document changed since. */
  async apply(): Promise<boolean> {
    const { target, result } = this;
    if (!target || !result || result.outcome !== 'verified' || result.answerText === null) {
      void vscode.window.showErrorMessage('nanomind: there is no verified answer to apply.');
      return false;
    }
    const doc = await vscode.workspace.openTextDocument(target.uri);
    if (doc.version !== result.version) {
      void vscode.window.showErrorMessage('nanomind: the puzzle changed since it was solved; solve it again.');
      return false;
    }
    const r = result.range;
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character), result.answerText);
    const ok = await vscode.workspace.applyEdit(edit);
    const name = fileName(doc.uri);
    if (!ok) {
      void vscode.window.showErrorMessage(`nanomind: the answer could not be written into ${name}.`);
      return false;
    }
    this.result = undefined;
    this.panel.applied(name);
    this.log.info(`puzzle: the verified answer was written into ${name}`);
    void vscode.window.showInformationMessage(`nanomind: the answer was written into ${name}.`);
    return true;
  }

  private async run(exact: boolean): Promise<SolvePuzzleResult | undefined> {
    const client = this.client();
    const target = this.target;
    if (!client || !target) return undefined;
    const runId = `run-${++this.runs}-${Date.now()}`;
    const name = fileName(target.uri);
    this.panel.begin(exact ? `${name} — classical solver` : `${name} — the network`);
    this.result = undefined;
    const steps = onNotification(client, PuzzleStepNotification, (s) => s.runId === runId && this.panel.addStep(s));
    const args: SolvePuzzleArgs = { uri: target.uri.toString(), runId, exact };
    if (target.range) args.range = client.code2ProtocolConverter.asRange(target.range);
    // The server is sent only the documents of the completion languages and puzzle files: a puzzle selected in
    // any other file (Markdown, plain text) travels with the request.
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === args.uri);
    if (doc && !this.synced(doc.languageId)) args.document = { text: doc.getText(), languageId: doc.languageId, version: doc.version };
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'nanomind: solving puzzle', cancellable: true },
        (_progress, token) =>
          client.sendRequest<SolvePuzzleResult>('workspace/executeCommand', { command: ServerCommands.solvePuzzle, arguments: [args] }, token),
      );
      this.result = result;
      this.panel.finish(result);
      this.log.info(
        `puzzle ${name}: ${result.solver === 'exact' ? 'classical solver' : 'network'}, ${result.outcome}` +
          `${result.solver === 'network' ? `, ${result.steps} steps` : ''}, ${result.ms.toFixed(1)} ms` +
          `${result.unavailable ? ` (${result.unavailable})` : ''}`,
      );
      return result;
    } catch (e) {
      const err = e as { message?: string; data?: { line?: number; column?: number } };
      const message = err.message ?? String(e);
      this.panel.fail(message);
      this.log.warn(`puzzle ${name}: ${message}`);
      void vscode.window.showErrorMessage(`nanomind: ${message}`);
      await revealError(target.uri, err.data);
      return undefined;
    } finally {
      steps.dispose();
    }
  }

  dispose(): void {
    this.panel.dispose();
  }
}

function fileName(uri: vscode.Uri): string {
  return uri.path.split('/').pop() || 'puzzle';
}

/** Put the cursor on the line and column a puzzle error names (1-based in the message data). */
async function revealError(uri: vscode.Uri, at: { line?: number; column?: number } | undefined): Promise<void> {
  if (!at || typeof at.line !== 'number' || typeof at.column !== 'number') return;
  const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
  if (!editor) return;
  const pos = new vscode.Position(at.line - 1, at.column - 1);
  editor.selection = new vscode.Selection(pos, pos);
  editor.revealRange(new vscode.Range(pos, pos));
}
