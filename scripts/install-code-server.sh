#!/usr/bin/env bash
# Installs code-server 4.100.3 (the real VS Code 1.100.3 workbench, from the npm registry) into
# .e2e/code-server/ for the end-to-end tests and `npm run demo`. Idempotent: quiet and instant
# when already installed. Called by scripts/install-deps.sh (unless --no-e2e).
#   bash scripts/install-code-server.sh        -> .e2e/code-server/node_modules/.bin/code-server
#
# Why each step (measured recipe: ../shared/notes/e2e-in-real-vscode.md):
# - 4.100.3 exactly: later code-server releases need Node 22/24; we run on Node 20.
# - code-server's postinstall downloads ripgrep from GitHub, which these machines cannot reach.
#   @vscode/ripgrep looks in its cache first, so we seed that cache with Debian's /usr/bin/rg for
#   every @vscode/ripgrep version code-server may pull in (1.15.9 ... 1.15.14 seen).
# - npm_config_unsafe_perm: its postinstall refuses to run as root otherwise.
# - npm_config_yes: node-pty's postinstall runs `npx node-gyp`, which would wait for a prompt.
# - Own folder with its own package.json: never enters the VSIX, never touches the project's lock.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=4.100.3
DIR=.e2e/code-server
BIN="$DIR/node_modules/.bin/code-server"
STAMP="$DIR/.installed-$VERSION"

if [ -f "$STAMP" ] && [ -x "$BIN" ]; then
  exit 0
fi

for tool in /usr/bin/rg /usr/bin/chromium; do
  [ -x "$tool" ] || { echo "[code-server] $tool is missing: run scripts/install-deps.sh (Debian packages ripgrep, chromium)" >&2; exit 1; }
done

echo "[code-server] installing code-server $VERSION into $DIR (about a minute)"

# Seed @vscode/ripgrep's download cache with Debian's rg.
TMPDIR_NODE="$(node -p 'require("os").tmpdir()')"
RG_TGZ=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp /usr/bin/rg "$stage/rg"
for v in 1.15.9 1.15.10 1.15.11 1.15.12 1.15.13 1.15.14; do
  cache="$TMPDIR_NODE/vscode-ripgrep-cache-$v"
  mkdir -p "$cache"
  [ -s "$cache/$RG_TGZ" ] || tar -C "$stage" -czf "$cache/$RG_TGZ" rg
done

mkdir -p "$DIR"
# Its own project: allowScripts lets code-server's own postinstall run (npm 11 holds back
# dependencies' install scripts otherwise); it installs VS Code's runtime modules.
cat > "$DIR/package.json" <<'EOF'
{
  "name": "acrn-nest-e2e-code-server",
  "private": true,
  "description": "code-server for acrn-nest's end-to-end tests and demo (installed by scripts/install-code-server.sh)",
  "allowScripts": {
    "code-server": true
  }
}
EOF

log="$DIR/install.log"
if ! (cd "$DIR" && npm_config_yes=true npm_config_unsafe_perm=true \
      npm install --no-audit --no-fund --no-save "code-server@$VERSION") >"$log" 2>&1; then
  tail -40 "$log" >&2
  echo "[code-server] npm install failed; full log: $log" >&2
  exit 1
fi

if ! out="$("$BIN" --config "$DIR/config.yaml" --version 2>&1)" || ! grep -q "^$VERSION" <<<"$out"; then
  echo "$out" >&2
  echo "[code-server] installed, but '$BIN --version' does not report $VERSION; log: $log" >&2
  exit 1
fi
touch "$STAMP"
echo "[code-server] $VERSION ready: $BIN"
