#!/bin/bash
# One GPU-box lease for the completion models (run from the repository root there), session 8's sequence:
# corpus v2 arrives one part per device call, then two shapes train side by side on the one GPU, each as a
# diffusion model + AR twin in lockstep (train.py), both continued from the shipped weights (the larger shape
# grown from them by grow.py, so it starts where the shipped model is), then each is evaluated on the 1200
# held-out cases and its bf16 weights packed into < 16 MiB parts for the trip back.
#   bash training/gpu_session.sh part .carry/corpus-v2-xz/partNN.tar   # one call per part (models/*.onnx moved
#        aside here so part + tree fit in 64 MiB): extracts the part's shards, checks their sha256 and tokenizes
#        them, in the background, while the next part travels
#   bash training/gpu_session.sh start       # (models/ back in the tree) waits for the parts, joins the token
#        caches, rebuilds the shipped diffusion model and AR twin from models/ (from_onnx.py), grows them to the
#        larger shape, launches one training per shape (setsid) and returns
#   bash training/gpu_session.sh poll SEC    # sleeps, prints progress (keeps the machine warm)
#   bash training/gpu_session.sh collect SHAPE   # waits for that shape's export + pack; its graphs (or parts) and logs -> $OUT
#        (WHAT=bundle: graphs + logs + maze checkpoints as one xz tar in 15 MiB pieces, one call)
#   bash training/gpu_session.sh maze MIN    # the conv maze model trains beside them (training/hrm/conv_maze.py)
# Knobs (env): INIT (folder of the shipped int8 graphs to start from, default models; .carry/init when models/ is
# moved aside to make room), INIT_PT (instead: a folder with the last lease's bf16 parts INIT_SHAPE-{diffusion,ar}.partN.pt, INIT_SHAPE default
# d256l8), SHAPES (default "d256l8 d384l8": d384l8 is the largest shape within the 50 ms warm
# rule, models/MODEL_CARD.md "Session 8"), CMIN (training minutes, default 14; 0: distillation only), LR (6e-4), CARGS (extra train.py args),
# DISTILL=1 (one self-distillation round after training, DPOOL teacher spans, DMIN minutes: continued training on
# true spans alone brings block tokens per pass back down), EARGS (extra eval.py args), NANOMIND_MAX_PREFIX /
# NANOMIND_MAX_SUFFIX (context tokens read around a span, default 384 / 128: training/completion/data.py). Every shape is exported
# to int8 ONNX (export.py, with spec.json and the parity fixture) on the box: there is no torch on the 2-core machine.
set -u
export PYTHONUNBUFFERED=1
C=training/completion
R=training/runs/lease
CV2=/tmp/cv2                 # corpus v2 shards (.jsonl.gz / .jsonl.xz as carried)
TOK=/tmp/tokcache            # token caches (per shard, then per split)
SHAPES=${SHAPES:-d256l8 d384l8}
IS=${INIT_SHAPE:-d256l8}     # the shape of the weights started from (larger SHAPES are grown from it)
mkdir -p $R $CV2
case "$1" in
part)
  P=$2; name=$(basename $P .tar)
  setsid nohup bash $0 unpack $P > $R/$name.log 2>&1 < /dev/null &
  python3 -c "import torch, tokenizers, onnxruntime; print('torch', torch.__version__, torch.cuda.get_device_name(0), 'tokenizers', tokenizers.__version__)"
  echo "$name: unpacking in the background"; sleep 5; tail -n 3 $R/part*.log
  ;;
unpack)  # (part's background job) extract, check each shard's sha256 (of its JSONL), tokenize
  set -e
  P=$2; name=$(basename $P .tar); X=$CV2/.$name
  mkdir -p $X && tar xf $P -C $X       # a folder per part: another part's SHA256SUMS is never half-written under us
  shards=$(cd $X && ls | grep -E '^(train|eval)-[0-9]+\.jsonl\.(gz|xz)$')
  echo "$shards" | xargs -P 16 -n 1 bash $0 check $X
  mv $X/*.jsonl.* $CV2/
  echo "$name: $(echo "$shards" | wc -l) shards, sha256 ok"
  python3 $C/data.py $TOK models/tokenizer.json $(echo "$shards" | sed "s|^|$CV2/|")
  touch $R/$name.done
  ;;
check)  # (unpack's helper) DIR SHARD: the shard's uncompressed sha256 against DIR/SHA256SUMS
  d=$2; f=$3; n=${f%.*}
  case $f in *.gz) h=$(gzip -dc $d/$f | sha256sum) ;; *) h=$(xz -dc $d/$f | sha256sum) ;; esac
  grep -q "^${h%% *}  $n\$" $d/SHA256SUMS || { echo "sha256 mismatch: $f"; exit 1; }
  ;;
start)
  for p in .carry/corpus-v2-xz/part*.tar; do
    n=$(basename $p .tar); for i in $(seq 1 120); do [ -f $R/$n.done ] && break; sleep 2; done
    [ -f $R/$n.done ] || { echo "$n not unpacked:"; cat $R/$n.log; exit 1; }
  done
  cat $R/part*.log
  python3 $C/train.py --prep-only --corpus $CV2 --cache $TOK --out $R/prep || exit 1
  if [ -n "${INIT_PT:-}" ]; then  # the last lease's bf16 weights (collect WHAT=weights), not the int8 graphs' rounding
    bash $C/box.sh unpack $INIT_PT/$IS-diffusion $R/d0.pt && bash $C/box.sh unpack $INIT_PT/$IS-ar $R/ar0.pt || exit 1
  else
    python3 $C/from_onnx.py ${INIT:-models}/completion-denoise.int8.onnx $R/d0.pt --check test/fixtures/completion-parity.json || exit 1
    python3 $C/from_onnx.py ${INIT:-models}/completion-ar.int8.onnx $R/ar0.pt --kind ar --check test/fixtures/completion-parity.json || exit 1
  fi
  for S in $SHAPES; do
    if [ $S = $IS ]; then D=$R/d0.pt; A=$R/ar0.pt; else
      python3 $C/grow.py $R/d0.pt --shape $S $R/d0-$S.pt --check && python3 $C/grow.py $R/ar0.pt --shape $S $R/ar0-$S.pt --check || exit 1
      D=$R/d0-$S.pt; A=$R/ar0-$S.pt; fi
    mkdir -p $R/$S
    FINAL="ln -sf diffusion-weights-final.pt $R/$S/diffusion-shipped.pt"   # the diffusion model to evaluate and export
    [ -n "${DISTILL:-}" ] && FINAL="python3 $C/distill.py --init $R/$S/diffusion-weights-final.pt --corpus $CV2 \
      --cache $TOK --out $R/$S/e --pool ${DPOOL:-65536} --minutes ${DMIN:-3} --seed 7 --eval-limit 240 > $R/$S/distill.log 2>&1 &&
      ln -sf e/diffusion-weights-final.pt $R/$S/diffusion-shipped.pt"
    TRAIN="python3 $C/train.py --modes diffusion,ar --shape $S --minutes ${CMIN:-14} --corpus $CV2 --cache $TOK \
        --out $R/$S --workers 7 --eval-minutes 5 --init $D --init-ar $A --lr ${LR:-6e-4} --warmup 100 ${CARGS:-}"
    # CMIN=0: no continued training, the starting weights go straight to distillation (a lease too short to train)
    [ "${CMIN:-14}" = 0 ] && TRAIN="ln -sf $PWD/$D $R/$S/diffusion-weights-final.pt && ln -sf $PWD/$A $R/$S/ar-weights-final.pt"
    setsid nohup bash -c "$TRAIN &&
      $FINAL &&
      python3 $C/export.py --diffusion $R/$S/diffusion-shipped.pt --ar $R/$S/ar-weights-final.pt --out $R/$S/onnx \
        --parity-fixture $R/$S/onnx/completion-parity.json --no-latency > $R/$S/export.log 2>&1 &&
      bash $C/box.sh pack $R/$S/diffusion-shipped.pt $R/$S/$S-diffusion &&
      bash $C/box.sh pack $R/$S/ar-weights-final.pt $R/$S/$S-ar && touch $R/$S/packed &&
      python3 $C/eval.py --diffusion $R/$S/diffusion-shipped.pt --ar $R/$S/ar-weights-final.pt --threshold 0.3 ${EARGS:-} \
        --out $R/$S/eval.json > $R/$S/eval.log 2>&1 && touch $R/$S/evaluated" > $R/$S.log 2>&1 < /dev/null &
  done
  sleep 90; for S in $SHAPES; do tail -n 3 $R/$S.log; done
  nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
  ;;
maze)  # MIN: the recurrent conv maze model (training/hrm/conv_maze.py) continued from the shipped graph on the same
  # GPU while the completion models train (it takes ~6 of the 16 cores and a small share of the GPU); collect's
  # bundle brings its checkpoints back
  mkdir -p training/runs/maze
  setsid nohup env PYTHONUNBUFFERED=1 python3 training/hrm/conv_maze.py train --minutes ${2:-16} \
    --init models/hrm-maze-conv.onnx --device cuda --workers 4 --threads 2 --batch 128 --max-cycles 80 \
    --start-cycles 16 --ramp 0.3 --k 6 --lr 2e-3 --far 0.5 --large-frac 0.5 \
    --out training/runs/maze/conv_maze.pt > training/runs/maze/conv_maze.log 2>&1 < /dev/null &
  sleep 45; tail -n 5 training/runs/maze/conv_maze.log
  ;;
poll)
  sleep ${2:-300}
  [ -f training/runs/maze/conv_maze.log ] && { echo "== maze"; tail -n 2 training/runs/maze/conv_maze.log; }
  for S in $SHAPES; do echo "== $S"; grep -E "held-out|Error|error" $R/$S.log | tail -n 4; tail -n 1 $R/$S.log; done
  nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
  ;;
collect)
  S=$2; O=${OUT:-$R/out}; mkdir -p $O
  # Waits at most WAIT seconds (default 120; keep it well under the call's limit and the lease's time left), then
  # copies whatever exists: a call that runs past its limit brings nothing back (session 11 lost its models so).
  # The graphs and weight parts are ready at `packed`; eval.py (PyTorch, held-out cases) runs after, to `evaluated`:
  # WAIT_FOR=evaluated waits for it too.
  for i in $(seq 1 $(( ${WAIT:-120} / 2 ))); do [ -f $R/$S/${WAIT_FOR:-packed} ] && break; sleep 2; done
  [ -f $R/$S/${WAIT_FOR:-packed} ] || echo "$S: not ${WAIT_FOR:-packed} yet (what exists is copied)"
  # WHAT=onnx (default): the int8 graphs, spec and parity fixture (~35 MB); WHAT=weights: the bf16 parts (~38 MB)
  # (onnx: laid out as a models folder, manifest.json rewritten by manifest.py: there is no onnx package here either)
  # (a d384l8 pair is 2 x 38 MB and its denoise graph 24 MB: bring one model's parts per call, WHAT=weights MODEL=ar, then
  # MODEL=diffusion, and export the int8 graphs here with export.py: a returned file is at most 16 MiB, a call 64 MiB)
  if [ "${WHAT:-onnx}" = bundle ]; then
    # the int8 graphs, spec, parity fixture, logs and the maze checkpoints in one xz tar, cut into 15 MiB pieces
    # (a returned file is at most 16 MiB, at most 8 files a call): here, `cat bundle.tar.xz.* | tar xJ`
    tar cf - $R/$S/onnx/*.int8.onnx $R/$S/onnx/spec.json $R/$S/onnx/completion-parity.json $R/$S.log \
      $R/$S/log.txt $R/$S/*.json $R/$S/*.log $R/$S/e/*.json $R/$S/e/log.txt $R/prep/log.txt \
      training/runs/maze/conv_maze*.pt training/runs/maze/conv_maze.log 2>/dev/null |
      xz -T0 -3 | split -b 15M -d - $O/bundle.tar.xz.
    ls -la $O; exit 0
  fi
  if [ "${WHAT:-onnx}" = weights ]; then cp $R/$S/$S-${MODEL:-*}.part*.pt $O/ 2>/dev/null; else
    M=$O/models; mkdir -p $M && cp models/manifest.json $M/ && cp $R/$S/onnx/spec.json $R/$S/onnx/completion-parity.json $O/
    cp $R/$S/onnx/diffusion_encode.int8.onnx $M/completion-encode.int8.onnx
    cp $R/$S/onnx/diffusion_denoise.int8.onnx $M/completion-denoise.int8.onnx
    cp $R/$S/onnx/ar_step.int8.onnx $M/completion-ar.int8.onnx
    if [ -f $R/$S/eval.json ]; then python3 $C/manifest.py --spec $R/$S/onnx/spec.json --eval $R/$S/eval.json --models $M \
      --train $R/$S/done.json $( [ -f $R/$S/e/done.json ] && echo --train $R/$S/e/done.json ) ${MARGS:+--data "$MARGS"}
    else echo "$S: no eval.json yet, so no manifest.json written (run manifest.py where onnx is installed)"; fi; fi
  tar czf $O/$S-logs.tgz $R/$S.log $R/$S/log.txt $R/$S/*.json $R/$S/eval* $R/$S/*.log $R/$S/e/*.json $R/$S/e/log.txt \
    $R/part*.log $R/prep/log.txt 2>/dev/null
  tail -n 40 $R/$S/eval.log; ls -la $O
  ;;
esac
