"""Training puzzles as wide as what users bring (issue 17): Sudoku from easy to the hardest this code
finds, mazes of any size up to 30x30 and any kind the reader accepts.

This is training code. The benchmark's out-of-distribution families are made by different code
(bench/ood/*.ts, TypeScript) that training never runs or reads; how the two differ:

  Sudoku   here: full grid by randomised backtracking (data.Solver), givens removed ONE cell at a time
                 in random order, down to a drawn count (non-minimal) or to minimal; "hardened" puzzles
                 move one given at a time to another cell while the guess count of data.Solver (MRV,
                 no other deduction) rises, on ONE copy of the puzzle.
           bench: full grid from three random diagonal boxes completed by the server's solver; givens
                 removed in half-turn-symmetric PAIRS; the extreme set climbs the backtracks of the
                 server's solver (naked and hidden singles first) averaged over relabelled copies.
  Maze     here: perfect mazes (DFS / Kruskal, data._perfect_maze's algorithms, on a cut h x w window)
                 with 0-40% of their inner walls knocked out; walls laid as random SEGMENTS of 1-5
                 cells; rooms on a regular lattice with doors. Only mazes whose shortest path is
                 unique (the label must be well defined).
           bench: iid random single-cell walls, recursive-division corridors, rooms cut by recursive
                 splitting; any shortest path counts as right.

  python -m training.hrm.data sudoku --wide --n 2000 --seed 11 --out .carry/hrm/sudoku_wide_1.npz
  python -m training.hrm.data maze   --wide --n 2000 --seed 11 --out .carry/hrm/maze_wide_1.npz
"""
from __future__ import annotations

import random
from collections import deque

from .data import GOAL, MAZE, OPEN, START, WALL, Solver, union_find_root

# ----------------------------------------------------------------------------- Sudoku


def _unique(puzzle) -> bool:
    return Solver(puzzle).count(2)[0] == 1


def _guesses(puzzle) -> int:
    return Solver(puzzle).count(2)[1]


def sudoku_wide(rng: random.Random, harden_steps: int = 80):
    """One puzzle -> (puzzle, solution, guesses): 35% non-minimal (22-55 givens), 40% minimal,
    25% minimal then hardened (see the module comment)."""
    s = Solver([0] * 81, rng)
    s.count(1)
    solution = s.first
    puzzle = list(solution)
    kind = rng.random()
    target = rng.randint(22, 55) if kind < 0.35 else 0
    order = list(range(81))
    rng.shuffle(order)
    for c in order:
        if sum(1 for v in puzzle if v) <= target:
            break
        v, puzzle[c] = puzzle[c], 0
        if not _unique(puzzle):
            puzzle[c] = v
    if kind >= 0.75:
        score = _guesses(puzzle)
        for _ in range(harden_steps):
            givens = [c for c in range(81) if puzzle[c]]
            blanks = [c for c in range(81) if not puzzle[c]]
            moved = list(puzzle)
            moved[rng.choice(givens)] = 0
            b = rng.choice(blanks)
            moved[b] = solution[b]
            if not _unique(moved):
                continue
            g = _guesses(moved)
            if g >= score:
                puzzle, score = moved, g
    return puzzle, solution, _guesses(puzzle)


# ----------------------------------------------------------------------------- Maze


def _bfs(cells, h, w, src):
    dist = [-1] * (h * w)
    dist[src] = 0
    q = deque([src])
    while q:
        c = q.popleft()
        r, k = divmod(c, w)
        for n, ok in ((c - w, r > 0), (c + w, r < h - 1), (c - 1, k > 0), (c + 1, k < w - 1)):
            if ok and cells[n] != WALL and dist[n] < 0:
                dist[n] = dist[c] + 1
                q.append(n)
    return dist


def _tree(rng, h, w):
    """A perfect maze on a field 2 cells larger than h x w (corridors on a drawn parity), cut to h x w,
    with 0-40% of the walls between corridor cells knocked out."""
    H, W = h + 3, w + 3
    ki, kj = (H - 1) // 2, (W - 1) // 2
    cells = [WALL] * (H * W)
    for i in range(ki):
        for j in range(kj):
            cells[(2 * i + 1) * W + 2 * j + 1] = OPEN
    parent = list(range(ki * kj))

    def find(x):
        return union_find_root(parent, x)

    edges = [(i, j, i + 1, j) for i in range(ki - 1) for j in range(kj)] + \
            [(i, j, i, j + 1) for i in range(ki) for j in range(kj - 1)]
    rng.shuffle(edges)
    closed = []
    for i, j, a, b in edges:
        x, y = find(i * kj + j), find(a * kj + b)
        wall = (i + a + 1) * W + (j + b + 1)
        if x != y:
            parent[x] = y
            cells[wall] = OPEN
        else:
            closed.append(wall)
    for wall in closed[: int(len(closed) * rng.uniform(0, 0.4))]:
        cells[wall] = OPEN
    dr, dc = rng.randint(0, 2), rng.randint(0, 2)
    return [cells[(r + dr) * W + c + dc] for r in range(h) for c in range(w)]


def _segments(rng, h, w):
    """Walls laid as random horizontal/vertical segments of 1-5 cells up to a drawn density."""
    cells = [OPEN] * (h * w)
    density = rng.uniform(0.05, 0.45)
    while sum(1 for v in cells if v == WALL) < density * h * w:
        r, c, n = rng.randrange(h), rng.randrange(w), rng.randint(1, 5)
        dr, dc = (0, 1) if rng.random() < 0.5 else (1, 0)
        for t in range(n):
            if r + t * dr < h and c + t * dc < w:
                cells[(r + t * dr) * w + c + t * dc] = WALL
    return cells


def _lattice_rooms(rng, h, w):
    """Walls every `step` rows and columns, 1-2 doors per room side, a few walls scattered inside."""
    step = rng.randint(4, 9)
    cells = [OPEN] * (h * w)
    for r in range(h):
        for c in range(w):
            if (r % step == step - 1) or (c % step == step - 1):
                cells[r * w + c] = WALL
    for r in range(step - 1, h, step):  # doors in horizontal walls
        for c0 in range(0, w, step):
            for _ in range(rng.randint(1, 2)):
                c = min(w - 1, c0 + rng.randrange(step - 1))
                cells[r * w + c] = OPEN
    for c in range(step - 1, w, step):  # doors in vertical walls
        for r0 in range(0, h, step):
            for _ in range(rng.randint(1, 2)):
                r = min(h - 1, r0 + rng.randrange(step - 1))
                cells[r * w + c] = OPEN
    scatter = rng.uniform(0, 0.1)
    for i in range(h * w):
        if rng.random() < scatter:
            cells[i] = WALL
    return cells


def maze_cells(rng: random.Random, h: int, w: int) -> list:
    """An h x w maze of one kind (tree / segments / lattice rooms), row-major, with an outer wall ring half the time."""
    cells = rng.choice([_tree, _segments, _lattice_rooms])(rng, h, w)
    if rng.random() < 0.5:
        for r in range(h):
            for c in range(w):
                if r in (0, h - 1) or c in (0, w - 1):
                    cells[r * w + c] = WALL
    return cells


def maze_wide(rng: random.Random, tries: int = 40):
    """One maze on the 30x30 canvas -> (grid[900], label[900], path cells) or None (no unique path found).
    Size: 30x30 half the time, else h, w in 4..30; kind: tree / segments / lattice rooms; outer wall
    ring half the time; S anywhere, G at a drawn distance (short, medium or as far as possible); the maze
    sits at the canvas's top-left corner and the rest is wall, as the server encodes it."""
    h, w = (MAZE, MAZE) if rng.random() < 0.5 else (rng.randint(4, MAZE), rng.randint(4, MAZE))
    cells = maze_cells(rng, h, w)
    open_cells = [i for i, v in enumerate(cells) if v != WALL]
    if len(open_cells) < 2:
        return None
    reach = rng.random()
    for _ in range(tries):
        s = rng.choice(open_cells)
        ds = _bfs(cells, h, w, s)
        far = max(ds)
        if far < 1:
            continue
        lo, hi = (1, 20) if reach < 0.3 else (20, 60) if reach < 0.55 else (max(1, far * 3 // 4), far)
        goals = [i for i in open_cells if lo <= ds[i] <= hi]
        if not goals:
            continue
        g = rng.choice(goals)
        dg = _bfs(cells, h, w, g)
        on = [i for i in open_cells if ds[i] >= 0 and ds[i] + dg[i] == ds[g]]
        if len(on) != ds[g] + 1:
            continue
        grid, label = [WALL] * (MAZE * MAZE), [0] * (MAZE * MAZE)
        for i, v in enumerate(cells):
            grid[(i // w) * MAZE + i % w] = v
        for i in on:
            label[(i // w) * MAZE + i % w] = 1
        grid[(s // w) * MAZE + s % w] = START
        grid[(g // w) * MAZE + g % w] = GOAL
        return grid, label, len(on)
    return None
