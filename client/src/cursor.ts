// Tells the server where the cursor settles (no move for `settleMs`), so it can encode the completion
// context there before the first request: clicking into a file, then typing, finds the context ready.
import * as vscode from 'vscode';
import { State, type LanguageClient } from 'vscode-languageclient/node';
import { CursorNotification } from '../../server/src/protocol';
import type { Config } from './config';
import { sendNotification } from './typed';

const settleMs = 200;

export function reportSettledCursor(client: () => LanguageClient | undefined, config: Config): vscode.Disposable {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const send = (editor: vscode.TextEditor | undefined) => {
    clearTimeout(timer);
    if (!editor || !config.completionEnabled || !config.languages.includes(editor.document.languageId)) return;
    timer = setTimeout(() => {
      const c = client();
      if (c?.state !== State.Running || vscode.window.activeTextEditor !== editor) return;
      const { line, character } = editor.selection.active;
      void sendNotification(c, CursorNotification, { textDocument: { uri: editor.document.uri.toString() }, position: { line, character } }).catch(() => {});
    }, settleMs);
  };
  const subs = [vscode.window.onDidChangeTextEditorSelection((e) => send(e.textEditor)), vscode.window.onDidChangeActiveTextEditor((e) => send(e))];
  return { dispose: () => (clearTimeout(timer), subs.forEach((s) => s.dispose())) };
}
