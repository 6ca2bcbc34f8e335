#!/bin/bash
# After training: stop the generators, wait for the trainers' final checkpoint,
# export fp32 + int8 ONNX, check parity, time 2-thread CPU steps, evaluate held-out sets.
# FAMILIES="sudoku maze" by default.
export PYTHONUNBUFFERED=1
O=${OUT:-training/runs/out}; mkdir -p $O
FAMILIES=${FAMILIES:-sudoku maze}
for g in gen_sudoku gen_maze; do [ -f training/runs/$g.pid ] && kill -- -$(cat training/runs/$g.pid) 2>/dev/null; done
for f in $FAMILIES; do touch training/runs/$f/STOP; done
for i in $(seq 1 90); do
  ok=1; for f in $FAMILIES; do grep -q '^done' training/runs/$f.log || ok=0; done
  [ $ok = 1 ] && break; sleep 2
done
R=$O/results.txt
{
for f in $FAMILIES; do
  echo "===== $f train log (EVAL lines + tail)"; grep -E "params|pool:|EVAL|failed|initialised" training/runs/$f.log | tail -n 30; tail -n 4 training/runs/$f.log
done
echo "===== export"
for f in $FAMILIES; do python3 -m training.hrm.export --ckpt training/runs/$f/ckpt.pt --out $O/hrm-$f.onnx --int8; done
echo "===== held-out, PyTorch EMA weights, full ACT loop"
for f in $FAMILIES; do
  if [ $f = sudoku ]; then
    python3 -m training.hrm.eval --ckpt training/runs/sudoku/ckpt.pt --test .carry/hrm/sudoku_test.npz --hard-min-guesses 60
    python3 -m training.hrm.eval --ckpt training/runs/sudoku/ckpt.pt --test .carry/hrm/sudoku_test.npz
  else
    python3 -m training.hrm.eval --ckpt training/runs/maze/ckpt.pt --test .carry/hrm/maze_test.npz
  fi
done
echo "===== held-out through onnxruntime, batch 1, 2 threads (fp32 then int8)"
for v in onnx int8.onnx; do for f in $FAMILIES; do
  if [ $f = sudoku ]; then
    python3 -m training.hrm.eval --onnx $O/hrm-sudoku.$v --family sudoku --d 128 --max-steps 16 --test .carry/hrm/sudoku_test.npz --hard-min-guesses 60 --n ${NS:-300}
  else
    python3 -m training.hrm.eval --onnx $O/hrm-maze.$v --family maze --d 64 --max-steps 24 --test .carry/hrm/maze_test.npz --n ${NM:-60}
  fi
done; done
echo "===== pool files"; ls training/runs/gen | wc -l
} 2>&1 | tee $R
FAMILIES="$FAMILIES" python3 - <<'PY'
import torch, os
O = os.environ.get("OUT", "training/runs/out")
for f in os.environ["FAMILIES"].split():  # weights only (no optimizer state) to keep what comes back small
    ck = torch.load(f"training/runs/{f}/ckpt.pt", map_location="cpu", weights_only=False)
    ck.pop("opt", None)
    torch.save(ck, f"{O}/{f}_ckpt.pt")
PY
ls -la $O
