#!/bin/bash
# What runs on the GPU box (one H100, 16 cores): both families train side by side
# in the background (setsid, so they outlive this call while the machine stays warm),
# and generators add fresh puzzles to training/runs/gen/ that the trainers pick up.
# Then: training/hrm/poll.sh to watch, training/hrm/finish.sh to export + evaluate.
set -x
export PYTHONUNBUFFERED=1
MIN=${MIN:-18}
mkdir -p training/runs/gen
nproc; nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv
bg() {  # bg NAME CMD...: start in a new session, remember the process-group id
  local name=$1; shift
  setsid nohup "$@" > training/runs/$name.log 2>&1 < /dev/null &
  echo $! > training/runs/$name.pid
}
bg sudoku python3 -m training.hrm.train --family sudoku --out training/runs/sudoku --minutes $MIN \
  --cfg '{"d":128,"h_cycles":2,"l_cycles":3,"max_steps":16}' --batch 768 --lr 7e-4 --hard-min-guesses 60 \
  --data '.carry/hrm/sudoku_train*.npz,training/runs/gen/sudoku_train_*.npz'
bg maze python3 -m training.hrm.train --family maze --out training/runs/maze --minutes $MIN \
  --cfg '{"d":64,"h_cycles":2,"l_cycles":3,"max_steps":24}' --batch 384 --lr 7e-4 \
  --data '.carry/hrm/maze_train*.npz,training/runs/gen/maze_train_*.npz'
bg gen_sudoku bash -c 'for i in $(seq 1 200); do python3 -m training.hrm.data sudoku --n 2000 --seed $((100+i)) --workers 10 --out training/runs/gen/sudoku_train_$i.npz; done'
bg gen_maze bash -c 'for i in $(seq 1 200); do python3 -m training.hrm.data maze --n 2000 --seed $((100+i)) --workers 3 --out training/runs/gen/maze_train_$i.npz; done'
