#!/bin/bash
# Retrain the shipped completion models from scratch, evaluate them and export them into models/ (one H100).
#   bash training/completion/retrain.sh [OUT]        (default OUT=training/runs/completion)
# Needs the corpus shards in .carry/corpus (python3 training/data/build_corpus.py), corpus v2 in .carry/corpus-v2
# (python3 training/data/build_corpus_v2.py) and models/tokenizer.json.
# What session 2 ran, as two device-tool leases (training/gpu_session.sh), in one script:
#   A. the AR twin alone from scratch, 7076 steps over all 13 training shards (lease 1 trained it in lockstep
#      with a from-scratch diffusion model that was then dropped, on a GPU shared with the maze HRM);
#   B. Dream/DiffuCoder-style adaptation: the diffusion model starts from A's weights and trains with the
#      masked-diffusion loss while the AR twin continues from the same weights, in lockstep on the same
#      batches, 16400 steps, peak lr 1e-3, over shards 0-8 (what fit into one device-tool call).
#   C. (session 5) both continue in lockstep from B's weights on ALL 13 training shards: 11918 steps, peak lr
#      6e-4, warmup 100 (one 15-minute lease: --minutes 15 ended at step 11918; --steps gives the same length).
#   D. (session 6) the same again from C's weights: 12515 steps (a 17-minute lease), peak lr 6e-4, warmup 100.
# So both models saw the same data and the same number of tokens (~3.1B diffusion / 3.1B AR); D's AR twin is the
# shipped baseline.
#   E. (session 7) the diffusion model alone, self-distilled for more tokens per pass (distill.py), in two rounds
#      over training shards 0-3: round 1 from D's weights as shipped in session 6 (its int8 graph rebuilt by
#      from_onnx.py: the bf16 weights were not kept), 131072 teacher spans, 8 min; round 2 from round 1, 65536
#      spans, 4 min. The AR twin is not changed (an AR model commits one token per pass whatever it learns).
#   F. (session 15) both continued in lockstep on corpus v2 (CORPUS_V2, python3 training/data/build_corpus_v2.py:
#      610M training tokens) from E's diffusion model and D's AR twin as shipped (their int8 graphs rebuilt by
#      from_onnx.py, as the lease did): 18665 steps, peak lr 6e-4, warmup 100 (a 19-minute H200 lease); then one
#      self-distillation round, 32768 teacher spans, 4242 steps.
#   G. (session 16) both F models grown to d384l8 (grow.py: the same function in the larger shape), continued in
#      lockstep on corpus v2: 6641 steps, peak lr 4e-4, warmup 100 (12 minutes on an H100); one distillation round,
#      16384 teacher spans, 3931 steps.
#   H. (session 19) G's pair as shipped (its int8 graphs turned back into PyTorch weights by from_onnx.py, as the
#      lease did: the bf16 weights were gone), continued in lockstep on corpus v2: 4989 steps, peak lr 4e-4,
#      warmup 100 (10 minutes on an H100); one distillation round, 16384 teacher spans, 3691 steps.
#   I. (session 20) H's pair as shipped (read back from its int8 graphs by from_onnx.py), continued in lockstep on
#      corpus v2: 7825 steps, peak lr 3e-4 (lower than H's 4e-4: less of the loss re-opened at the start), warmup
#      100 (14 minutes on an H100); one distillation round, 16384 teacher spans, 3869 steps. I's pair is what
#      models/ ships.
# Smoke test of the whole chain (a few steps, a corpus of one shard): CORPUS=DIR \
#   STEPS_A=20 STEPS_B=20 STEPS_C=20 STEPS_D=20 CORPUS_V2=DIR STEPS_F=20 DSTEPS_F=10 STEPS_G=20 DSTEPS_G=10 STEPS_H=20 DSTEPS_H=10 STEPS_I=20 DSTEPS_I=10 POOL_F=512 POOL_G=512 POOL_H=512 POOL_I=512 LIMIT=60 EXTRA="--batch 8 --compile 0 --workers 2 --eval-cases 12" \
#   POOL_E=512 MIN_E=0.2 DEXTRA="--batch 8 --compile 0 --workers 2 --gen-batch 64 --eval-limit 60" \
#   bash training/completion/retrain.sh /tmp/smoke
set -eu
O=${1:-training/runs/completion}
CORPUS=${CORPUS:-.carry/corpus}; SHAPE=${SHAPE:-d256l8}; STEPS_A=${STEPS_A:-7076}; STEPS_B=${STEPS_B:-16400}; STEPS_C=${STEPS_C:-11918}; STEPS_D=${STEPS_D:-12515}; POOL_E=${POOL_E:-131072}; MIN_E=${MIN_E:-8};
CORPUS_V2=${CORPUS_V2:-.carry/corpus-v2}; STEPS_F=${STEPS_F:-18665}; DSTEPS_F=${DSTEPS_F:-4242}; STEPS_G=${STEPS_G:-6641}; DSTEPS_G=${DSTEPS_G:-3931}; POOL_F=${POOL_F:-32768}; POOL_G=${POOL_G:-16384}; STEPS_H=${STEPS_H:-4989}; DSTEPS_H=${DSTEPS_H:-3691}; POOL_H=${POOL_H:-16384}; STEPS_I=${STEPS_I:-7825}; DSTEPS_I=${DSTEPS_I:-3869}; POOL_I=${POOL_I:-16384}; EXTRA=${EXTRA:-}; DEXTRA=${DEXTRA:-}
C=training/completion
mkdir -p $O/corpus-b $O/corpus-c $O/corpus-e
for f in $CORPUS/train-0000[0-8].jsonl.gz $CORPUS/eval-00001.jsonl.gz; do [ -f $f ] && ln -f $f $O/corpus-b/; done
for f in $CORPUS/train-*.jsonl.gz $CORPUS/eval-00001.jsonl.gz; do [ -f $f ] && ln -f $f $O/corpus-c/; done
for f in $CORPUS/train-0000[0-3].jsonl.gz; do [ -f $f ] && ln -f $f $O/corpus-e/; done
python3 $C/train.py --modes ar --shape $SHAPE --steps $STEPS_A --warmup 300 --lr 2e-3 --corpus $CORPUS --out $O/a \
    --cache $O/tok-a $EXTRA
python3 $C/train.py --modes diffusion,ar --shape $SHAPE --steps $STEPS_B --warmup 100 --lr 1e-3 --corpus $O/corpus-b \
    --cache $O/tok-b --init $O/a/ar-weights-final.pt --init-ar $O/a/ar-weights-final.pt --out $O/b $EXTRA
python3 $C/train.py --modes diffusion,ar --shape $SHAPE --steps $STEPS_C --warmup 100 --lr 6e-4 --corpus $O/corpus-c \
    --cache $O/tok-c --init $O/b/diffusion-weights-final.pt --init-ar $O/b/ar-weights-final.pt --out $O/c $EXTRA
python3 $C/train.py --modes diffusion,ar --shape $SHAPE --steps $STEPS_D --warmup 100 --lr 6e-4 --corpus $O/corpus-c \
    --cache $O/tok-c --init $O/c/diffusion-weights-final.pt --init-ar $O/c/ar-weights-final.pt --out $O/d $EXTRA
python3 $C/export.py --diffusion $O/d/diffusion-weights-final.pt --out $O/onnx-d --no-latency
python3 $C/from_onnx.py $O/onnx-d/diffusion_denoise.int8.onnx $O/d/diffusion-int8-rebuilt.pt
python3 $C/distill.py --init $O/d/diffusion-int8-rebuilt.pt --corpus $O/corpus-e --cache $O/tok-e --out $O/e1 \
    --pool $POOL_E --minutes $MIN_E --seed 5 $DEXTRA
python3 $C/distill.py --init $O/e1/diffusion-weights-final.pt --corpus $O/corpus-e --cache $O/tok-e --out $O/e2 \
    --pool $((POOL_E / 2)) --minutes $(python3 -c "print($MIN_E / 2)") --seed 6 $DEXTRA
python3 $C/export.py --diffusion $O/e2/diffusion-weights-final.pt --ar $O/d/ar-weights-final.pt --out $O/onnx-e --no-latency
python3 $C/from_onnx.py $O/onnx-e/diffusion_denoise.int8.onnx $O/e2/diffusion-int8-rebuilt.pt
python3 $C/from_onnx.py $O/onnx-e/ar_step.int8.onnx $O/d/ar-int8-rebuilt.pt --kind ar
python3 $C/train.py --modes diffusion,ar --shape $SHAPE --steps $STEPS_F --warmup 100 --lr 6e-4 --corpus $CORPUS_V2 \
    --cache $O/tok-v2 --init $O/e2/diffusion-int8-rebuilt.pt --init-ar $O/d/ar-int8-rebuilt.pt --out $O/f $EXTRA
python3 $C/distill.py --init $O/f/diffusion-weights-final.pt --corpus $CORPUS_V2 --cache $O/tok-v2 --out $O/f/e \
    --pool $POOL_F --steps $DSTEPS_F --seed 7 $DEXTRA
python3 $C/grow.py $O/f/e/diffusion-weights-final.pt --shape d384l8 $O/g0-diffusion.pt --check
python3 $C/grow.py $O/f/ar-weights-final.pt --shape d384l8 $O/g0-ar.pt --check
# One continuation (stages G on): a diffusion model and its AR twin (weights D and A) trained in lockstep on corpus v2
# into $O/STAGE, then one self-distillation round of the diffusion model into $O/STAGE/e:
#   continue_pair STAGE D A STEPS PEAK_LR DISTILL_STEPS TEACHER_SPANS   (warmup 100 steps)
# (call it as a plain command, never in `a && b`: bash ignores `set -e` inside a function called there)
continue_pair() {
  python3 $C/train.py --modes diffusion,ar --shape d384l8 --steps $4 --warmup 100 --lr $5 --corpus $CORPUS_V2 \
      --cache $O/tok-v2 --init $2 --init-ar $3 --out $O/$1 $EXTRA
  python3 $C/distill.py --init $O/$1/diffusion-weights-final.pt --corpus $CORPUS_V2 --cache $O/tok-v2 --out $O/$1/e \
      --pool $7 --steps $6 --seed 7 $DEXTRA
}
# A stage's pair as the next lease started from it: exported to int8 ONNX and read back into PyTorch (from_onnx.py;
# the leases kept only the graphs): read_back STAGE
read_back() {
  python3 $C/export.py --diffusion $O/$1/e/diffusion-weights-final.pt --ar $O/$1/ar-weights-final.pt --out $O/onnx-$1 --no-latency
  python3 $C/from_onnx.py $O/onnx-$1/diffusion_denoise.int8.onnx $O/$1/e/diffusion-int8-rebuilt.pt
  python3 $C/from_onnx.py $O/onnx-$1/ar_step.int8.onnx $O/$1/ar-int8-rebuilt.pt --kind ar
}
continue_pair g $O/g0-diffusion.pt $O/g0-ar.pt $STEPS_G 4e-4 $DSTEPS_G $POOL_G
read_back g
continue_pair h $O/g/e/diffusion-int8-rebuilt.pt $O/g/ar-int8-rebuilt.pt $STEPS_H 4e-4 $DSTEPS_H $POOL_H
read_back h
continue_pair i $O/h/e/diffusion-int8-rebuilt.pt $O/h/ar-int8-rebuilt.pt $STEPS_I 3e-4 $DSTEPS_I $POOL_I
python3 $C/eval.py --diffusion $O/i/e/diffusion-weights-final.pt --ar $O/i/ar-weights-final.pt --out $O/i/e/eval-all.json \
    --threshold 0.3 --limit ${LIMIT:-0}
python3 $C/export.py --diffusion $O/i/e/diffusion-weights-final.pt --ar $O/i/ar-weights-final.pt --out $O/onnx \
    --spec $C/spec.json --parity-fixture test/fixtures/completion-parity.json --no-latency
cp $O/onnx/diffusion_encode.int8.onnx models/completion-encode.int8.onnx
cp $O/onnx/diffusion_denoise.int8.onnx models/completion-denoise.int8.onnx
cp $O/onnx/ar_step.int8.onnx models/completion-ar.int8.onnx
python3 $C/manifest.py --spec $C/spec.json --eval $O/i/e/eval-all.json --train $O/d/done.json --train $O/e1/done.json \
    --train $O/e2/done.json --train $O/f/done.json --train $O/f/e/done.json --train $O/g/done.json --train $O/g/e/done.json \
    --train $O/h/done.json --train $O/h/e/done.json --train $O/i/done.json --train $O/i/e/done.json
# Then the confidence gate for the new pair, on training-split infills (no GPU): npm run bench:completion-gate -- --apply
