#!/bin/bash
# Retrain the shipped completion models from scratch, evaluate them and export them into models/ (one H100).
#   bash training/completion/retrain.sh [OUT]        (default OUT=training/runs/completion)
# Needs the corpus shards in .carry/corpus (python3 training/data/build_corpus.py) and models/tokenizer.json.
# What session 2 ran, as two device-tool leases (training/gpu_session.sh), in one script:
#   A. the AR twin alone from scratch, 7076 steps over all 13 training shards (lease 1 trained it in lockstep
#      with a from-scratch diffusion model that was then dropped, on a GPU shared with the maze HRM);
#   B. Dream/DiffuCoder-style adaptation: the diffusion model starts from A's weights and trains with the
#      masked-diffusion loss while the AR twin continues from the same weights, in lockstep on the same
#      batches, 16400 steps, peak lr 1e-3, over shards 0-8 (what fit into one device-tool call).
#   C. (session 5) both continue in lockstep from B's weights on ALL 13 training shards: 11918 steps, peak lr
#      6e-4, warmup 100 (one 15-minute lease: --minutes 15 ended at step 11918; --steps gives the same length).
#   D. (session 6) the same again from C's weights: 12515 steps (a 17-minute lease), peak lr 6e-4, warmup 100.
# So both shipped models saw the same data and the same number of tokens (~3.1B diffusion / 3.1B AR).
# Smoke test of the whole chain (a few steps, a corpus of one shard): CORPUS=DIR \
#   STEPS_A=20 STEPS_B=20 STEPS_C=20 STEPS_D=20 LIMIT=60 EXTRA="--batch 8 --compile 0 --workers 2 --eval-cases 12" \
#   bash training/completion/retrain.sh /tmp/smoke
set -eu
O=${1:-training/runs/completion}
CORPUS=${CORPUS:-.carry/corpus}; SHAPE=${SHAPE:-d256l8}; STEPS_A=${STEPS_A:-7076}; STEPS_B=${STEPS_B:-16400}; STEPS_C=${STEPS_C:-11918}; STEPS_D=${STEPS_D:-12515}; EXTRA=${EXTRA:-}
C=training/completion
mkdir -p $O/corpus-b $O/corpus-c
for f in $CORPUS/train-0000[0-8].jsonl.gz $CORPUS/eval-00001.jsonl.gz; do [ -f $f ] && ln -f $f $O/corpus-b/; done
for f in $CORPUS/train-*.jsonl.gz $CORPUS/eval-00001.jsonl.gz; do [ -f $f ] && ln -f $f $O/corpus-c/; done
python3 $C/train.py --modes ar --shape $SHAPE --steps $STEPS_A --warmup 300 --lr 2e-3 --corpus $CORPUS --out $O/a \
    --cache $O/tok-a $EXTRA
python3 $C/train.py --modes diffusion,ar --shape $SHAPE --steps $STEPS_B --warmup 100 --lr 1e-3 --corpus $O/corpus-b \
    --cache $O/tok-b --init $O/a/ar-weights-final.pt --init-ar $O/a/ar-weights-final.pt --out $O/b $EXTRA
python3 $C/train.py --modes diffusion,ar --shape $SHAPE --steps $STEPS_C --warmup 100 --lr 6e-4 --corpus $O/corpus-c \
    --cache $O/tok-c --init $O/b/diffusion-weights-final.pt --init-ar $O/b/ar-weights-final.pt --out $O/c $EXTRA
python3 $C/train.py --modes diffusion,ar --shape $SHAPE --steps $STEPS_D --warmup 100 --lr 6e-4 --corpus $O/corpus-c \
    --cache $O/tok-c --init $O/c/diffusion-weights-final.pt --init-ar $O/c/ar-weights-final.pt --out $O/d $EXTRA
python3 $C/eval.py --diffusion $O/d/diffusion-weights-final.pt --ar $O/d/ar-weights-final.pt --out $O/d/eval.json \
    --limit ${LIMIT:-0}
python3 $C/export.py --diffusion $O/d/diffusion-weights-final.pt --ar $O/d/ar-weights-final.pt --out $O/onnx \
    --spec $C/spec.json --parity-fixture test/fixtures/completion-parity.json --no-latency
cp $O/onnx/diffusion_encode.int8.onnx models/completion-encode.int8.onnx
cp $O/onnx/diffusion_denoise.int8.onnx models/completion-denoise.int8.onnx
cp $O/onnx/ar_step.int8.onnx models/completion-ar.int8.onnx
python3 $C/manifest.py --spec $C/spec.json --eval $O/d/eval.json --train $O/d/done.json
