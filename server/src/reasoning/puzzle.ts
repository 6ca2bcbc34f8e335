// One entry point over the puzzle families: detect the family, parse, solve exactly, verify and
// format an answer, so callers (the command, benchmarks) never switch on the family themselves.

import { MazePuzzle, formatMaze, parseMaze, pathMask, shortestPath, verifyMazePath } from './maze';
import { GridCell, PuzzleError, TextOrigin, splitLayout, puzzleError } from './source';
import { SudokuPuzzle, formatSudoku, parseSudoku, verifySudoku } from './sudoku';
import { solveSudoku } from './sudokuSolver';

export type Puzzle = SudokuPuzzle | MazePuzzle;
export type PuzzleFamily = Puzzle['kind'];

/** An answer in the form both the network and the exact solvers give. */
export type PuzzleAnswer =
  | { kind: 'sudoku'; /** 81 digits, row-major */ digits: number[] }
  | { kind: 'maze'; /** row-major mask of path cells */ path: boolean[] };

/** One reason an answer is wrong: a Sudoku conflict or a maze path problem. */
export interface AnswerProblem {
  rule: string;
  cells: GridCell[];
  message: string;
}

export interface ParseOptions extends TextOrigin {
  /** The document's language id; 'sudoku' or 'maze' decides the family without looking at the text. */
  languageId?: string;
}

export function detectFamily(text: string, languageId?: string): PuzzleFamily | undefined {
  if (languageId === 'sudoku' || languageId === 'maze') return languageId;
  // Only mazes use these letters; a Sudoku is digits, blanks and separators.
  if (/[#SG]/.test(text)) return 'maze';
  if (/[1-9]/.test(text) && /^[\s0-9.|+-]*$/.test(text)) return 'sudoku';
  return undefined;
}

export function parsePuzzle(text: string, options: ParseOptions = {}): Puzzle | PuzzleError {
  const family = detectFamily(text, options.languageId);
  if (family === 'sudoku') return parseSudoku(text, options);
  if (family === 'maze') return parseMaze(text, options);
  const layout = splitLayout(text, options);
  const lineIndex = Math.max(
    0,
    layout.lines.findIndex((line) => line.trim() !== ''),
  );
  const charIndex = Math.max(0, layout.lines[lineIndex].search(/\S/));
  const looksLikeArc = /^\s*[[{]/.test(text);
  return puzzleError(
    layout,
    lineIndex,
    charIndex,
    looksLikeArc
      ? 'ARC tasks are not supported yet: expected a Sudoku or a maze'
      : "Not a puzzle: expected a Sudoku (9 rows of digits, '.' or '0' for blanks) or a maze ('#' walls, 'S' start, 'G' goal)",
  );
}

export type ExactStatus = 'solved' | 'multiple' | 'unsolvable';

export interface ExactSolveResult {
  /** solved: one answer; multiple: a Sudoku with several solutions (the first is given); unsolvable: none. */
  status: ExactStatus;
  answer: PuzzleAnswer | null;
  /** The Sudoku solver's search nodes (its difficulty rating); 0 for mazes. */
  searchNodes: number;
  ms: number;
}

/** The classical solvers: MRV backtracking for Sudoku, BFS for mazes. */
export function solveExactly(puzzle: Puzzle): ExactSolveResult {
  if (puzzle.kind === 'sudoku') {
    const result = solveSudoku(puzzle.givens);
    const status: ExactStatus = result.status === 'unique' ? 'solved' : result.status;
    const answer: PuzzleAnswer | null = result.solution ? { kind: 'sudoku', digits: result.solution } : null;
    return { status, answer, searchNodes: result.nodes, ms: result.ms };
  }
  const started = performance.now();
  const path = shortestPath(puzzle);
  const answer: PuzzleAnswer | null = path ? { kind: 'maze', path: pathMask(puzzle, path) } : null;
  return { status: path ? 'solved' : 'unsolvable', answer, searchNodes: 0, ms: performance.now() - started };
}

/** A solver outcome the user must hear about, placed at the puzzle's first cell. */
export function solverError(puzzle: Puzzle, result: ExactSolveResult): PuzzleError | undefined {
  if (result.status === 'solved') return undefined;
  const message =
    result.status === 'multiple'
      ? 'This Sudoku has more than one solution'
      : puzzle.kind === 'sudoku'
        ? 'This Sudoku has no solution'
        : 'The goal cannot be reached from the start';
  return { kind: 'error', message, ...puzzle.positions[0] };
}

/** Every problem with an answer; empty means verified. */
export function verifyAnswer(puzzle: Puzzle, answer: PuzzleAnswer): AnswerProblem[] {
  if (puzzle.kind === 'sudoku' && answer.kind === 'sudoku') return verifySudoku(puzzle.givens, answer.digits);
  if (puzzle.kind === 'maze' && answer.kind === 'maze') {
    return verifyMazePath(puzzle, answer.path).map(({ kind, cells, message }) => ({ rule: kind, cells, message }));
  }
  return [{ rule: 'family', cells: [], message: `A ${answer.kind} answer does not fit a ${puzzle.kind}` }];
}

/** The puzzle's text (the parsed document or selection) with the answer written in, layout kept. */
export function formatAnswer(puzzle: Puzzle, answer: PuzzleAnswer): string {
  if (puzzle.kind === 'sudoku' && answer.kind === 'sudoku') return formatSudoku(puzzle, answer.digits);
  if (puzzle.kind === 'maze' && answer.kind === 'maze') return formatMaze(puzzle, answer.path);
  throw new Error(`A ${answer.kind} answer does not fit a ${puzzle.kind}`);
}
