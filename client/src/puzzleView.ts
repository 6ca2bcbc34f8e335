// The "Solve Puzzle" webview: the puzzle, the network's grid as it refines step by step, the
// verdict, and buttons to apply the answer or ask the classical solver. Strict CSP, no remote
// resources: the page is one inline script and one inline style, both with a per-panel nonce.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { PuzzleStep, SolvePuzzleResult } from '../../server/src/protocol';

export type PanelAction = 'apply' | 'solveExactly';

/** What the view shows; sent whole to the page on every change, so the page keeps no state of its own. */
export interface PuzzleViewState {
  title: string;
  running: boolean;
  family?: 'sudoku' | 'maze';
  puzzleRows?: string[];
  steps: { step: number; rows: string[]; haltProbability: number; ms: number }[];
  result?: SolvePuzzleResult;
  error?: string;
  /** Set once Apply wrote the answer: the file it went into. */
  appliedTo?: string;
}

export class PuzzlePanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private state: PuzzleViewState = { title: '', running: false, steps: [] };
  private readonly actions = new vscode.EventEmitter<PanelAction>();
  /** Fires when the user clicks Apply or Solve exactly in the page. */
  readonly onAction = this.actions.event;

  /** The state shown now; tests read it to see what the user sees. */
  get current(): PuzzleViewState {
    return this.state;
  }

  begin(title: string): void {
    this.state = { title, running: true, steps: [] };
    this.show();
  }

  addStep(step: PuzzleStep): void {
    this.state.steps.push({ step: step.step, rows: step.rows, haltProbability: step.haltProbability, ms: step.ms });
    this.post();
  }

  finish(result: SolvePuzzleResult): void {
    this.state = { ...this.state, running: false, result, family: result.family, puzzleRows: result.puzzleRows };
    this.post();
  }

  fail(message: string): void {
    this.state = { ...this.state, running: false, error: message };
    this.post();
  }

  /** The answer is in the document now: the view says so and drops its Apply button. */
  applied(fileName: string): void {
    this.state = { ...this.state, appliedTo: fileName };
    this.post();
  }

  private show(): void {
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel('nanomind.puzzle', 'nanomind: Puzzle', vscode.ViewColumn.Beside, {
        enableScripts: true,
        localResourceRoots: [],
      });
      this.panel.webview.html = pageHtml(this.panel.webview.cspSource);
      this.panel.webview.onDidReceiveMessage((m: { type?: string }) => {
        if (m.type === 'apply' || m.type === 'solveExactly') this.actions.fire(m.type);
        if (m.type === 'ready') this.post();
      });
      this.panel.onDidDispose(() => (this.panel = undefined));
    } else {
      // Stay in the panel's own column: "Beside" is relative to the active editor and would open another column.
      this.panel.reveal(this.panel.viewColumn, true);
    }
    this.post();
  }

  private post(): void {
    void this.panel?.webview.postMessage({ type: 'state', state: this.state });
  }

  dispose(): void {
    this.panel?.dispose();
    this.actions.dispose();
  }
}

function pageHtml(cspSource: string): string {
  const nonce = randomBytes(16).toString('base64');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${cspSource}; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style nonce="${nonce}">
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 12px; }
  .grid { font-family: var(--vscode-editor-font-family); border-collapse: collapse; margin: 8px 0; }
  .grid td { width: 1.4em; height: 1.4em; text-align: center; border: 1px solid var(--vscode-panel-border); padding: 0; }
  .sudoku td.given { font-weight: bold; }
  .sudoku td.filled { color: var(--vscode-textLink-foreground); }
  .sudoku td.box-right { border-right: 2px solid var(--vscode-foreground); }
  .sudoku td.box-bottom { border-bottom: 2px solid var(--vscode-foreground); }
  .maze td { width: 0.9em; height: 0.9em; font-size: 0.7em; }
  .maze td.wall { background: var(--vscode-foreground); }
  .maze td.path { background: var(--vscode-textLink-foreground); }
  .maze td.start, .maze td.goal { background: var(--vscode-charts-green); font-weight: bold; }
  .verdict.ok { color: var(--vscode-testing-iconPassed); }
  .verdict.bad, .error { color: var(--vscode-errorForeground); }
  .label { opacity: 0.8; font-size: 0.9em; }
  button { margin-right: 8px; color: var(--vscode-button-foreground); background: var(--vscode-button-background); border: none; padding: 4px 12px; }
  input[type=range] { width: 240px; vertical-align: middle; }
  #stepControls[hidden] { display: none; }
</style></head>
<body>
<h2 id="title"></h2>
<div id="status" class="label"></div>
<div id="stepControls" hidden><input id="slider" type="range" min="0" max="0" value="0" aria-label="the network's steps"> <span id="stepText"></span></div>
<div id="grid"></div>
<div id="verdict"></div>
<ul id="problems"></ul>
<div id="buttons"></div>
<script nonce="${nonce}">
  const vscode = acquireVsCodeApi();
  let state = null;
  let shownStep = -1;
  // The slider is made once and only updated, so dragging it or moving it with the arrow keys keeps focus.
  const slider = document.getElementById('slider');
  slider.addEventListener('input', () => { shownStep = Number(slider.value); render(); });
  const el = (id) => document.getElementById(id);
  const text = (node, s) => { node.textContent = s; return node; };

  function gridTable(rows, family, puzzleRows) {
    const table = document.createElement('table');
    table.className = 'grid ' + family;
    rows.forEach((row, r) => {
      const tr = table.insertRow();
      [...row].forEach((ch, c) => {
        const td = tr.insertCell();
        if (family === 'sudoku') {
          const given = puzzleRows && puzzleRows[r][c] !== '.';
          td.className = (given ? 'given' : (ch !== '.' ? 'filled' : '')) + (c % 3 === 2 && c < 8 ? ' box-right' : '') + (r % 3 === 2 && r < 8 ? ' box-bottom' : '');
          td.textContent = ch === '.' ? '' : ch;
        } else {
          td.className = { '#': 'wall', 'o': 'path', 'S': 'start', 'G': 'goal' }[ch] || 'open';
          if (ch === 'S' || ch === 'G') td.textContent = ch;
        }
      });
    });
    return table;
  }

  function render() {
    if (!state) return;
    text(el('title'), state.title);
    const r = state.result;
    const steps = state.steps;
    const family = (r && r.family) || state.family || 'sudoku';
    const puzzleRows = (r && r.puzzleRows) || state.puzzleRows;
    let status = state.running ? 'Solving… ' + (steps.length ? 'step ' + steps.length : '') : '';
    if (r) {
      const tried = r.tried && r.tried.length > 1 ? ' (after the ' + (r.tried[0].network === 'conv' ? 'conv model' : 'HRM') + ' answer failed)' : '';
      const who = r.solver === 'exact' ? 'Classical solver (exact, not the network)' : r.network === 'conv' ? 'The conv maze network' + tried : r.family === 'maze' ? 'The HRM network' + tried : 'The network';
      const views = r.views > 1 ? ', trying ' + r.views + ' turned or mirrored copies of the grid' : '';
      const stop = r.halted ? 'it stopped when confident' : 'it ran out of steps';
      status = who + (r.solver === 'network' && r.outcome !== 'unavailable' ? ' — ' + plural(r.steps, 'step') + views + '; ' + stop : '') + ' — ' + r.ms.toFixed(1) + ' ms';
    }
    text(el('status'), status + (r && r.note ? ' — ' + r.note : ''));

    let rows = (r && r.answerRows) || puzzleRows;
    el('stepControls').hidden = steps.length === 0;
    if (steps.length > 0) {
      if (shownStep < 0 || shownStep >= steps.length || state.running) shownStep = steps.length - 1;
      slider.max = String(steps.length - 1);
      if (slider.value !== String(shownStep)) slider.value = String(shownStep);
      const s = steps[shownStep];
      text(el('stepText'), 'step ' + s.step + ' of ' + steps.length + ' — confidence it is done: ' + Math.round(100 * s.haltProbability) + '% — ' + s.ms.toFixed(1) + ' ms');
      rows = s.rows;
      if (r && r.answerRows && shownStep === steps.length - 1) rows = r.answerRows;
    }
    el('grid').replaceChildren(rows ? gridTable(rows, family, puzzleRows) : text(document.createElement('span'), ''));

    const verdict = el('verdict');
    verdict.className = 'verdict';
    const problems = el('problems');
    problems.replaceChildren();
    const buttons = el('buttons');
    buttons.replaceChildren();
    const button = (label, type) => { const b = text(document.createElement('button'), label); b.onclick = () => vscode.postMessage({ type }); buttons.append(b); };
    if (state.error) { verdict.className = 'verdict error'; text(verdict, state.error); return; }
    if (!r) { text(verdict, ''); return; }
    if (r.outcome === 'verified') {
      verdict.classList.add('ok');
      if (state.appliedTo) text(verdict, 'verified ✓ — written into ' + state.appliedTo);
      else { text(verdict, 'verified ✓'); button('Apply', 'apply'); }
    } else if (r.outcome === 'failed') {
      verdict.classList.add('bad'); text(verdict, 'The network\\'s answer fails verification:');
      for (const p of r.problems) problems.append(text(document.createElement('li'), p.message));
      button('Solve exactly (classical solver)', 'solveExactly');
    } else if (r.outcome === 'unavailable') {
      verdict.classList.add('bad'); text(verdict, 'The network could not run: ' + r.unavailable);
      button('Solve exactly (classical solver)', 'solveExactly');
    } else {
      text(verdict, 'Cancelled after ' + plural(r.steps, 'step') + '.');
    }
  }

  function plural(n, word) { return n + ' ' + word + (n === 1 ? '' : 's'); }

  window.addEventListener('message', (e) => { if (e.data && e.data.type === 'state') { state = e.data.state; render(); } });
  vscode.postMessage({ type: 'ready' });
</script>
</body></html>`;
}
