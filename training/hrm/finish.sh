#!/bin/bash
# After training: stop the generators, wait for both trainers' final checkpoint,
# export fp32 + int8 ONNX, check parity, time 2-thread CPU steps, evaluate held-out sets.
export PYTHONUNBUFFERED=1
O=${OUT:-training/runs/out}; mkdir -p $O
for g in gen_sudoku gen_maze; do kill -- -$(cat training/runs/$g.pid) 2>/dev/null; done
for f in sudoku maze; do touch training/runs/$f/STOP; done
for i in $(seq 1 90); do
  grep -q '^done' training/runs/sudoku.log && grep -q '^done' training/runs/maze.log && break; sleep 2
done
R=$O/results.txt
{
for f in sudoku maze; do
  echo "===== $f train log (EVAL lines + tail)"; grep -E "params|pool:|EVAL|failed" training/runs/$f.log | tail -n 30; tail -n 4 training/runs/$f.log
done
echo "===== export"
python3 -m training.hrm.export --ckpt training/runs/sudoku/ckpt.pt --out $O/hrm-sudoku.onnx --int8
python3 -m training.hrm.export --ckpt training/runs/maze/ckpt.pt --out $O/hrm-maze.onnx --int8
echo "===== held-out, PyTorch EMA weights, full ACT loop"
python3 -m training.hrm.eval --ckpt training/runs/sudoku/ckpt.pt --test .carry/hrm/sudoku_test.npz --hard-min-guesses 60
python3 -m training.hrm.eval --ckpt training/runs/sudoku/ckpt.pt --test .carry/hrm/sudoku_test.npz
python3 -m training.hrm.eval --ckpt training/runs/maze/ckpt.pt --test .carry/hrm/maze_test.npz
echo "===== held-out through onnxruntime, batch 1, 2 threads (fp32 then int8)"
for v in onnx int8.onnx; do
  python3 -m training.hrm.eval --onnx $O/hrm-sudoku.$v --family sudoku --d 128 --max-steps 16 --test .carry/hrm/sudoku_test.npz --hard-min-guesses 60 --n ${NS:-300}
  python3 -m training.hrm.eval --onnx $O/hrm-maze.$v --family maze --d 64 --max-steps 24 --test .carry/hrm/maze_test.npz --n ${NM:-60}
done
echo "===== pool sizes"; ls training/runs/gen | wc -l
} 2>&1 | tee $R
python3 - <<'PY'
import torch, os
O = os.environ.get("OUT", "training/runs/out")
for f in ["sudoku", "maze"]:  # weights only (no optimizer state) to keep what comes back small
    ck = torch.load(f"training/runs/{f}/ckpt.pt", map_location="cpu", weights_only=False)
    ck.pop("opt", None)
    torch.save(ck, f"{O}/{f}_ckpt.pt")
PY
ls -la $O
