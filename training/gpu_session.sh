#!/bin/bash
# One GPU-box lease, both long trainings side by side on one H100 (run from the repository root there):
#   completion: diffusion model + AR twin in lockstep (training/completion/train.py)
#   maze HRM:   continued from a carried checkpoint, with 4 cores generating fresh mazes
# Inputs are carried in .carry/lease/ (corpus shards, maze pools, maze_init.pt; see training/README.md).
#   bash training/gpu_session.sh start      # launches both in the background (setsid) and returns
#   bash training/gpu_session.sh poll SEC   # sleeps, prints progress (keeps the machine warm)
#   bash training/gpu_session.sh collect    # waits for both, exports, copies what comes back to $OUT
# Knobs (env): CMIN (completion minutes), MMIN (maze minutes), CARGS (extra train.py args), MARGS (extra maze args)
set -u
export PYTHONUNBUFFERED=1
L=.carry/lease
R=training/runs/lease
C=training/completion
bg() { local name=$1; shift; setsid nohup "$@" > $R/$name.log 2>&1 < /dev/null & echo $! > $R/$name.pid; }
case "$1" in
start)
  mkdir -p $R/gen
  bg completion python3 $C/train.py --modes ${CMODES:-diffusion,ar} --shape d256l8 --minutes ${CMIN:-17} \
      --corpus $L/corpus --cache /tmp/tokcache --out $R/c --workers 8 --eval-minutes 5 ${CARGS:-}
  bg maze python3 -m training.hrm.train --family maze --out $R/maze --minutes ${MMIN:-18} \
      --cfg '{"d":64,"h_cycles":2,"l_cycles":3,"max_steps":32}' --batch 384 --lr ${MLR:-3e-4} --warmup 100 \
      --init-from $L/maze_init.pt --test $L/maze_test.npz --data "$L/maze_train*.npz,$R/gen/maze_train_*.npz" ${MARGS:-}
  bg gen_maze bash -c 'for i in $(seq 1 200); do python3 -m training.hrm.data maze --n 2000 --seed $((3000+i)) --workers 4 --out '$R'/gen/maze_train_$i.npz; done'
  sleep 60; tail -n 3 $R/*.log; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
  ;;
poll)
  sleep ${2:-300}
  grep -E "held-out|EVAL|tokens:|params|Error|error" $R/completion.log | tail -n 6; tail -n 2 $R/completion.log
  grep -E "EVAL|pool|Error|error" $R/maze.log | tail -n 3; tail -n 1 $R/maze.log
  nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
  ;;
collect)
  O=${OUT:-$R/out}; mkdir -p $O
  [ -f $R/gen_maze.pid ] && kill -- -$(cat $R/gen_maze.pid) 2>/dev/null
  for i in $(seq 1 150); do [ -f $R/c/done.json ] && grep -q '^done' $R/maze.log && break; sleep 2; done
  python3 -m training.hrm.export --ckpt $R/maze/ckpt.pt --out $R/hrm-maze.onnx > $R/maze-export.log 2>&1
  python3 -m training.hrm.eval --ckpt $R/maze/ckpt.pt --test $L/maze_test.npz >> $R/maze-export.log 2>&1
  python3 - $R/maze/ckpt.pt $O/maze_ckpt.pt <<'PY'
import sys, torch
ck = torch.load(sys.argv[1], map_location="cpu", weights_only=False); ck.pop("opt", None); torch.save(ck, sys.argv[2])
PY
  for m in diffusion ar; do [ -f $R/c/$m-weights-final.pt ] && bash $C/box.sh pack $R/c/$m-weights-final.pt $O/$m; done
  tar czf $O/logs.tgz $R/*.log $R/c/*.json $R/c/log.txt $R/maze/*.json 2>/dev/null
  ls -la $O; tail -n 5 $R/maze-export.log
  ;;
esac
