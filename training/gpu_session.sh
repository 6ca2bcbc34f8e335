#!/bin/bash
# One GPU-box lease (run from the repository root there). Long trainings run in the background (setsid)
# while `poll` calls keep the machine warm; what must come back is copied to $OUT at the end.
#   completion: diffusion model + AR twin in lockstep (training/completion/train.py)
#   maze HRM:   continued from a carried checkpoint, with 4 cores generating fresh mazes (MAZE=1)
# Inputs are carried in .carry/lease/ (corpus shards; maze pools + maze_init.pt; init checkpoints).
#   bash training/gpu_session.sh start      # launches the trainings and returns
#   bash training/gpu_session.sh poll SEC   # sleeps, prints progress
#   bash training/gpu_session.sh collect    # maze: waits, exports, evaluates; completion weights -> $OUT (parts < 16 MiB)
#   bash training/gpu_session.sh finish     # completion: waits, full held-out eval, int8 ONNX + parity fixture -> $OUT
# Knobs (env): CMIN, CMODES, CARGS (extra train.py args), MAZE (1 = also train the maze), MMIN, MLR, MARGS.
# Session 2's two leases: lease 1 = defaults (from scratch, 17 min, maze alongside); lease 2 =
#   MAZE=0 CMIN=22 CARGS="--init .carry/lease/ar1.pt --init-ar .carry/lease/ar1.pt --lr 1e-3 --warmup 100"
# Session 5's lease 3 (all 13 shards in .carry/lease/corpus, lease 2's weights unpacked to diff2.pt / ar2.pt) =
#   MAZE=0 CMIN=15 CARGS="--init .carry/lease/diff2.pt --init-ar .carry/lease/ar2.pt --lr 6e-4 --warmup 100"
# Session 6's lease 4 (the same, from lease 3's weights unpacked to diff3.pt / ar3.pt; inputs carried in 5 batches) =
#   MAZE=0 CMIN=17 CARGS="--init .carry/lease/diff3.pt --init-ar .carry/lease/ar3.pt --lr 6e-4 --warmup 100"
# Session 7's lease 5 (distillation, not this script: training/completion/distill.py, one call carrying train shards
#   0-3 as .carry/corpus-d): from_onnx.py rebuilt session 6's diffusion model from models/ on the box, then
#   distill.py --pool 131072 --minutes 8 (round 1) and, from its output, --pool 65536 --minutes 4 --seed 6 (round 2),
#   each started with setsid and polled; weights came back through `box.sh pack` (retrain.sh stage E).
# The tracked tree (~46 MB of models) counts against the 64 MiB a call carries: send inputs in ~20 MB batches.
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
  if [ "${MAZE:-1}" = 1 ]; then
    bg maze python3 -m training.hrm.train --family maze --out $R/maze --minutes ${MMIN:-18} \
        --cfg '{"d":64,"h_cycles":2,"l_cycles":3,"max_steps":32}' --batch 384 --lr ${MLR:-3e-4} --warmup 100 \
        --init-from $L/maze_init.pt --test $L/maze_test.npz --data "$L/maze_train*.npz,$R/gen/maze_train_*.npz" ${MARGS:-}
    bg gen_maze bash -c 'for i in $(seq 1 200); do python3 -m training.hrm.data maze --n 2000 --seed $((3000+i)) --workers 4 --out '$R'/gen/maze_train_$i.npz; done'
  fi
  sleep 60; tail -n 3 $R/*.log; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
  ;;
poll)
  sleep ${2:-300}
  grep -E "held-out|EVAL|tokens:|params|initialised|Error|error" $R/completion.log | tail -n 6; tail -n 2 $R/completion.log
  [ -f $R/maze.log ] && { grep -E "EVAL|pool|Error|error" $R/maze.log | tail -n 3; tail -n 1 $R/maze.log; }
  nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
  ;;
collect)
  O=${OUT:-$R/out}; mkdir -p $O
  if [ -f $R/maze.log ]; then
    [ -f $R/gen_maze.pid ] && kill -- -$(cat $R/gen_maze.pid) 2>/dev/null
    for i in $(seq 1 150); do grep -q '^done' $R/maze.log && break; sleep 2; done
    python3 -m training.hrm.export --ckpt $R/maze/ckpt.pt --out $R/hrm-maze.onnx > $R/maze-export.log 2>&1
    python3 -m training.hrm.eval --ckpt $R/maze/ckpt.pt --test $L/maze_test.npz >> $R/maze-export.log 2>&1
    python3 - $R/maze/ckpt.pt $O/maze_ckpt.pt <<'PY'
import sys, torch
ck = torch.load(sys.argv[1], map_location="cpu", weights_only=False); ck.pop("opt", None); torch.save(ck, sys.argv[2])
PY
    tail -n 5 $R/maze-export.log
  fi
  for i in $(seq 1 150); do [ -f $R/c/done.json ] && break; sleep 2; done
  for m in diffusion ar; do [ -f $R/c/$m-weights-final.pt ] && bash $C/box.sh pack $R/c/$m-weights-final.pt $O/$m; done
  tar czf $O/logs.tgz $R/*.log $R/c/*.json $R/c/log.txt $R/maze/*.json 2>/dev/null
  ls -la $O
  ;;
finish)
  O=${OUT:-$R/out}; mkdir -p $O
  for i in $(seq 1 150); do [ -f $R/c/done.json ] && break; sleep 2; done
  python3 $C/eval.py --diffusion $R/c/diffusion-weights-final.pt --ar $R/c/ar-weights-final.pt --out $R/c/eval.json > $R/c/eval.log 2>&1
  tail -n 30 $R/c/eval.log
  python3 $C/export.py --diffusion $R/c/diffusion-weights-final.pt --ar $R/c/ar-weights-final.pt --out $R/onnx \
      --spec $R/onnx/spec.json --parity-fixture $R/onnx/completion-parity.json --no-latency > $R/c/export.log 2>&1
  grep -A3 parity $R/c/export.log | head -30
  cp $R/onnx/diffusion_encode.int8.onnx $R/onnx/diffusion_denoise.int8.onnx $R/onnx/ar_step.int8.onnx $O/
  tar czf $O/results.tgz $R/c/eval.* $R/c/eval-cases* $R/c/export.log $R/c/*.json $R/c/log.txt $R/onnx/spec.json $R/onnx/completion-parity.json $R/*.log 2>/dev/null
  ls -la $O
  ;;
esac
