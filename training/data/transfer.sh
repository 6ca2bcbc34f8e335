#!/usr/bin/env bash
# Carry corpus v2 (.carry/corpus-v2, built by training/data/build_corpus_v2.py) to the GPU box in parts.
#
#   bash training/data/transfer.sh pack     # here: .carry/corpus-v2-xz/partNN.tar, each <= 50 MiB
#   bash training/data/transfer.sh unpack   # GPU box, repo root: whatever parts are present -> .carry/corpus-v2
#
# A part is a plain tar of shards plus SHA256SUMS (sha256 of every shard's uncompressed JSONL) and manifest.json.
# Members are the .jsonl.gz shards themselves by default, or with PACK_XZ=N (e.g. PACK_XZ=3) each shard's JSONL
# recompressed with xz -N: measured here on 16 MB of JSONL, gzip -6 3.7 MB, xz -3 3.1 MB (4 MB/s a core), xz -6
# 2.7 MB (1.6 MB/s a core). On the shared 2-core machine (load ~25 during the first build) xz ran at ~0.1 MB/s, so
# the first parts were packed without it; PACK_XZ=3 saves ~15% of the parts when the CPU is free.
# unpack turns every member back into {split}-NNNNN.jsonl.gz (the format training/completion/data.py reads)
# after checking its sha256 (every part present is unpacked again).
#
# Device-call sequence (the device tool carries <= 64 MiB per call, tracked tree included; models/ is ~40 MB):
#   1. here, once:   bash training/data/transfer.sh pack   (or PACK_XZ=3 ...) ; ls -l .carry/corpus-v2-xz/
#   2. here:         mv models /tmp/models-aside          (so the tracked tree + one part fit in 64 MiB)
#   3. one device call per part, e.g. for part 00 (then 01, 02, ... in further calls):
#        run  command: "bash training/data/transfer.sh unpack && du -sh .carry/corpus-v2"
#             carry:   [".carry/corpus-v2-xz/part00.tar"]
#      The box keeps ignored outputs between calls of a warm machine, so .carry/corpus-v2 grows call by call;
#      unpack prints which parts are in and which shards are still missing. If the machine went back
#      (cold start), the earlier parts are gone: carry them again.
#   4. here, after the last part:   mv /tmp/models-aside models   (or: git checkout models)
#   5. train with --corpus .carry/corpus-v2 once every part is in (unpack says "complete").
set -euo pipefail
cd "$(git rev-parse --show-toplevel 2>/dev/null || pwd)"
CORPUS=.carry/corpus-v2
XZDIR=.carry/corpus-v2-xz
# 48 MiB: a part and the tracked tree without the completion graphs (~15 MB) fit in one 64 MiB call
PART_LIMIT=$(( ${PART_MIB:-48} * 1024 * 1024 ))

pack() {
  [ -f "$CORPUS/manifest.json" ] || { echo "no $CORPUS/manifest.json: run build_corpus_v2.py first" >&2; exit 1; }
  rm -f "$XZDIR"/part*.tar && mkdir -p "$XZDIR/stage"
  ls "$CORPUS" | grep -E '^(train|eval)-[0-9]+\.jsonl\.gz$' | sort > "$XZDIR/stage/list"
  # Two shards at a time (2 cores): hash the JSONL, and with PACK_XZ=N recompress it with xz -N (kept while
  # newer than its shard); without PACK_XZ the .gz shard itself goes into the part (no CPU: see the top).
  xargs -P 2 -I{} sh -c 'n=$(basename {} .gz); s="'"$XZDIR"'/stage/$n"; c="'"$CORPUS"'/{}";
      if [ -z "'"${PACK_XZ:-}"'" ]; then rm -f "$s.xz"; ln -f "$c" "$s.gz" 2>/dev/null || cp "$c" "$s.gz"; fi;
      [ -s "$s.sha256" ] && [ "$s.sha256" -nt "$c" ] && { [ -z "'"${PACK_XZ:-}"'" ] || [ -s "$s.xz" ]; } && exit 0;
      gzip -dc "$c" > "$s" && (cd "'"$XZDIR"'/stage" && sha256sum "$n" > "$n.sha256") &&
      if [ -n "'"${PACK_XZ:-}"'" ]; then rm -f "$s.gz"; xz -"'"${PACK_XZ:-3}"'" -T1 -f "$s"; else rm -f "$s"; fi' < "$XZDIR/stage/list"
  cat "$XZDIR"/stage/*.sha256 | sort -k2 > "$XZDIR/SHA256SUMS"
  cp "$CORPUS/manifest.json" "$XZDIR/manifest.json"
  local part=0 size=0 members=()
  flush() {
    [ ${#members[@]} -gt 0 ] || return 0
    local name; name=$(printf 'part%02d.tar' "$part")
    tar cf "$XZDIR/$name" -C "$XZDIR" SHA256SUMS manifest.json -C stage "${members[@]}"
    echo "$name $(stat -c %s "$XZDIR/$name") bytes, ${#members[@]} shards"
    part=$((part + 1)); size=0; members=()
  }
  local base=$(( $(stat -c %s "$XZDIR/manifest.json") + $(stat -c %s "$XZDIR/SHA256SUMS") + 65536 ))
  # eval shards first (names sort so), so part00 alone gives a usable held-out split.
  for f in $(cd "$XZDIR/stage" && ls | grep -E '^(eval|train)-[0-9]+\.jsonl\.(xz|gz)$' | sort); do
    local s; s=$(stat -c %s "$XZDIR/stage/$f")
    if [ $((base + size + s + 1024)) -gt "$PART_LIMIT" ]; then flush; fi
    members+=("$f"); size=$((size + s + 1024))
  done
  flush
  (cd "$XZDIR" && sha256sum part*.tar > PARTS.sha256)
  ls -l "$XZDIR"
}

unpack() {
  mkdir -p "$CORPUS"
  local tmp; tmp=$(mktemp -d)
  shopt -s nullglob
  local parts=("$XZDIR"/part*.tar)
  [ ${#parts[@]} -gt 0 ] || { echo "no $XZDIR/part*.tar here: carry one" >&2; exit 1; }
  for p in "${parts[@]}"; do
    rm -rf "$tmp"/* && tar xf "$p" -C "$tmp"
    cp "$tmp/manifest.json" "$CORPUS/manifest.json"
    cp "$tmp/SHA256SUMS" "$CORPUS/SHA256SUMS"
    for x in "$tmp"/*.jsonl.xz "$tmp"/*.jsonl.gz; do
      local n="${x##*/}"; n="${n%.*}"
      if [ "${x##*.}" = xz ]; then xz -dc "$x" > "$tmp/$n"; else gzip -dc "$x" > "$tmp/$n"; fi
      (cd "$tmp" && grep " $n\$" SHA256SUMS | sha256sum -c --quiet -) || { echo "sha256 mismatch: $n ($p)" >&2; exit 1; }
      if [ "${x##*.}" = xz ]; then gzip -6 -n -c "$tmp/$n" > "$CORPUS/$n.gz.tmp"; else cp "$x" "$CORPUS/$n.gz.tmp"; fi
      mv "$CORPUS/$n.gz.tmp" "$CORPUS/$n.gz"
      rm -f "$tmp/$n"
    done
    echo "unpacked $p (sha256 ok)"
  done
  rm -rf "$tmp"
  local missing=0
  while read -r _ n; do [ -f "$CORPUS/$n.gz" ] || missing=$((missing + 1)); done < "$CORPUS/SHA256SUMS"
  if [ "$missing" -eq 0 ]; then echo "corpus-v2 complete: $(ls "$CORPUS"/*.jsonl.gz | wc -l) shards"
  else echo "corpus-v2 incomplete: $missing shards still missing (carry the other parts)"; fi
}

case "${1:-}" in
  pack) pack ;;
  unpack) unpack ;;
  *) echo "usage: $0 pack|unpack" >&2; exit 2 ;;
esac
