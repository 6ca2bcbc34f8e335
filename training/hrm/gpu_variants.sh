#!/bin/bash
# Several maze HRM variants side by side on one GPU box, all continued from one carried checkpoint
# ($INIT, default .carry/hrm/maze_init.pt), while 6 cores generate fresh mazes for all of them. Run from the
# repository root there. MIN = minutes of training, BATCH = batch size.
#   bash training/hrm/gpu_variants.sh start     # launches every variant in $VARIANTS and the generator
#   bash training/hrm/gpu_variants.sh poll SEC  # waits, prints each variant's last EVAL and log line
#   bash training/hrm/gpu_variants.sh collect   # STOPs them, evaluates every EMA checkpoint (n=1000), copies to $OUT
# VARIANTS: ";"-separated  name:cfg-json:lr  (d may be a multiple of the init's: widened, see model.widen_state).
# Session 3 lease 1 ran (three at once; lost with the box after 10 min: none beat its start, l5 came closest):
#   VARIANTS='w128:{"d":128,"h_cycles":2,"l_cycles":3,"max_steps":32}:5e-4;l5:{"d":64,"h_cycles":2,"l_cycles":5,"max_steps":32}:3e-4;w128l4:{"d":128,"h_cycles":2,"l_cycles":4,"max_steps":32}:5e-4'
set -u
export PYTHONUNBUFFERED=1
R=training/runs/variants
I=.carry/hrm
bg() { local name=$1; shift; setsid nohup "$@" > $R/$name.log 2>&1 < /dev/null & echo $! > $R/$name.pid; }
names() { echo "${VARIANTS}" | tr ';' '\n' | cut -d: -f1; }
case "$1" in
start)
  mkdir -p $R/gen
  echo "${VARIANTS}" > $R/variants.txt
  bg gen_maze bash -c 'for i in $(seq 1 300); do python3 -m training.hrm.data maze --n 2000 --seed $((7000+i)) --workers 6 --out '$R'/gen/maze_train_$i.npz; done'
  echo "${VARIANTS}" | tr ';' '\n' | while IFS= read -r v; do
    name=${v%%:*}; rest=${v#*:}; lr=${rest##*:}; cfg=${rest%:*}
    bg $name python3 -m training.hrm.train --family maze --out $R/$name --minutes ${MIN:-20} --cfg "$cfg" \
        --batch ${BATCH:-384} --lr $lr --warmup 200 --init-from ${INIT:-$I/maze_init.pt} --test $I/maze_test.npz \
        --eval-every 180 --data "$I/maze_train*.npz,$R/gen/maze_train_*.npz"
  done
  sleep 90; tail -n 2 $R/*.log; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
  ;;
poll)
  sleep ${2:-240}
  for n in $(cat $R/variants.txt | tr ';' '\n' | cut -d: -f1); do
    echo "== $n"; grep -E "EVAL|initialised|Error|error" $R/$n.log | tail -n 3; tail -n 1 $R/$n.log
  done
  tail -n 1 $R/gen_maze.log; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
  # bring the latest checkpoints back with every poll, in case the box is lost before collect
  [ -n "${OUT:-}" ] && for n in $(cat $R/variants.txt | tr ';' '\n' | cut -d: -f1); do
    cp $R/$n/ckpt.pt $OUT/$n-latest.pt 2>/dev/null; cp $R/$n.log $OUT/ 2>/dev/null; done
  exit 0
  ;;
collect)
  O=${OUT:-$R/out}; mkdir -p $O
  kill -- -$(cat $R/gen_maze.pid) 2>/dev/null
  ns=$(cat $R/variants.txt | tr ';' '\n' | cut -d: -f1)
  for n in $ns; do touch $R/$n/STOP; done   # each saves its checkpoint and runs its final EVAL
  for n in $ns; do for i in $(seq 1 90); do grep -q '^done' $R/$n.log && break; sleep 2; done; done
  for n in $ns; do
    python3 -m training.hrm.eval --ckpt $R/$n/ckpt.pt --test $I/maze_test.npz > $R/$n-eval.log 2>&1
    echo "== $n"; tail -n 3 $R/$n-eval.log
    python3 - $R/$n/ckpt.pt $O/$n.pt <<'PY'
import sys, torch
ck = torch.load(sys.argv[1], map_location="cpu", weights_only=False); ck.pop("opt", None); ck.pop("model", None)
torch.save(ck, sys.argv[2])
PY
    cp $R/$n.log $R/$n-eval.log $O/
  done
  ls -la $O
  ;;
esac
