#!/bin/bash
# Second maze session on a fresh GPU box: continue from the first run's EMA weights
# (training/runs/init/maze_ckpt.pt, carried) with a fresh optimizer and schedule,
# the whole GPU to itself and 12 cores generating fresh mazes.
set -x
export PYTHONUNBUFFERED=1
MIN=${MIN:-14}
mkdir -p training/runs/gen
bg() { local name=$1; shift; setsid nohup "$@" > training/runs/$name.log 2>&1 < /dev/null & echo $! > training/runs/$name.pid; }
bg maze python3 -m training.hrm.train --family maze --out training/runs/maze --minutes $MIN \
  --cfg '{"d":64,"h_cycles":2,"l_cycles":3,"max_steps":32}' --batch 384 --lr 4e-4 --warmup 200 \
  --init-from training/runs/init/maze_ckpt.pt \
  --data '.carry/hrm/maze_train*.npz,training/runs/gen/maze_train_*.npz'
bg gen_maze bash -c 'for i in $(seq 1 200); do python3 -m training.hrm.data maze --n 2000 --seed $((500+i)) --workers 12 --out training/runs/gen/maze_train_$i.npz; done'
