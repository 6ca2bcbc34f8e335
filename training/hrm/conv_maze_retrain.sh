#!/usr/bin/env bash
# Reproduces the shipped second maze network (models/hrm-maze-conv.onnx) from nothing, in one command, on a CPU
# (~95 min on the 2-core machine; torch 1.13 and onnx from Debian: apt-get install python3-torch python3-onnx):
#   1. session 17: small mazes (4-14), short unrolls;
#   2. session 18: continued on mazes up to 30x30 with long paths and more cycles (far-apart S/G pairs);
#   3. export one cycle to ONNX and write its sha256 / bytes into models/manifest.json.
# Both runs are time-limited, so the step count (and with it the exact weights) depends on the CPU's speed.
#   bash training/hrm/conv_maze_retrain.sh [OUT_DIR]    (default .carry/hrm)
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
PY=${PY:-/usr/bin/python3}
D=${1:-.carry/hrm}
mkdir -p "$D"
$PY training/hrm/conv_maze.py train --device cpu --workers 0 --minutes 40 --max-size 14 --max-cycles 12 \
  --start-cycles 12 --k 3 --batch 32 --channels 24 --t 3 --lr 2e-3 --large-frac 0 --far 0 --out "$D/stage1.pt"
$PY training/hrm/conv_maze.py train --device cpu --workers 1 --threads 1 --minutes 45 --init "$D/stage1.pt" \
  --batch 16 --max-cycles 48 --start-cycles 12 --ramp 0.3 --k 4 --lr 1e-3 --far 0.5 --large-frac 0.5 \
  --out "$D/conv_maze.pt"
$PY training/hrm/conv_maze.py export --ckpt "$D/conv_maze.pt" --onnx models/hrm-maze-conv.onnx --ref "$D/ref.json"
python3 - <<'EOF'
import hashlib, json
p = "models/manifest.json"
m = json.load(open(p))
b = open("models/hrm-maze-conv.onnx", "rb").read()
e = m["brains"]["reasoning"]["files"]["mazeConv"]
e["sha256"], e["bytes"] = hashlib.sha256(b).hexdigest(), len(b)
open(p, "w").write(json.dumps(m, indent=2) + "\n")
print("models/manifest.json: mazeConv", e["sha256"][:12], e["bytes"], "bytes")
EOF
echo "now: npx prettier --write models/manifest.json; npm run bench:puzzles -- --only maze --candidate <old models copy>"
