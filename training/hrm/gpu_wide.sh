#!/bin/bash
# Issue 17 on a GPU box: continue BOTH shipped HRMs (models/hrm-*.onnx, weights read back from the graphs,
# config from models/manifest.json) on fresh puzzles of the wide generators (training/hrm/wide.py), made
# by worker processes on the box's cores while training runs. Run from the repository root there.
#   bash training/hrm/gpu_wide.sh start      # held-out wide test sets, then both trainings in the background
#   bash training/hrm/gpu_wide.sh poll SEC   # waits, prints the EVAL lines and last log line of each
#   bash training/hrm/gpu_wide.sh collect    # STOPs both, exports fp32 ONNX + parity + 2-thread timing to $OUT
# FAMILIES="maze" (default "sudoku maze") trains only those, e.g. beside another job on the same GPU.
# Then, back on the 2-core machine: copy models/ to a folder, drop the new ONNX files in, rewrite its
# manifest (python -m training.hrm.manifest --out DIR/manifest.json after copying the files to models/), and
# compare old and new in one run: npm run bench:puzzles (and NANOMIND_MODELS_DIR=DIR npm run bench:puzzles).
# Ship only what is better on the out-of-distribution headline and not worse in-distribution.
set -u
export PYTHONUNBUFFERED=1
R=training/runs/wide
I=.carry/hrm
FAMILIES=${FAMILIES:-sudoku maze}
bg() { local name=$1; shift; setsid nohup "$@" > $R/$name.log 2>&1 < /dev/null & echo $! > $R/$name.pid; }
case "$1" in
start)
  mkdir -p $R $I
  for f in $FAMILIES; do  # each family: its held-out wide test set, then training, in one background job
    case $f in sudoku) B=768; W=${SUDOKU_WORKERS:-7}; LR=${LR_SUDOKU:-3e-4} ;; maze) B=384; W=${MAZE_WORKERS:-7}; LR=${LR_MAZE:-3e-4} ;; esac
    bg $f bash -c "{ [ -f $I/${f}_wide_test.npz ] || python3 -m training.hrm.data $f --wide --n 1000 --seed 99 --out $I/${f}_wide_test.npz; } &&
      python3 -m training.hrm.train --family $f --out $R/$f --minutes ${MIN:-20} --init-from models/hrm-$f.onnx --fresh $W \
        --batch $B --lr $LR --warmup 200 --test $I/${f}_wide_test.npz --eval-every 180"
  done
  sleep ${START_WAIT:-90}; tail -n 2 $R/*.log
  ;;
poll)
  sleep ${2:-200}
  for f in $FAMILIES; do echo "== $f"; grep -E "EVAL|initialised|Error" $R/$f.log | tail -n 5; tail -n 1 $R/$f.log; done
  ;;
collect)
  O=${OUT:-$R/out}; mkdir -p $O
  for f in $FAMILIES; do touch $R/$f/STOP; done
  for f in $FAMILIES; do for i in $(seq 1 90); do grep -q '^done' $R/$f.log && break; sleep 2; done; done
  for f in $FAMILIES; do python3 -m training.hrm.export --ckpt $R/$f/ckpt.pt --out $O/hrm-$f.onnx; done
  python3 - "$R" "$O" $FAMILIES <<'PY'
import sys, torch
R, O = sys.argv[1:3]
for f in sys.argv[3:]:  # weights only: small enough to carry back and continue next lease
    ck = torch.load(f"{R}/{f}/ckpt.pt", map_location="cpu", weights_only=False)
    ck.pop("opt", None)
    torch.save(ck, f"{O}/{f}_ckpt.pt")
PY
  ls -la $O
  ;;
esac
