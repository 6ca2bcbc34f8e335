#!/usr/bin/env bash
# Installs what the end-to-end tests need: Debian's chromium and ripgrep, and a
# working code-server (a real VS Code for the web) under .cache/code-server/.
#
# code-server cannot be installed the normal way here: its postinstall clones a
# dependency from GitHub and a few packages download prebuilt binaries. So we
# install every package with --ignore-scripts and build only the native modules
# VS Code's server really needs with `npm rebuild` (node-gyp against Node's
# headers).
#
# Idempotent: a stamp file records the finished version, so a second run only
# checks the stamp and the system binaries (a few seconds).
set -euo pipefail

CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.96.4}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache"
PREFIX="$CACHE/code-server"               # npm project that holds code-server
CS="$PREFIX/node_modules/code-server"     # the code-server package itself
STAMP="$PREFIX/.installed"
started=$(date +%s)

log() { printf '[setup-e2e] %s\n' "$*"; }
finish() { log "done in $(( $(date +%s) - started ))s"; }

# --- system packages ---------------------------------------------------------
# chromium and rg always; a C++ toolchain only if this machine lacks one (the
# native modules below are built from source with node-gyp).
need=()
[[ -x /usr/bin/chromium ]] || need+=(chromium fonts-dejavu-core)
[[ -x /usr/bin/rg ]] || need+=(ripgrep)
[[ -x /usr/bin/strace ]] || need+=(strace)  # the privacy test traces the server's system calls
command -v make >/dev/null || need+=(make)
command -v g++ >/dev/null || need+=(g++)
command -v python3 >/dev/null || need+=(python3)
if (( ${#need[@]} )); then
  if [[ "$(id -u)" == 0 ]]; then
    log "installing from Debian: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    log "ERROR: missing ${need[*]} and not root; run: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi

# --- code-server ---------------------------------------------------------------
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$CODE_SERVER_VERSION" && -f "$CS/out/node/entry.js" ]]; then
  log "code-server $CODE_SERVER_VERSION already installed in ${PREFIX#"$ROOT"/}"
  finish
  exit 0
fi

log "installing code-server@$CODE_SERVER_VERSION into ${PREFIX#"$ROOT"/} (takes a few minutes)"
rm -rf "$PREFIX"
mkdir -p "$PREFIX"
# A private package.json so npm does not walk up into the repository's own
# package.json / lockfile. The .npmrc keeps npm quiet and away from the repo's.
cat >"$PREFIX/package.json" <<'EOF'
{ "name": "nanomind-e2e-code-server", "private": true }
EOF
: >"$PREFIX/.npmrc"

NPM_QUIET=(--no-audit --no-fund --loglevel=error)
# `npm test` runs this script through `npm run`, which passes the project's .npmrc settings down as
# npm_config_* variables: its ignore-scripts=true would turn the `npm rebuild`s below into silent no-ops
# (they need the build scripts), so they say --ignore-scripts=false themselves.
REBUILD=(rebuild "${NPM_QUIET[@]}" --ignore-scripts=false)
# Debug builds of native modules are never needed; fewer jobs than cores keeps
# the 2-core machine responsive. JOBS is read by node-gyp.
export JOBS="${JOBS:-2}"
# node-gyp must build against the local Node's headers: downloading them from
# nodejs.org is not possible here.
if [[ -z "${npm_config_nodedir:-}" ]]; then
  for d in "$(dirname "$(dirname "$(command -v node)")")" /usr /usr/local; do
    if [[ -f "$d/include/node/node.h" ]]; then export npm_config_nodedir="$d"; break; fi
  done
fi

( cd "$PREFIX" && npm install "${NPM_QUIET[@]}" --ignore-scripts --no-package-lock "code-server@$CODE_SERVER_VERSION" )

# VS Code's own server dependencies. Its npm-shrinkwrap.json pins a GitHub
# tarball that cannot be fetched here, so resolve from the registry instead.
VSC="$CS/lib/vscode"
if [[ -f "$VSC/npm-shrinkwrap.json" ]]; then mv "$VSC/npm-shrinkwrap.json" "$VSC/npm-shrinkwrap.json.orig"; fi
( cd "$VSC" && npm install "${NPM_QUIET[@]}" --omit=dev --ignore-scripts --no-package-lock )
# Native modules the server needs (kerberos is optional and wants libkrb5-dev: skipped).
log "building native modules"
( cd "$VSC" && npm "${REBUILD[@]}" --foreground-scripts=false @vscode/spdlog node-pty @parcel/watcher native-watchdog )
# VS Code resolves its modules through node_modules.asar in a packaged build.
ln -sfn node_modules "$VSC/node_modules.asar"
# The ripgrep package normally downloads its binary: use Debian's (search, quick open).
mkdir -p "$VSC/node_modules/@vscode/ripgrep/bin"
ln -sfn /usr/bin/rg "$VSC/node_modules/@vscode/ripgrep/bin/rg"
# argon2 is loaded at startup even with --auth none. npm hoists it next to
# code-server, so rebuild it from the project that owns it. (Its install script
# first tries to download a prebuilt binary, fails, and builds from source.)
( cd "$PREFIX" && npm "${REBUILD[@]}" argon2 )
# Built-in extensions (TypeScript language features, git, ...) have their own deps.
( cd "$VSC/extensions" && npm install "${NPM_QUIET[@]}" --omit=dev --ignore-scripts --no-package-lock )

# Check that the native modules really load: a silent build failure would only
# show up later as an obscure extension-host crash. (@parcel/watcher loads a
# prebuilt binary shipped in its npm package, which is fine.)
missing=0
for m in @vscode/spdlog node-pty @parcel/watcher native-watchdog; do
  ( cd "$VSC" && node -e "require('$m')" ) || { log "ERROR: native module $m does not load" >&2; missing=1; }
done
( cd "$CS" && node -e "require('argon2')" ) || { log "ERROR: argon2 does not load" >&2; missing=1; }
[[ $missing == 0 ]] || exit 1

echo "$CODE_SERVER_VERSION" >"$STAMP"
log "code-server $CODE_SERVER_VERSION installed (VS Code $(node -p "require('$VSC/product.json').version" 2>/dev/null || echo '?'))"
finish
