#!/usr/bin/env bash
# `npm run demo`: acrn-nest in a real VS Code (code-server 4.100.3) on this machine.
#   1. installs what it needs (scripts/install-deps.sh: Debian packages, npm ci, code-server),
#   2. builds and packages the extension (npm run package -> dist/acrn-nest.vsix),
#   3. installs the VSIX into a local code-server profile under .e2e/demo/,
#   4. writes the sample workspace .e2e/demo-workspace/ from demo/workspace/: a multi-root workspace
#      with a v2.6 folder (a scenario in the style of ACRN's nested-virtualization recipe) and a v3.3
#      folder, each with an ACRN tree of its own version (acrnNest.acrnTree per folder),
#   5. starts code-server on 127.0.0.1:8080 (or the next free port) and prints the URL to open.
# Stays in the foreground; Ctrl-C stops code-server (and anything else the demo started).
# Environment: DEMO_PORT (first port to try, default 8080).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

DEMO_DIR="$ROOT/.e2e/demo"
WORKSPACE="$ROOT/.e2e/demo-workspace"
CODE_SERVER="$ROOT/.e2e/code-server/node_modules/.bin/code-server"
FIRST_PORT="${DEMO_PORT:-8080}"

say() { printf '[demo] %s\n' "$*"; }

# --- 1. dependencies ---------------------------------------------------------------------------
bash scripts/install-deps.sh --demo

# --- 2. build and package ------------------------------------------------------------------------
# A warm restart skips what has not changed: the VSIX is rebuilt (and reinstalled) only when the
# hash of its inputs differs from the last demo's.
mkdir -p "$DEMO_DIR"
VSIX="$ROOT/dist/acrn-nest.vsix"
inputs_hash() {
  find extension language-server hv-core webview snippets media package.json package-lock.json README.md LICENSE .vscodeignore scripts/build.mjs -type f -print0 2>/dev/null |
    LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
}
HASH="$(inputs_hash)"
HASH_FILE="$DEMO_DIR/vsix-inputs.sha256"
FRESH=""
if [ -f "$VSIX" ] && [ -f "$HASH_FILE" ] && [ "$(cat "$HASH_FILE")" = "$HASH" ]; then
  say "extension unchanged since the last demo: not rebuilt"
else
  say "building and packaging the extension"
  npm run -s package >"$DEMO_DIR/package.log" 2>&1 || { cat "$DEMO_DIR/package.log" >&2; say "npm run package failed"; exit 1; }
  FRESH=1
fi

# --- 3. install the VSIX into the demo profile ---------------------------------------------------
mkdir -p "$DEMO_DIR/user-data/User" "$DEMO_DIR/extensions"
printf 'auth: none\ncert: false\n' >"$DEMO_DIR/config.yaml"
if [ ! -f "$DEMO_DIR/user-data/User/settings.json" ]; then
  cat >"$DEMO_DIR/user-data/User/settings.json" <<'EOF'
{
  "workbench.startupEditor": "none",
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "git.enabled": false
}
EOF
fi
cs() { "$CODE_SERVER" --config "$DEMO_DIR/config.yaml" --user-data-dir "$DEMO_DIR/user-data" --extensions-dir "$DEMO_DIR/extensions" "$@"; }
if [ -n "$FRESH" ] || ! ls "$DEMO_DIR/extensions" 2>/dev/null | grep -q '^acrn-nest\.acrn-nest-'; then
  say "installing $(basename "$VSIX") into code-server"
  cs --force --install-extension "$VSIX" >"$DEMO_DIR/install.log" 2>&1 || { cat "$DEMO_DIR/install.log" >&2; say "installing the VSIX failed"; exit 1; }
  printf '%s\n' "$HASH" >"$HASH_FILE"
fi

# --- 4. the sample workspace ---------------------------------------------------------------------
# A multi-root workspace, one folder per ACRN version, each with the tree of its own version
# (scripts/demo-workspace.sh; test/unit/demo-workspace.test.ts checks it).
bash scripts/demo-workspace.sh "$WORKSPACE" "$DEMO_DIR"
WORKSPACE_FILE="$WORKSPACE/acrn-nest-demo.code-workspace"

# --- board simulator -------------------------------------------------------------------------------
# THE BOARD SIMULATOR stands in for the NUC (test/support/sim/board-simulator.ts): an SSH server on
# 127.0.0.1 that behaves like the Service VM (GRUB, reboot with a new boot id, fallback on a bad
# image) and serves a hypervisor console on a TCP port. The demo profile gets a target for it, so
# "acrn-nest: Build and Deploy" works end to end (the trees: step 4).
SIM_PID=""
SIM_DIR="$DEMO_DIR/board-sim"
start_board_simulator() {
  mkdir -p "$SIM_DIR"
  say "starting the board simulator (a stand-in for the NUC, not a real board)"
  exec 4< <(exec setsid npx --no-install tsx scripts/board-sim.ts --dir "$SIM_DIR" --reboot-delay-ms 3000 2>&1)
  SIM_PID=$!
  local deadline=$((SECONDS + 90)) line ready=""
  while [ -z "$ready" ]; do
    local left=$((deadline - SECONDS))
    if [ "$left" -le 0 ] || ! IFS= read -r -t "$left" line <&4; then
      say "the board simulator did not start within 90 s"; exit 1
    fi
    printf '%s\n' "$line" >>"$SIM_DIR/simulator.log"
    case "$line" in BOARD_SIM_READY*) ready="${line#BOARD_SIM_READY }" ;; esac
  done
  cat <&4 >>"$SIM_DIR/simulator.log" &
  SIM_READY="$ready" SETTINGS="$DEMO_DIR/user-data/User/settings.json" node -e '
    const fs = require("fs");
    const r = JSON.parse(process.env.SIM_READY);
    const s = JSON.parse(fs.readFileSync(process.env.SETTINGS, "utf8"));
    s["acrnNest.targets"] = [{ name: "board-simulator", host: "127.0.0.1", port: r.port, user: "acrn", identityFile: r.identityFile, knownHostsFile: r.knownHosts, console: { type: "tcp", host: "127.0.0.1", port: r.consolePort } }];
    s["acrnNest.defaultTarget"] = "board-simulator";
    delete s["acrnNest.acrnTree"]; // per folder: .vscode/settings.json of v2.6/ and v3.3/
    fs.writeFileSync(process.env.SETTINGS, JSON.stringify(s, null, 2) + "\n");
    console.log(`[demo] board simulator: ssh acrn@127.0.0.1 -p ${r.port} (host key ${r.hostFingerprint}), console 127.0.0.1:${r.consolePort}`);
  '
  say "the board simulator supports Build and Deploy and the hypervisor console; it has no shell, QEMU or KVM, so Doctor and Launch L2 Guest say so and stop (they need a real Service VM)"
}
stop_board_simulator() {
  if [ -n "$SIM_PID" ]; then kill -TERM -- "-$SIM_PID" 2>/dev/null || kill -TERM "$SIM_PID" 2>/dev/null || true; fi
}

# --- 5. code-server --------------------------------------------------------------------------------
port_free() {
  node -e 'const s=require("net").createServer();s.once("error",()=>process.exit(1));s.listen(+process.argv[1],"127.0.0.1",()=>s.close(()=>process.exit(0)))' "$1"
}
PORT="$FIRST_PORT"
while ! port_free "$PORT"; do
  PORT=$((PORT + 1))
  if [ "$PORT" -gt $((FIRST_PORT + 100)) ]; then say "no free port in $FIRST_PORT..$((PORT - 1))"; exit 1; fi
done

CS_PID=""
cleanup() {
  trap - EXIT INT TERM
  stop_board_simulator
  if [ -n "$CS_PID" ] && kill -0 "$CS_PID" 2>/dev/null; then
    say "stopping code-server (pid $CS_PID)"
    kill -TERM -- "-$CS_PID" 2>/dev/null || kill -TERM "$CS_PID" 2>/dev/null || true
    wait "$CS_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_board_simulator

LOG="$DEMO_DIR/code-server.log"
: >"$LOG"
# setsid: code-server, its extension host and the language server form one process group that
# cleanup() stops as a whole. Its output comes back through the coprocess pipe: the script reads
# it until code-server says it listens (bounded), then a background cat copies the rest to $LOG.
coproc CODESERVER { exec setsid "$CODE_SERVER" --config "$DEMO_DIR/config.yaml" --user-data-dir "$DEMO_DIR/user-data" \
  --extensions-dir "$DEMO_DIR/extensions" --auth none --bind-addr "127.0.0.1:$PORT" \
  --disable-telemetry --disable-update-check --disable-workspace-trust 2>&1; }
CS_PID=$CODESERVER_PID
exec 3<&"${CODESERVER[0]}"
deadline=$((SECONDS + 60))
while :; do
  left=$((deadline - SECONDS))
  if [ "$left" -le 0 ] || ! IFS= read -r -t "$left" line <&3; then
    cat "$LOG" >&2
    say "code-server did not start within 60 s (log: $LOG)"
    exit 1
  fi
  printf '%s\n' "$line" >>"$LOG"
  case "$line" in *"HTTP server listening on"*) break ;; esac
done
cat <&3 >>"$LOG" &

URL="http://127.0.0.1:$PORT/?workspace=$WORKSPACE_FILE"
say "acrn-nest demo is running (code-server log: ${LOG#"$ROOT"/})"
say "open: $URL"
say "files: v2.6/nuc-v26-nested.xml (ACRN v2.6, nested virtualization off; a v2.6 tree), v3.3/nuc11-v33-shared.xml (a v3.3 tree), nuc11tnbi5-board.xml (board, in both)"
say "Ctrl-C to stop"
wait "$CS_PID"
