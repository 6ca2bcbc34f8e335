"""Output half of build_corpus_v2.py: shards, token estimate, manifest.json, CORPUS.md, the package table."""
from __future__ import annotations

import collections
import gzip
import hashlib
import json
import random
import subprocess
from pathlib import Path

SHARD_TARGET_BYTES = 16_000_000   # uncompressed text per shard, as v1
SAMPLE_DOCS = 600                 # per language, for the bytes-per-token ratio (each cut to SAMPLE_CHARS)
SAMPLE_CHARS = 8000
TARGET_TOKENS = 600e6
TARGET_SHARE = {"python": 0.40, "typescript": 0.20}


def write_shards(docs: dict, out: Path, log) -> list[dict]:
    for old in out.glob("*.jsonl.gz"):
        old.unlink()
    shards = []
    for split, items in docs.items():
        random.Random(1234).shuffle(items)  # every shard mixes packages and languages
        idx, buf, size = 0, [], 0

        def flush():
            nonlocal idx, buf, size
            if not buf:
                return
            name = f"{split}-{idx:05d}.jsonl.gz"
            data = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in buf).encode("utf-8", "surrogatepass")
            with open(out / name, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", compresslevel=6, mtime=0) as gz:
                gz.write(data)
            shards.append({"name": name, "split": split, "docs": len(buf), "text_bytes": size,
                           "jsonl_bytes": len(data), "jsonl_sha256": hashlib.sha256(data).hexdigest(),
                           "gz_bytes": (out / name).stat().st_size,
                           "sha256": hashlib.sha256((out / name).read_bytes()).hexdigest()})
            idx, buf, size = idx + 1, [], 0
        for d in items:
            buf.append(d)
            size += len(d["text"].encode("utf-8", "surrogatepass"))
            if size >= SHARD_TARGET_BYTES:
                flush()
        flush()
    log(f"wrote {len(shards)} shards to {out}")
    return shards


def bytes_per_token(docs: dict, out: Path, repo: Path, log) -> dict:
    """Measured on a random sample of training files per language with the server's tokenizer (node)."""
    rng = random.Random(7)
    by_lang = collections.defaultdict(list)
    for d in docs["train"]:
        by_lang[d["lang"]].append(d)
    sample = out / "token-sample.jsonl"
    with open(sample, "w", encoding="utf-8") as f:
        for lang, items in by_lang.items():
            for d in rng.sample(items, min(SAMPLE_DOCS, len(items))):
                text = d["text"][:SAMPLE_CHARS]
                f.write(json.dumps({"lang": lang, "text": text[:text.rfind("\n") + 1] or text}, ensure_ascii=False) + "\n")
    res = subprocess.run(["node", str(repo / "training/data/count_tokens.mjs"), str(sample),
                          str(repo / "models/tokenizer.json")], capture_output=True, text=True, cwd=repo)
    sample.unlink()
    if res.returncode != 0:
        log("token count failed: " + res.stderr[-500:])
        return {}
    return json.loads(res.stdout)


def finish(docs, stats, skips, rows, out: Path, here: Path, log) -> int:
    repo = here.parent.parent
    bpt = bytes_per_token(docs, out, repo, log)
    shards = write_shards(docs, out, log)
    totals = collections.defaultdict(lambda: {"files": 0, "bytes": 0, "tokens_est": 0})
    for s in stats:
        for lang, b in s["bytes_by_lang"].items():
            t = totals[f"{s['split']}/{lang}"]
            t["bytes"] += b
            t["files"] += s["files_by_lang"][lang]
    for k, t in totals.items():
        r = bpt.get(k.split("/")[1], {}).get("bytes_per_token")
        t["tokens_est"] = int(t["bytes"] / r) if r else 0
    train_tok = sum(t["tokens_est"] for k, t in totals.items() if k.startswith("train/"))
    share = {k.split("/")[1]: t["tokens_est"] / max(1, train_tok) for k, t in totals.items() if k.startswith("train/")}
    shortfalls = []
    if train_tok < TARGET_TOKENS:
        shortfalls.append(f"size: {train_tok / 1e6:.1f}M training tokens < 600M (short by {(TARGET_TOKENS - train_tok) / 1e6:.1f}M)")
    for lang, want in TARGET_SHARE.items():
        if share.get(lang, 0) < want:
            need = (want * train_tok - totals[f"train/{lang}"]["tokens_est"]) / (1 - want)
            shortfalls.append(f"{lang}: {share.get(lang, 0):.1%} of training tokens < {want:.0%} "
                              f"(needs {need / 1e6:.1f}M more {lang} tokens at this size)")
    by_source = collections.defaultdict(collections.Counter)  # per source: packages, bytes per language, ...
    for s in stats:
        if s["split"] == "train":
            c = by_source[s["source"]]
            c["packages"] += bool(s["bytes"])
            c.update(s["bytes_by_lang"])
            c["declarations"] += s.get("declaration_bytes", 0)
            c["heldout_copies_dropped"] += s.get("heldout_copies_dropped", 0)
    decl = sum(c["declarations"] for c in by_source.values())
    licenses = collections.defaultdict(lambda: {"packages": 0, "bytes": 0})
    for s in stats:
        if s["bytes"]:
            lic = licenses[(s["source"], s["license"])]
            lic["packages"] += 1
            lic["bytes"] += s["bytes"]
    manifest = {"built_by": "training/data/build_corpus_v2.py", "tokenizer": "models/tokenizer.json",
                "bytes_per_token": bpt, "totals": dict(sorted(totals.items())), "train_tokens_est": train_tok,
                "train_token_share": share, "shortfalls": shortfalls, "train_typescript_declaration_bytes": decl,
                "train_by_source": {k: dict(v) for k, v in sorted(by_source.items())},
                "skips": dict(skips.most_common()), "packages": stats, "shards": shards}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    rows.sort(key=lambda r: (r[0], r[1]))
    with open(here / "corpus_v2_packages.tsv", "w") as f:
        f.write("source\tname\tversion\tlicense\tstatus\tfiles\tbytes\n")
        f.writelines("\t".join(map(str, r)) + "\n" for r in rows)
    (here / "CORPUS.md").write_text(markdown(manifest, licenses, rows))
    for k, t in sorted(totals.items()):
        log(f"  {k:22s} {t['files']:8d} files {t['bytes'] / 1e6:9.1f} MB {t['tokens_est'] / 1e6:8.1f}M tokens")
    log(f"training tokens (est.): {train_tok / 1e6:.1f}M; shares " + ", ".join(f"{k} {v:.1%}" for k, v in share.items()))
    log(f"typescript declaration files (.d.ts): {decl / 1e6:.1f} MB of {totals['train/typescript']['bytes'] / 1e6:.1f} MB")
    for k, c in sorted(by_source.items()):
        log(f"  source {k:10s} {c['packages']:5d} packages; MB " + ", ".join(
            f"{lang} {c[lang] / 1e6:.1f}" for lang in ("python", "javascript", "typescript")) +
            f"; held-out copies dropped {c['heldout_copies_dropped']}")
    for s in shortfalls:
        log("SHORTFALL: " + s)
    return 0


def markdown(m: dict, licenses: dict, rows: list) -> str:
    L = ["# Code corpus v2", "",
         "Generated by `python3 training/data/build_corpus_v2.py` (see its docstring). The corpus is not in git: it",
         "lands in `.carry/corpus-v2/` (shards + `manifest.json`); `training/data/transfer.sh pack` makes the",
         "xz parts for the GPU box. Every package with its version, license and status: `corpus_v2_packages.tsv`.", "",
         "## Totals per split and language", "",
         "Tokens are estimated: bytes / (bytes per token measured with `count_tokens.mjs`, i.e. the server's",
         "@huggingface/tokenizers on `models/tokenizer.json`, on a random sample of up to "
         f"{SAMPLE_DOCS} training files per language, each cut to its first {SAMPLE_CHARS} characters at a line end).", "",
         "| split | language | files | MB | bytes/token | tokens (est.) | share of train tokens |", "|---|---|---|---|---|---|---|"]
    for k, t in m["totals"].items():
        s, lang = k.split("/")
        r = m["bytes_per_token"].get(lang, {}).get("bytes_per_token", 0)
        sh = f"{m['train_token_share'].get(lang, 0):.1%}" if s == "train" else ""
        L.append(f"| {s} | {lang} | {t['files']} | {t['bytes'] / 1e6:.1f} | {r:.3f} | {t['tokens_est'] / 1e6:.1f}M | {sh} |")
    L += ["", f"Training tokens (est.): **{m['train_tokens_est'] / 1e6:.1f}M** (target >= 600M; Python >= 40%, "
          "TypeScript >= 20%, rest JavaScript).", ""]
    L += ["Shortfalls:", ""] + [f"- {s}" for s in m["shortfalls"]] if m["shortfalls"] else ["All targets met."]
    ts = m["totals"].get("train/typescript", {}).get("bytes", 0)
    L += ["", f"Of the training TypeScript, {m['train_typescript_declaration_bytes'] / 1e6:.1f} MB of {ts / 1e6:.1f} MB "
          f"({m['train_typescript_declaration_bytes'] / max(1, ts):.0%}) are declaration files (.d.ts) with no implementation "
          "beside them (hand-written typings, or the typings of a package that ships bundled JS).", "",
          "## Training text per source", "",
          "`debian-src`: upstream tarballs of the Debian source packages that build the node-* .debs (what the .debs "
          "leave out). Held-out copies: training files of that source dropped as exact or near duplicates of a "
          "held-out file.", "",
          "| source | packages with files | Python MB | JavaScript MB | TypeScript MB | of it .d.ts MB | held-out copies dropped |",
          "|---|---|---|---|---|---|---|"]
    for k, c in m["train_by_source"].items():
        L.append(f"| {k} | {c.get('packages', 0)} | {c.get('python', 0) / 1e6:.1f} | {c.get('javascript', 0) / 1e6:.1f} | "
                 f"{c.get('typescript', 0) / 1e6:.1f} | {c.get('declarations', 0) / 1e6:.1f} | {c.get('heldout_copies_dropped', 0)} |")
    L += ["", "## Filters (files unless named `package`)", "", "| reason | count |", "|---|---|"]
    L += [f"| {k} | {v} |" for k, v in m["skips"].items()]
    L += ["", "`heldout_near_duplicate` / `heldout_exact_duplicate`: training files dropped because they (nearly)",
          "repeat a held-out file (line-set MinHash Jaccard >= 0.5); `deb_package_heldout_project_skipped` /",
          "`debsrc_package_heldout_project_skipped` / `npm_package_heldout_project_skipped`: Debian (source) packages",
          "and npm packages of a held-out project, dropped by name.", "",
          f"Shards: {len(m['shards'])}, {sum(s['gz_bytes'] for s in m['shards']) / 2**20:.1f} MiB gzipped.", "",
          "## Licenses of the kept packages", "", "| source | license | packages | MB |", "|---|---|---|---|"]
    for (src, lic), v in sorted(licenses.items(), key=lambda kv: -kv[1]["bytes"]):
        L.append(f"| {src} | {lic} | {v['packages']} | {v['bytes'] / 1e6:.2f} |")
    st = collections.Counter((r[0], r[4]) for r in rows)
    L += ["", "## Packages by source and status", "", "| source | status | packages |", "|---|---|---|"]
    L += [f"| {a} | {b} | {n} |" for (a, b), n in sorted(st.items())]
    L += ["", "## Held out for evaluation (whole packages / modules)", ""]
    L += [f"- {p['source']}:{p['package']} {p['version']} ({p['license']}): {p['files']} files, "
          f"{p['bytes'] / 1e6:.2f} MB" for p in m["packages"] if p["split"] == "eval"]
    return "\n".join(L) + "\n"
