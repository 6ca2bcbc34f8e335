#!/bin/bash
# Keep the GPU box warm while training runs: wait, show the logs, save checkpoints to $OUT.
sleep ${1:-200}
for f in sudoku maze; do echo "== $f"; grep -E "EVAL|pool|resumed|failed|Error|error" training/runs/$f.log | tail -n 4; tail -n 3 training/runs/$f.log; done
tail -n 1 training/runs/gen_sudoku.log training/runs/gen_maze.log
nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
if [ -n "$OUT" ]; then
  for f in sudoku maze; do cp training/runs/$f/ckpt.pt $OUT/${f}_ckpt.pt 2>/dev/null; cp training/runs/$f.log $OUT/ 2>/dev/null; done
fi
exit 0
