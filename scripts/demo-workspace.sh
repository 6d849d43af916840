#!/usr/bin/env bash
# The demo's sample workspace (scripts/demo.sh step 4): scripts/demo-workspace.sh WORKSPACE DEMO_DIR
# writes WORKSPACE/acrn-nest-demo.code-workspace and its folders from demo/workspace/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
WORKSPACE="$1"
DEMO_DIR="$2"
say() { printf '[demo] %s\n' "$*"; }

# A multi-root workspace: one folder per ACRN version, each with the tree of its own version
# (.vscode/settings.json acrnNest.acrnTree), so every scenario is edited, checked and built against
# the release it was written for. Fresh files are copied; a file you edited in the demo workspace
# is kept (delete the folder to reset).
folders_for() {
  case "$1" in
    *v26*) echo v2.6 ;;
    *v33*) echo v3.3 ;;
    *) echo v2.6 v3.3 ;; # the board XML: both
  esac
}
for src in demo/workspace/*; do
  for ver in $(folders_for "$(basename "$src")"); do
    mkdir -p "$WORKSPACE/$ver"
    dst="$WORKSPACE/$ver/$(basename "$src")"
    stamp="$DEMO_DIR/originals/$ver/$(basename "$src")"
    if [ ! -e "$dst" ] || { [ -f "$stamp" ] && cmp -s "$dst" "$stamp"; }; then
      cp "$src" "$dst"
    elif ! cmp -s "$src" "$dst"; then
      say "kept your edited $ver/$(basename "$dst") (rm -r .e2e/demo-workspace to reset)"
    fi
    mkdir -p "$DEMO_DIR/originals/$ver"
    cp "$src" "$stamp"
  done
done
WORKSPACE_FILE="$WORKSPACE/acrn-nest-demo.code-workspace"
printf '%s\n' '{' '  "folders": [' '    { "name": "ACRN v2.6 scenario", "path": "v2.6" },' '    { "name": "ACRN v3.3 scenario", "path": "v3.3" }' '  ],' '  "settings": {}' '}' >"$WORKSPACE_FILE"

# The ACRN trees, one per version. ACRN_TREE (a real checkout) serves the folder of its own
# version; otherwise, and for the other version, a FAKE tree: test/fixtures/fake-acrn-tree (its make
# validates nothing real and writes a stand-in acrn.bin) with that version's VERSION file and
# ACRN's schemas and board data from ../shared/acrn-data/<version> (ACRN_DATA overrides), so
# completion, hover and lint are the release's own.
ACRN_DATA_DIR="${ACRN_DATA:-$ROOT/../shared/acrn-data}"
tree_version() { sed -n 's/^MAJOR_VERSION=\([0-9]*\).*/\1/p; s/^MINOR_VERSION=\([0-9]*\).*/\1/p' "$1/VERSION" 2>/dev/null | paste -sd. -; }
tree_for() { # $1: 2.6 | 3.3 -> prints the tree's path
  local ver="$1" tree
  if [ -n "${ACRN_TREE:-}" ] && [ "$(tree_version "$ACRN_TREE")" = "$ver" ]; then printf '%s\n' "$ACRN_TREE"; return; fi
  tree="$DEMO_DIR/trees/fake-acrn-v$ver"
  # A warm restart keeps the tree, and so its build output (the next Build is "up to date"), while
  # what it is made from is unchanged (names, sizes, times: no file is read).
  local stamp
  stamp="$(find test/fixtures/fake-acrn-tree "$ACRN_DATA_DIR/v$ver/misc/config_tools/schema" "$ACRN_DATA_DIR/v$ver/misc/config_tools/data" -printf '%p %s %T@\n' 2>/dev/null | LC_ALL=C sort | sha256sum | cut -d' ' -f1)"
  if [ -f "$tree/.demo-inputs" ] && [ "$(cat "$tree/.demo-inputs")" = "$stamp" ]; then printf '%s\n' "$tree"; return; fi
  rm -rf "$tree" && mkdir -p "$DEMO_DIR/trees" && cp -r test/fixtures/fake-acrn-tree "$tree"
  printf 'MAJOR_VERSION=%s\nMINOR_VERSION=%s\nEXTRA_VERSION=\n' "${ver%%.*}" "${ver#*.}" >"$tree/VERSION"
  if [ -d "$ACRN_DATA_DIR/v$ver/misc/config_tools" ]; then
    cp -r "$ACRN_DATA_DIR/v$ver/misc/config_tools/schema" "$ACRN_DATA_DIR/v$ver/misc/config_tools/data" "$tree/misc/config_tools/" 2>/dev/null || true
  fi
  printf '%s\n' "$stamp" >"$tree/.demo-inputs"
  printf '%s\n' "$tree"
}
for ver in 2.6 3.3; do
  tree="$(tree_for "$ver")"
  mkdir -p "$WORKSPACE/v$ver/.vscode"
  TREE="$tree" node -e 'const fs=require("fs");const f=process.argv[1];let s={};try{s=JSON.parse(fs.readFileSync(f,"utf8"))}catch{}s["acrnNest.acrnTree"]=process.env.TREE;fs.writeFileSync(f,JSON.stringify(s,null,2)+"\n")' "$WORKSPACE/v$ver/.vscode/settings.json"
  case "$tree" in
    "$DEMO_DIR"/*) say "v$ver folder: FAKE ACRN v$ver tree $tree (set ACRN_TREE=/path/to/acrn-hypervisor for a real build)" ;;
    *) say "v$ver folder: ACRN tree $tree" ;;
  esac
done
# Said plainly: ACRN v2.x compiles with -Werror and needs GCC <= 11; Build checks it (preflight).
GCC_MAJOR="$(cc -dumpversion 2>/dev/null | cut -d. -f1 || true)"
if [ -n "$GCC_MAJOR" ] && [ "$GCC_MAJOR" -ge 12 ] 2>/dev/null; then
  say "note: this machine's GCC is $(cc -dumpfullversion 2>/dev/null || echo "$GCC_MAJOR"): ACRN v2.x needs GCC <= 11, so Build of the v2.6 scenario stops at preflight and says so."
  say "      Build it on a host with GCC <= 11 (acrnNest.build.host), or \"Upgrade Scenario to v3\" and build the result in the v3.3 folder."
fi

