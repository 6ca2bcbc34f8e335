// The reasoning brain's one entry point: puzzle formats, exact solvers and the HRM step loop.
export * from './source';
export * from './sudoku';
export * from './sudokuSolver';
export * from './maze';
export * from './puzzle';
export * from './hrm';
