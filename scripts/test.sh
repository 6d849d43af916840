#!/usr/bin/env bash
# `npm test`: installs what the tests need, then lint, type-check, unit, integration and
# end-to-end tests (code-server + Chromium). Each stage prints its own summary; the last line
# is the overall "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || { echo "install failed"; exit 1; }

passed=0; failed=0; failures=()
stage() {
  local name="$1"; shift
  echo; echo "=== $name: $*"
  local t0=$SECONDS
  if "$@"; then passed=$((passed+1)); echo "=== $name: ok ($((SECONDS-t0)) s)"
  else failed=$((failed+1)); failures+=("$name"); echo "=== $name: FAILED ($((SECONDS-t0)) s)"; fi
}

stage lint npx eslint .
stage typecheck npm run -s typecheck
stage build npm run -s build
# The virtual board's image (Debian packages; about 5 minutes once, then cached in ~/.cache).
stage board-vm-image node dist/cli.js board-vm prepare
stage unit node scripts/run-tests.mjs test/unit
# The virtual board's tests are real reboots under TCG (about 20, a minute or more each, two VMs at
# a time): the integration stage is bounded at 70 minutes, inside CI's 90.
ACRN_NEST_TEST_STAGE_TIMEOUT_S=4200 stage integration node scripts/run-tests.mjs test/integration
stage e2e node scripts/run-tests.mjs test/e2e

echo
[ ${#failures[@]} -gt 0 ] && echo "failed stages: ${failures[*]}"
echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
