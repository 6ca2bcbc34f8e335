#!/bin/bash
# Issue 17 on a GPU box: continue BOTH shipped HRMs (models/hrm-*.onnx, weights read back from the graphs,
# config from models/manifest.json) on fresh puzzles of the wide generators (training/hrm/wide.py), made
# by worker processes on the box's cores while training runs. Run from the repository root there.
#   bash training/hrm/gpu_wide.sh start      # held-out wide test sets, then both trainings in the background
#   bash training/hrm/gpu_wide.sh poll SEC   # waits, prints the EVAL lines and last log line of each
#   bash training/hrm/gpu_wide.sh collect    # STOPs both, exports fp32 ONNX + parity + 2-thread timing to $OUT
# Then, back on the 2-core machine: copy models/ to a folder, drop the new ONNX files in, rewrite its
# manifest (python -m training.hrm.manifest --out DIR/manifest.json after copying the files to models/), and
# compare old and new in one run: npm run bench:puzzles (and NANOMIND_MODELS_DIR=DIR npm run bench:puzzles).
# Ship only what is better on the out-of-distribution headline and not worse in-distribution.
set -u
export PYTHONUNBUFFERED=1
R=training/runs/wide
I=.carry/hrm
bg() { local name=$1; shift; setsid nohup "$@" > $R/$name.log 2>&1 < /dev/null & echo $! > $R/$name.pid; }
case "$1" in
start)
  mkdir -p $R $I
  for f in sudoku maze; do
    [ -f $I/${f}_wide_test.npz ] || python3 -m training.hrm.data $f --wide --n 1000 --seed 99 --out $I/${f}_wide_test.npz
  done
  bg sudoku python3 -m training.hrm.train --family sudoku --out $R/sudoku --minutes ${MIN:-20} \
      --init-from models/hrm-sudoku.onnx --fresh ${SUDOKU_WORKERS:-7} --batch 768 --lr ${LR_SUDOKU:-3e-4} --warmup 200 \
      --test $I/sudoku_wide_test.npz --eval-every 180
  bg maze python3 -m training.hrm.train --family maze --out $R/maze --minutes ${MIN:-20} \
      --init-from models/hrm-maze.onnx --fresh ${MAZE_WORKERS:-7} --batch 384 --lr ${LR_MAZE:-3e-4} --warmup 200 \
      --test $I/maze_wide_test.npz --eval-every 180
  sleep 90; tail -n 2 $R/*.log
  ;;
poll)
  sleep ${2:-200}
  for f in sudoku maze; do echo "== $f"; grep -E "EVAL|initialised|Error" $R/$f.log | tail -n 5; tail -n 1 $R/$f.log; done
  ;;
collect)
  O=${OUT:-$R/out}; mkdir -p $O
  touch $R/sudoku/STOP $R/maze/STOP
  for i in $(seq 1 90); do grep -q '^done' $R/sudoku.log && grep -q '^done' $R/maze.log && break; sleep 2; done
  for f in sudoku maze; do python3 -m training.hrm.export --ckpt $R/$f/ckpt.pt --out $O/hrm-$f.onnx; done
  python3 - "$R" "$O" <<'PY'
import sys, torch
R, O = sys.argv[1:]
for f in ("sudoku", "maze"):  # weights only: small enough to carry back and continue next lease
    ck = torch.load(f"{R}/{f}/ckpt.pt", map_location="cpu", weights_only=False)
    ck.pop("opt", None)
    torch.save(ck, f"{O}/{f}_ckpt.pt")
PY
  ls -la $O
  ;;
esac
