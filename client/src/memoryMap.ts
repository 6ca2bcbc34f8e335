// The memory map in the editor: the text the completion model dropped from its memory in the last completion (the
// server's nanomind/memoryMap `droppedRanges`) is faded in every visible editor of the document, and a status bar
// message says what was kept, until the document is next edited or closed. An editor that comes into view while
// its document is faded (another tab, a split) is faded too; the message is that of the active editor's document
// (none when it is not faded), so it never describes another file.
import * as vscode from 'vscode';
import type { TextRange } from '../../server/src/protocol';

/** How faded dropped text is: dimmer than VS Code's own unused-code fade, still readable. The e2e check looks for it. */
export const fadedOpacity = '0.45';

interface Faded {
  ranges: vscode.Range[];
  /** The status bar message shown while the document is faded and its editor active. */
  message: string;
}

export class MemoryMap implements vscode.Disposable {
  private readonly decoration = vscode.window.createTextEditorDecorationType({
    opacity: fadedOpacity,
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  /** Faded documents by uri. */
  private readonly faded = new Map<string, Faded>();
  /** The status bar message on screen now (the active editor's document's), if any. */
  private message: vscode.Disposable | undefined;
  private readonly listeners: vscode.Disposable[] = [
    vscode.workspace.onDidChangeTextDocument((e) => {
      // A change event without content changes only tells of the dirty flag: no edit.
      if (e.contentChanges.length > 0) this.clear(e.document.uri);
    }),
    vscode.workspace.onDidCloseTextDocument((doc) => this.clear(doc.uri)),
    vscode.window.onDidChangeVisibleTextEditors((editors) => this.paint(editors)),
    vscode.window.onDidChangeActiveTextEditor(() => this.showMessage()),
  ];

  /** Fades `ranges` of `doc` and shows `message` in the status bar, both until `doc` is edited or closed. */
  show(doc: vscode.TextDocument, ranges: TextRange[], message: string): void {
    this.clear(doc.uri);
    this.faded.set(doc.uri.toString(), {
      ranges: ranges.map((r) => new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character)),
      message,
    });
    this.paint(vscode.window.visibleTextEditors);
    this.showMessage();
  }

  /** The active editor's document's message in the status bar, or none. */
  private showMessage(): void {
    this.message?.dispose();
    const active = vscode.window.activeTextEditor?.document.uri.toString();
    const f = active === undefined ? undefined : this.faded.get(active);
    this.message = f && vscode.window.setStatusBarMessage(f.message);
  }

  private paint(editors: readonly vscode.TextEditor[]): void {
    for (const editor of editors) {
      const f = this.faded.get(editor.document.uri.toString());
      if (f) editor.setDecorations(this.decoration, f.ranges);
    }
  }

  private clear(uri: vscode.Uri): void {
    const key = uri.toString();
    const f = this.faded.get(key);
    if (!f) return;
    this.faded.delete(key);
    this.showMessage();
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.toString() === key) editor.setDecorations(this.decoration, []);
    }
  }

  /** Takes the fade off every editor (disposing the decoration type removes it everywhere) and stops listening. */
  dispose(): void {
    this.message?.dispose();
    this.faded.clear();
    for (const l of this.listeners) l.dispose();
    this.decoration.dispose();
  }
}
