#!/usr/bin/env python3
"""Build corpus v2 for the completion model (issue 15, parts 1-2): v1's sources plus Debian bookworm's
python3-* / node-* packages, the upstream sources of the node-* packages, and more npm packages
(packages_v2.txt, packages_v3.txt), cleaned and deduplicated across sources.

One resumable command (downloads and extractions are cached under .cache/corpus-src/):
    python3 training/data/build_corpus_v2.py [--out .carry/corpus-v2] [--src .cache/corpus-src] [--no-fetch]

Stages
  1. fetch    apt-get download of the wanted python3-* / node-* .debs (xargs -P 8); `npm pack` of the pinned
              npm lists (packages.txt + packages_v2.txt + packages_v3.txt; tarballs only, never their
              dependencies); `apt-get source --download-only` of the Debian source packages that build the
              node-* .debs, through a private apt setup under .cache/corpus-src/debian-src/apt (the system's
              `deb` entries turned into `deb-src`, own lists and cache; the system's apt is not touched).
              Only the upstream tarballs (.orig*.tar.*) are used: they hold what the .debs leave out, chiefly
              the TypeScript sources and tests of JS projects. The archive serves only part of them (and few
              .debian.tar files): what it cannot serve is listed as attempted and not asked for again.
  2. extract  dpkg -x / tar x into .cache/corpus-src/{debian/x,npm-x,debian-src/x}/NAME, keeping only source
              files and the Debian copyright file (a source package's component tarball ORIG-COMP goes to
              NAME/COMP, as dpkg-source lays it out).
  3. license  npm: package.json `license` (SPDX, v1's check); Debian: the DEP-5 copyright file's `Files: *`
              stanza (for a source package: debian/copyright from its .debian.tar, else the same file as
              installed by one of its binary .debs); a package whose main license is not permissive or cannot
              be parsed is skipped whole.
  4. clean    v1's per-file checks (check_file: size, binary, UTF-8, minified/bundled/generated markers,
              long lines, whitespace) + an alphanumeric-share check + extra generated markers.
  5. dedup    held-out packages are read FIRST; then training packages in priority order (npm v1 list, stdlib,
              site-packages, npm v2 list + Debian python3-*, Debian node-*, npm v3 list, Debian sources: the
              later sources only add what the earlier ones lack). Exact duplicates: md5 of the
              text with all whitespace removed. Near duplicates: MinHash (64 perms) of the file's set of
              distinct stripped lines (>= 8 such lines), LSH 16x4 at Jaccard >= 0.75 against all kept
              training files; against held-out files by brute force at Jaccard >= 0.5 (stricter, no LSH
              misses). Debian packages that ARE a held-out project (node-rxjs, python3-click, ...), Debian
              source packages that build one, and npm training packages of a held-out project (@types/luxon,
              the other packages of the lexical / trpc / TanStack Query monorepos) are skipped by name as well. Upstream trees also drop
              test baselines, fixtures and snapshots (compiler outputs and data, not code).
  6. write    {train,eval}-NNNNN.jsonl.gz (id, pkg, lang, text; same format as v1 / completion/data.py),
              manifest.json, training/data/CORPUS.md, training/data/corpus_v2_packages.tsv; tokens per
              language estimated from a measured bytes-per-token ratio (count_tokens.mjs, the JS tokenizer
              of the server on models/tokenizer.json) on a random sample of kept files; the share of
              TypeScript that is declaration files (.d.ts) is reported as well.
Transfer to the GPU box: training/data/transfer.sh pack / unpack.
"""
from __future__ import annotations

import argparse
import collections
import gzip
import hashlib
import json
import multiprocessing as mp
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

if os.environ.get("PYTHONHASHSEED") != "0":  # line hashes use hash(str): make them reproducible
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable, *sys.argv])

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))
import build_corpus as v1  # noqa: E402
import corpus_v2_report as report  # noqa: E402

SRC_EXTS = tuple(v1.EXT_LANG)
DEB_SKIP_NAME = re.compile(r"-(doc|dbg|dbgsym|examples?|data|tests?)$")  # docs, debug symbols, data blobs
DEB_MAX_BYTES = 16_000_000        # bigger .debs are data sets / compiled libraries (graph-tool, sage, ...)
DEB_JOBS = 8
NPM_LISTS = ("packages.txt", "packages_v2.txt", "packages_v3.txt")  # in dedup priority order
SRC_SKIP_DIRS = {"baselines", "fixtures", "__fixtures__", "__snapshots__", "snapshots", "coverage"}  # upstream trees
MIN_ALNUM_SHARE = 0.25            # share of [A-Za-z0-9] bytes: below it the file is a table / ascii art
MIN_SIG_LINES = 8                 # fewer distinct lines: exact dedup only (line MinHash too noisy)
TRAIN_NEAR_JACCARD = 0.75         # as v1
HELDOUT_NEAR_JACCARD = 0.5        # stricter for held-out leakage
EXTRA_GENERATED = ("generated by django", "protocol buffer compiler", "generated from our openapi spec",
                   "generated by the sip", "generated by cython", "autogenerated from", "generated by swig")
ALNUM = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
DEB_LICENSE_OK = re.compile(
    r"^(expat|mit|mit-0|x11|mit/x11|bsd-[23]-clause[a-z0-9~.+-]*|0bsd|isc|apache-2(\.0)?\+?|psf(-2(\.0)?)?|"
    r"python(-2\.0)?|python-2\.0\.1|zlib|unlicense|cc0(-1\.0)?|zpl-2\.[01]|bsl-1\.0|boost-1\.0|hpnd|wtfpl)$", re.I)
# Debian names of held-out projects or of their backports (a copy of held-out stdlib code at another version).
HELDOUT_ALIASES = {"attr": "attrs", "importlib-metadata": "importlib", "importlib-resources": "importlib",
                   "unittest2": "unittest"}
# npm packages of the same project (monorepo) as a held-out npm package: their code and API are the held-out
# project's own, so they are held out by name as well (like @types/NAME for a held-out NAME, see norm_name).
HELDOUT_SIBLINGS = re.compile(r"^@(lexical|trpc|zod)/|^@tanstack/(.+-)?query(-.+)?$")
_rng = np.random.default_rng(20261205)
PERM_A = _rng.integers(1, 2**63, 64, dtype=np.uint64) | np.uint64(1)
PERM_B = _rng.integers(0, 2**63, 64, dtype=np.uint64)


def run_xargs(cmd: str, items: list[str], cwd: Path, jobs: int, per: int, retry: bool = True) -> None:
    """Runs `cmd ITEM...` over items, `per` at a time, `jobs` in parallel; a failing batch is retried item by item
    (unless retry is off: for commands that fetch what they can and fail for the rest anyway)."""
    again = f' || for x in "$@"; do {cmd} "$x" >/dev/null 2>&1; done' if retry else ""
    script = f'{cmd} "$@" >/dev/null 2>&1{again}; true'
    subprocess.run(["xargs", "-P", str(jobs), "-n", str(per), "sh", "-c", script, "_"],
                   input="\n".join(items), text=True, cwd=cwd, check=False)


# ---------------------------------------------------------------- Debian

def debian_index() -> dict[str, dict]:
    names = subprocess.run("apt-cache pkgnames python3-; apt-cache pkgnames node-", shell=True,
                           capture_output=True, text=True).stdout.split()
    if not names:
        sys.exit("apt-cache knows no python3-* packages: run `apt-get update` first")
    show = subprocess.run(["apt-cache", "show", "--no-all-versions", *sorted(set(names))],
                          capture_output=True, text=True).stdout
    meta = {}
    for stanza in show.split("\n\n"):
        f = dict(re.findall(r"^(Package|Version|Architecture|Size): (.+)$", stanza, re.M))
        if "Package" in f:
            meta[f["Package"]] = {"version": f.get("Version", "?"), "arch": f.get("Architecture", "?"),
                                  "size": int(f.get("Size", 0))}
    return meta


def fetch_debian(meta: dict, deb_dir: Path, skips, log) -> dict[str, Path]:
    deb_dir.mkdir(parents=True, exist_ok=True)
    want = {n for n, m in meta.items() if not DEB_SKIP_NAME.search(n) and m["size"] < DEB_MAX_BYTES}
    skips["deb_not_wanted_(doc_dbg_data_or_over_16MB)"] = len(meta) - len(want)
    have = {p.name.split("_")[0]: p for p in deb_dir.glob("*.deb")}
    missing = sorted(want - set(have), key=lambda n: meta[n]["size"])
    if missing:
        log(f"debian: downloading {len(missing)} of {len(want)} .debs ...")
        run_xargs("apt-get download", missing, deb_dir, DEB_JOBS, 20)
        have = {p.name.split("_")[0]: p for p in deb_dir.glob("*.deb")}
    skips["deb_download_failed"] = len(want - set(have))
    return {n: have[n] for n in sorted(want) if n in have}


def keep_sources_only(dest: Path) -> None:
    for dp, _, fns in os.walk(dest):
        for f in fns:
            p = os.path.join(dp, f)
            if os.path.islink(p) or not (f.endswith(SRC_EXTS) or f in ("copyright", "package.json")):
                os.unlink(p)


def extract_tarballs(tarballs: list[tuple[Path, str]], dest: Path) -> bool:
    """Source files (and copyright) of each (tarball, subfolder) into dest/subfolder, the tarball's top folder
    stripped as dpkg-source does; members are read, never extracted as given (no links, no paths out of dest)."""
    for tb, sub in tarballs:
        try:
            with tarfile.open(tb) as tf:
                for mem in tf:
                    rel = mem.name.lstrip("./").split("/", 1)
                    if not mem.isfile() or len(rel) < 2 or ".." in rel[1].split("/") or \
                            not (rel[1] == "copyright" if sub == "debian" else
                                 rel[1].endswith(SRC_EXTS) or rel[1].rsplit("/", 1)[-1] == "copyright"):
                        continue
                    out = dest / sub / rel[1]
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_bytes(tf.extractfile(mem).read())
        except (OSError, tarfile.TarError, EOFError):
            return False
    return True


def extract_one(args: tuple[str, Path | list, Path]) -> None:
    kind, archive, dest = args
    if (dest / ".done").exists():
        return
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    if kind == "debsrc":
        ok = extract_tarballs(archive, dest)
    else:
        cmd = ["dpkg", "-x", str(archive), str(dest)] if kind == "deb" else \
              ["tar", "xzf", str(archive), "-C", str(dest), "--no-same-owner", "--no-same-permissions"]
        ok = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    if ok:
        keep_sources_only(dest)
        (dest / ".done").touch()


def deb_license_ok(expr: str) -> bool:
    for alt in re.split(r"\s+or\s+|\s*\|\s*", expr.strip(), flags=re.I):
        terms = [t.strip(" ()") for t in re.split(r"\s+and\s+|\s*,\s*", alt, flags=re.I)]
        if terms and all(DEB_LICENSE_OK.match(t) for t in terms):
            return True
    return False


def debian_license(root: Path, name: str) -> tuple[str, bool]:
    """(main license, permissive?) of an extracted .deb."""
    return dep5_license(root / "usr/share/doc" / name / "copyright")


def dep5_license(cp: Path) -> tuple[str, bool]:
    """(main license, permissive?) from a DEP-5 copyright file's `Files: *` stanza."""
    try:
        text = cp.read_text(errors="replace")
    except OSError:
        return "no copyright file", False
    if not re.match(r"\s*format:", text, re.I):
        return "not machine-readable (DEP-5)", False
    for para in re.split(r"\n[ \t]*\n", text):
        files = re.search(r"^Files:(.*(?:\n[ \t]+.*)*)", para, re.M | re.I)
        lic = re.search(r"^License:[ \t]*(.*)$", para, re.M | re.I)
        if files and lic and "*" in files.group(1).split():
            expr = lic.group(1).strip()
            return (expr or "license text only"), bool(expr) and deb_license_ok(expr)
    return "no Files: * stanza", False


def norm_name(name: str) -> str:
    n = re.sub(r"^(python3-|node-|@types/)", "", name.lower()).lstrip("@")
    n = re.sub(r"[/._]", "-", n)
    return HELDOUT_ALIASES.get(n, n)


def debian_package(name, m, root: Path, heldout: set[str], skips, rows) -> v1.Package | None:
    """The training Package of one extracted .deb, or None (license, held-out project, extraction failed)."""
    lic, ok = debian_license(root, name)
    status = "train"
    if not (root / ".done").exists():
        status = "extract_failed"
    elif not ok:
        status = "license_skipped"
    elif norm_name(name) in heldout:
        status = "heldout_project_skipped"
    if status != "train":
        skips[f"deb_package_{status}"] += 1
        rows.append(("debian", name, m["version"], lic, status, 0, 0))
        return None
    files = [p for p in v1.walk_files(root, v1.VENDOR_DIRS, skips) if "/usr/share/doc/" not in str(p)]
    if name.startswith("node-"):  # one drop_shadowed per module folder (usr/share/nodejs/[@scope/]mod)
        groups = collections.defaultdict(list)
        for p in files:
            parts = p.relative_to(root).parts
            k = next((i for i, s in enumerate(parts) if s == "nodejs"), None)
            cut = len(parts) - 1 if k is None else min(len(parts) - 1, k + 2 + parts[k + 1].startswith("@"))
            groups[Path(*parts[:cut])].append(p)
        files = [f for g, fs in groups.items() for f in v1.drop_shadowed(fs, root / g, skips)]
    return v1.Package("debian", name, m["version"], lic, "train", sorted(files), root)


# ---------------------------------------------------------------- Debian source packages

def debsrc_apt(src: Path, update: bool) -> list[str]:
    """apt-get options for a private deb-src setup in src/debian-src/apt: the system's `deb` entries (from
    /etc/apt) as `deb-src`, with their own lists and cache; with update, refreshes its Sources index first."""
    d = src / "debian-src" / "apt"
    for sub in ("sources.list.d", "lists/partial", "cache/archives/partial"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    etc = Path("/etc/apt")
    for f in [etc / "sources.list", *sorted((etc / "sources.list.d").glob("*.list"))]:
        if f.exists():
            lines = [re.sub(r"^deb\s", "deb-src ", l) for l in f.read_text().splitlines() if re.match(r"deb\s", l)]
            (d / "sources.list.d" / f"system-{f.stem}.list").write_text("\n".join(lines) + "\n")
    for f in sorted((etc / "sources.list.d").glob("*.sources")):
        text = re.sub(r"^Types:.*$", "Types: deb-src", f.read_text(), flags=re.M | re.I)
        (d / "sources.list.d" / f"system-{f.name}").write_text(text)
    opts = ["-o", f"Dir::Etc::SourceList={d}/sources.list", "-o", f"Dir::Etc::SourceParts={d}/sources.list.d",
            "-o", f"Dir::State::Lists={d}/lists", "-o", f"Dir::Cache={d}/cache", "-o", "Acquire::Languages=none"]
    if os.geteuid() == 0:
        opts += ["-o", "APT::Sandbox::User=root"]  # the cache is ours: no download as _apt
    if update:
        subprocess.run(["apt-get", *opts, "update"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return opts


def debsrc_index(opts: list[str]) -> dict[str, dict]:
    """Source package -> {version, binaries, files: [(size, name)]} from the private Sources index (newest version)."""
    paths = subprocess.run(["apt-get", *opts, "indextargets", "--format", "$(FILENAME)", "Created-By: Sources"],
                           capture_output=True, text=True).stdout.split()
    index: dict[str, dict] = {}
    for path in paths:
        text = subprocess.run(["/usr/lib/apt/apt-helper", "cat-file", path], capture_output=True, text=True).stdout
        for stanza in text.split("\n\n"):
            f = dict(re.findall(r"^(Package|Version|Binary):[ \t]*(.*(?:\n[ \t].*)*)", stanza, re.M))
            files = re.search(r"^Files:[ \t]*\n((?:[ \t].*\n?)*)", stanza, re.M)
            if "Package" not in f or not files:
                continue
            name, version = f["Package"].strip(), f.get("Version", "?").strip()
            old = index.get(name)
            if old and subprocess.run(["dpkg", "--compare-versions", version, "le", old["version"]]).returncode == 0:
                continue
            index[name] = {"version": version,
                           "binaries": [b for b in re.split(r"[\s,]+", f.get("Binary", "")) if b],
                           "files": [(int(m[0]), m[1]) for m in re.findall(r"^\s*[0-9a-f]{32}\s+(\d+)\s+(\S+)", files.group(1), re.M)]}
    return index


def debsrc_tarballs(m: dict, tar_dir: Path) -> list[tuple[Path, str]]:
    """(tarball, subfolder) of what is downloaded of a source package: upstream tarballs (main: '', component
    COMP of .orig-COMP.tar.*: 'COMP') and the .debian.tar ('debian', for debian/copyright)."""
    out = []
    for size, fn in m["files"]:
        p = tar_dir / fn
        if not re.search(r"\.tar\.(gz|xz|bz2|lzma)$", fn) or not p.exists() or p.stat().st_size != size:
            continue
        comp = re.search(r"\.orig-([^/]+?)\.tar\.\w+$", fn)
        out.append((p, "debian" if re.search(r"\.debian\.tar\.\w+$", fn) else comp.group(1) if comp else ""))
    return out


def fetch_debsrc(index: dict, names: list[str], tar_dir: Path, opts: list[str], log) -> None:
    """apt-get source --download-only of each name's version; those tried before are not asked for again."""
    tar_dir.mkdir(parents=True, exist_ok=True)
    tried_file = tar_dir / "attempted.txt"
    tried = set(tried_file.read_text().split()) if tried_file.exists() else set()
    missing = [f"{n}={index[n]['version']}" for n in names if f"{n}={index[n]['version']}" not in tried and
               len(debsrc_tarballs(index[n], tar_dir)) < sum(".tar." in fn for _, fn in index[n]["files"])]
    if missing:
        log(f"debian-src: downloading {len(missing)} source packages ...")
        run_xargs("apt-get " + " ".join(map(shlex.quote, opts)) + " source --download-only", missing, tar_dir, 4, 20,
                  retry=False)  # apt-get fetches what the archive serves, then fails for the rest
        tried_file.write_text("".join(sorted(f"{x}\n" for x in tried | set(missing))))


def debsrc_package(name, m, root: Path, deb_x: Path, heldout: set[str], skips, rows) -> v1.Package | None:
    """The training Package of one extracted source package, or None (license, held-out project, nothing fetched)."""
    cps = [root / "debian/copyright"] + [deb_x / b / "usr/share/doc" / b / "copyright" for b in m["binaries"]]
    lic, ok = dep5_license(next((c for c in cps if c.exists()), cps[0]))
    status = "train"
    if not m["tarballs"]:
        status = "not_served_by_archive"
    elif not (root / ".done").exists():
        status = "extract_failed"
    elif not ok:
        status = "license_skipped"
    elif any(norm_name(n) in heldout for n in [name, *m["binaries"]]):
        status = "heldout_project_skipped"
    if status != "train":
        skips[f"debsrc_package_{status}"] += 1
        rows.append(("debian-src", name, m["version"], lic, status, 0, 0))
        return None
    groups = collections.defaultdict(list)  # one drop_shadowed per tarball (main tree / component folder)
    comps = {sub for _, sub in m["tarballs"] if sub and sub != "debian"}
    for p in v1.walk_files(root, v1.VENDOR_DIRS | SRC_SKIP_DIRS, skips):
        top = p.relative_to(root).parts[0]
        groups[top if top in comps else ""].append(p)
    files = [f for g, fs in groups.items() for f in v1.drop_shadowed(fs, root / g, skips)]
    return v1.Package("debian-src", name, m["version"], lic, "train", sorted(files), root)


# ---------------------------------------------------------------- npm

def tgz_name(name: str, version: str) -> str:
    return f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"


def fetch_npm(rows_in, tgz_dir: Path, log) -> None:
    tgz_dir.mkdir(parents=True, exist_ok=True)
    missing = [f"{n}@{v}" for n, v, _, _ in rows_in if not (tgz_dir / tgz_name(n, v)).exists()]
    if missing:
        log(f"npm: packing {len(missing)} tarballs ...")
        run_xargs("npm pack --silent", missing, tgz_dir, 4, 8)


def npm_package(name, version, split, x: Path, heldout: set[str], skips, rows) -> v1.Package | None:
    """The Package of one extracted npm tarball, or None (missing, license not permissive, held-out project)."""
    tops = [d for d in x.iterdir() if d.is_dir()] if (x / ".done").exists() else []
    if len(tops) != 1:
        skips["npm_package_missing"] += 1
        rows.append(("npm", name, version, "?", "missing", 0, 0))
        return None
    d = tops[0]
    try:
        lic = json.loads((d / "package.json").read_text()).get("license", "")
    except (OSError, ValueError):
        lic = ""
    lic = str(lic.get("type", "") if isinstance(lic, dict) else lic)
    if not v1.spdx_allowed(lic):
        skips["npm_package_license_skipped"] += 1
        rows.append(("npm", name, version, lic or "none", "license_skipped", 0, 0))
        return None
    if split == "train" and (norm_name(name) in heldout or HELDOUT_SIBLINGS.search(name)):
        skips["npm_package_heldout_project_skipped"] += 1
        rows.append(("npm", name, version, lic, "heldout_project_skipped", 0, 0))
        return None
    return v1.Package("npm", name, version, lic, split, v1.drop_shadowed(v1.walk_files(d, v1.VENDOR_DIRS, skips), d, skips), d)


# ---------------------------------------------------------------- per file (workers)

def line_minhash(text: str) -> np.ndarray | None:
    hs = {hash(s) for s in (l.strip() for l in text.split("\n")) if len(s) > 3}
    if len(hs) < MIN_SIG_LINES:
        return None
    h = np.fromiter(hs, dtype=np.int64, count=len(hs)).view(np.uint64)
    return ((PERM_A[:, None] * h[None, :] + PERM_B[:, None]) >> np.uint64(16)).min(axis=1)


def work(path: str):
    reason, text = v1.check_file(path)
    if reason != "ok":
        return reason, None, None, None
    raw = text.encode("utf-8", "surrogatepass")
    if len(raw) - len(raw.translate(None, ALNUM)) < MIN_ALNUM_SHARE * len(raw):
        return "low_alnum", None, None, None
    head = text[:2000].lower()
    if any(m in head for m in EXTRA_GENERATED):
        return "generated", None, None, None
    key = hashlib.md5("".join(text.split()).encode("utf-8", "surrogatepass")).digest()
    return "ok", text, key, line_minhash(text)


class LSH:
    def __init__(self, bands=16, rows=4):
        self.bands, self.rows, self.buckets, self.sigs = bands, rows, [dict() for _ in range(bands)], []

    def keys(self, sig):
        return [sig[b * self.rows:(b + 1) * self.rows].tobytes() for b in range(self.bands)]

    def find(self, sig, thr) -> bool:
        seen = set()
        for b, k in enumerate(self.keys(sig)):
            for j in self.buckets[b].get(k, ()):
                if j not in seen:
                    seen.add(j)
                    if np.count_nonzero(self.sigs[j] == sig) >= thr * len(sig):
                        return True
        return False

    def add(self, sig):
        for b, k in enumerate(self.keys(sig)):
            self.buckets[b].setdefault(k, []).append(len(self.sigs))
        self.sigs.append(sig)


# ---------------------------------------------------------------- main

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(REPO / ".carry" / "corpus-v2"))
    ap.add_argument("--src", default=str(REPO / ".cache" / "corpus-src"))
    ap.add_argument("--no-fetch", action="store_true", help="use only what is already downloaded")
    ap.add_argument("--no-debian", action="store_true", help="no Debian .debs (and so no Debian sources)")
    ap.add_argument("--no-debian-src", action="store_true", help="no Debian source packages")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--budget-min", type=float, default=1e9,
                    help="stop reading further training packages after this many minutes (the rest is listed)")
    args = ap.parse_args()
    t0 = time.time()

    def log(msg):
        print(f"[{time.time() - t0:7.1f}s] {msg}", flush=True)

    src, out = Path(args.src), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    skips: collections.Counter = collections.Counter()
    rows: list[tuple] = []  # (source, name, version, license, status, files, bytes) for the package table

    npm_lists = {f: v1.read_package_list(HERE / f) for f in NPM_LISTS}
    npm_rows = [r for f in NPM_LISTS for r in npm_lists[f]]
    hold = [l.strip() for l in (HERE / "python_holdout.txt").read_text().splitlines() if l.strip() and l[0] != "#"]
    std_hold = {h.split(":", 1)[1] for h in hold if h.startswith("stdlib:")}
    site_hold = {h.split(":", 1)[1].lower() for h in hold if h.startswith("site:")}
    heldout_names = {norm_name(n) for n, _, s, _ in npm_rows if s == "eval"} | {norm_name(n) for n in site_hold}
    heldout_names |= {norm_name(n) for n in std_hold}

    debs, meta = {}, {}
    if not args.no_debian:
        meta = debian_index()
        if args.no_fetch:
            have = {p.name.split("_")[0]: p for p in (src / "debian/debs").glob("*.deb")}
            debs = {n: p for n, p in sorted(have.items()) if n in meta}
        else:
            debs = fetch_debian(meta, src / "debian/debs", skips, log)
    if not args.no_fetch:
        fetch_npm(npm_rows, src / "npm-tgz", log)
    srcs = {}  # Debian source packages that build the node-* .debs we have
    if debs and not args.no_debian_src:
        index = debsrc_index(debsrc_apt(src, update=not args.no_fetch))
        srcs = {n: m for n, m in sorted(index.items()) if any(b.startswith("node-") and b in debs for b in m["binaries"])}
        if not args.no_fetch:
            fetch_debsrc(index, sorted(srcs), src / "debian-src/tars", debsrc_apt(src, update=False), log)
        for m in srcs.values():
            m["tarballs"] = debsrc_tarballs(m, src / "debian-src/tars")
    # Processing order = dedup priority: held-out first (the index every training file is checked against),
    # then npm v1 list, stdlib, site-packages, then npm v2 packages and Debian python3-* interleaved 1:3
    # (biggest .debs first), then Debian node-*, npm v3 list, Debian source packages (upstream tarballs).
    # Each item: (kind, name, version, split, archive(s), folder).
    npm_items = [("npm", n, v, s, src / "npm-tgz" / tgz_name(n, v), src / "npm-x" / tgz_name(n, v)[:-4])
                 for n, v, s, _ in npm_rows]
    v1_names = {n for n, *_ in npm_lists["packages.txt"]}
    v3_names = {n for n, *_ in npm_lists["packages_v3.txt"]}
    deb_items = [("deb", n, meta[n]["version"], "train", p, src / "debian/x" / n) for n, p in
                 sorted(debs.items(), key=lambda kv: (meta[kv[0]]["arch"] != "all", -meta[kv[0]]["size"]))]
    py, node = [d for d in deb_items if d[1].startswith("python3-")], [d for d in deb_items if d[1].startswith("node-")]
    v2 = [i for i in npm_items if i[1] not in v1_names | v3_names]
    v3 = [i for i in npm_items if i[1] in v3_names and i[3] == "train"]
    mixed = []
    for k in range(max(len(v2), (len(py) + 2) // 3)):
        mixed += v2[k:k + 1] + py[3 * k:3 * k + 3]
    debsrc_items = [("debsrc", n, m["version"], "train", m["tarballs"], src / "debian-src/x" / n) for n, m in srcs.items()]
    items = [i for i in npm_items if i[3] == "eval"] + ["stdlib-site-eval"] + \
            [i for i in npm_items if i[3] == "train" and i[1] in v1_names] + ["stdlib-site-train"] + mixed + node + \
            v3 + debsrc_items
    std = v1.stdlib_packages(std_hold, skips) + v1.site_packages(site_hold, skips, log)
    extractor = ThreadPoolExecutor(1)
    kinds = {"deb": "deb", "npm": "tgz", "debsrc": "debsrc"}
    futures = {i[5]: extractor.submit(extract_one, (kinds[i[0]], i[4], i[5])) for i in items
               if not isinstance(i, str) and (i[4] if i[0] == "debsrc" else i[4].exists())}
    log(f"{len(items)} work items ({len(npm_items)} npm, {len(deb_items)} Debian, {len(debsrc_items)} Debian source "
        f"packages, {sum(bool(i[4]) for i in debsrc_items)} of them with upstream tarballs); budget {args.budget_min} min")

    def packages():
        for i in items:
            if i == "stdlib-site-eval" or i == "stdlib-site-train":
                yield from (p for p in std if p.split == i.split("-")[-1])
                continue
            kind, name, version, split, archive, x = i
            if split == "train" and time.time() - t0 > args.budget_min * 60:
                if x in futures:
                    futures.pop(x).cancel()
                skips["package_not_reached_in_time_budget"] += 1
                rows.append(({"deb": "debian", "debsrc": "debian-src"}.get(kind, kind), name, version, "?",
                             "not_reached_in_time_budget", 0, 0))
                continue
            if x in futures:
                futures.pop(x).result()
            pkg = npm_package(name, version, split, x, heldout_names, skips, rows) if kind == "npm" else \
                debian_package(name, meta[name], x, heldout_names, skips, rows) if kind == "deb" else \
                debsrc_package(name, srcs[name], x, src / "debian/x", heldout_names, skips, rows)
            if pkg is not None:
                yield pkg

    exact: dict[bytes, str] = {}
    near = {"eval": LSH(), "train": LSH()}
    eval_sigs: list[np.ndarray] = []
    eval_mat = None
    docs = {"train": [], "eval": []}
    stats = []
    with mp.Pool(args.workers) as pool:
        for pkg in packages():
            if pkg.split == "train" and eval_mat is None:
                eval_mat = np.stack(eval_sigs) if eval_sigs else np.zeros((0, 64), np.uint64)
            order = sorted(pkg.files, key=lambda p: hashlib.md5(str(p.relative_to(pkg.root)).encode()).digest())
            kept, by_lang, files_lang = 0, collections.Counter(), collections.Counter()
            decl, heldout_dropped = 0, 0
            for path, (reason, text, key, sig) in zip(order, pool.imap(work, map(str, order), chunksize=16)):
                if reason != "ok":
                    skips[reason] += 1
                    continue
                if key in exact:
                    leak = exact[key] == "eval" and pkg.split == "train"
                    skips["heldout_exact_duplicate" if leak else "exact_duplicate"] += 1
                    heldout_dropped += leak
                    continue
                exact[key] = pkg.split
                if sig is not None:
                    if pkg.split == "train" and len(eval_mat) and \
                            (eval_mat == sig).sum(axis=1).max() >= HELDOUT_NEAR_JACCARD * 64:
                        skips["heldout_near_duplicate"] += 1
                        heldout_dropped += 1
                        continue
                    if near[pkg.split].find(sig, TRAIN_NEAR_JACCARD):
                        skips["near_duplicate"] += 1
                        continue
                nbytes = len(text.encode("utf-8", "surrogatepass"))
                if kept + nbytes > v1.PACKAGE_CAP_BYTES:
                    skips["package_cap"] += 1
                    continue
                if sig is not None:
                    near[pkg.split].add(sig)
                    if pkg.split == "eval":
                        eval_sigs.append(sig)
                lang = v1.EXT_LANG[path.suffix]
                kept += nbytes
                by_lang[lang] += nbytes
                files_lang[lang] += 1
                decl += nbytes if path.name.endswith(v1.DECL_SUFFIXES) else 0
                rel = path.relative_to(pkg.root).as_posix()
                docs[pkg.split].append({"id": f"{pkg.source}:{pkg.name}/{rel}", "pkg": f"{pkg.source}:{pkg.name}",
                                        "lang": lang, "text": text})
            stats.append({"source": pkg.source, "package": pkg.name, "version": pkg.version, "license": pkg.license,
                          "split": pkg.split, "files": sum(files_lang.values()), "bytes": kept,
                          "bytes_by_lang": dict(by_lang), "files_by_lang": dict(files_lang),
                          "declaration_bytes": decl, "heldout_copies_dropped": heldout_dropped})
            rows.append((pkg.source, pkg.name, pkg.version, pkg.license, pkg.split if kept else "no_files_kept",
                         sum(files_lang.values()), kept))
            if kept > 3_000_000:
                log(f"  {pkg.source}:{pkg.name} [{pkg.split}] {len(order)} -> {sum(files_lang.values())} files, "
                    f"{kept / 1e6:.2f} MB; so far train {sum(s['bytes'] for s in stats if s['split'] == 'train') / 1e6:.0f} MB")
    extractor.shutdown(cancel_futures=True)
    log("skips: " + ", ".join(f"{k}={v}" for k, v in skips.most_common()))
    return report.finish(docs, stats, skips, rows, out, HERE, log)


if __name__ == "__main__":
    sys.exit(main())
