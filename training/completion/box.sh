#!/bin/bash
# Helper for the GPU box (run from the repository root there).
#   bash training/completion/box.sh smoke            # end-to-end check of train/eval/export on a few steps
#   bash training/completion/box.sh latency SHAPE..   # export random weights of each shape, time on 2 threads
set -u
C=training/completion
export PYTHONUNBUFFERED=1
TOK=models/tokenizer.json
if [ ! -f $TOK ]; then  # smoke tests only: a quick stand-in tokenizer from the same script
  TOK=/tmp/tok/tokenizer.json
  [ -f $TOK ] || python3 training/tokenizer/train_tokenizer.py --out /tmp/tok --sizes 16384 --pick 16384 --train-mb 20 >/tmp/tok.log 2>&1
fi
case "$1" in
smoke)
  set -e
  S=/tmp/smoke
  python3 $C/train.py --prep-only --out $S --tokenizer $TOK --cache /tmp/tokcache-smoke
  python3 $C/train.py --modes diffusion,ar --shape d256l8 --steps 40 --batch 16 --compile ${COMPILE:-0} --eval-cases 24 \
      --workers 2 --warmup 10 --out $S --tokenizer $TOK --cache /tmp/tokcache-smoke
  python3 $C/eval.py --diffusion $S/diffusion-weights-final.pt --ar $S/ar-weights-final.pt --limit 60 --out $S/eval.json --tokenizer $TOK
  python3 $C/export.py --diffusion $S/diffusion-weights-final.pt --ar $S/ar-weights-final.pt --out $S/onnx --no-latency
  ;;
latency)
  shift
  for s in "$@"; do python3 $C/export.py --random $s --out /tmp/lat-$s --vocab ${VOCAB:-16384} | grep -v '^ *"\(files\|export_s\)' ; done
  ;;
# after-run chain: wait for a lockstep run to finish, then full held-out eval and ONNX export of it
after)
  R=$2
  while [ ! -f $R/done.json ]; do sleep 5; done
  python3 $C/eval.py --diffusion $R/diffusion-weights-final.pt --ar $R/ar-weights-final.pt --out $R/eval.json > $R/eval.log 2>&1
  python3 $C/export.py --diffusion $R/diffusion-weights-final.pt --ar $R/ar-weights-final.pt --out $R/onnx --spec $R/spec.json > $R/export.log 2>&1
  touch $R/after.done
  ;;
# Dream-style: a diffusion model initialised from the AR twin's weights, then its eval
adapt)
  A=$2; R=$3; MIN=$4; shift 4
  while [ ! -f $(dirname $A)/done.json ]; do sleep 5; done
  python3 $C/train.py --modes ${MODES:-diffusion} --init $A --minutes $MIN --out $R --cache ${CACHE:-/tmp/nanomind-tok} \
      --eval-minutes 100 --lr 1e-3 --warmup 100 "$@" > $R.out 2>&1
  if [ -f $R/ar-weights-final.pt ]; then ARG="--ar $R/ar-weights-final.pt"; else ARG=""; fi
  python3 $C/eval.py --diffusion $R/diffusion-weights-final.pt $ARG --out $R/eval.json > $R/eval.log 2>&1
  touch $R/after.done
  ;;
# unpack: join the parts written by pack back into one checkpoint
unpack)
  python3 - "$2" "$3" <<'PY'
import sys, glob, torch
parts = sorted(glob.glob(sys.argv[1] + ".part*.pt"))
cks = [torch.load(p, map_location="cpu", weights_only=False) for p in parts]
ck = {k: v for k, v in cks[0].items() if k not in ("part", "parts")}
ck["model"] = {k: v for c in cks for k, v in c["model"].items()}
torch.save(ck, sys.argv[2]); print(sys.argv[1], len(parts), "parts ->", sys.argv[2])
PY
  ;;
# pack: split bf16 weights into parts under 15 MiB (the device tool brings back files <= 16 MiB)
pack)
  SRC=$2; DST=$3
  python3 - "$SRC" "$DST" <<'PY'
import sys, torch
src, dst = sys.argv[1], sys.argv[2]
ck = torch.load(src, map_location="cpu", weights_only=False)
sd = ck.pop("model")
parts, cur, size = [], {}, 0
for k, v in sd.items():
    n = v.numel() * v.element_size()
    if cur and size + n > 15 * 2**20:
        parts.append(cur); cur, size = {}, 0
    cur[k] = v; size += n
parts.append(cur)
for i, p in enumerate(parts):
    torch.save({**ck, "model": p, "part": i, "parts": len(parts)}, f"{dst}.part{i}.pt")
print(src, "->", len(parts), "parts")
PY
  ;;
esac
