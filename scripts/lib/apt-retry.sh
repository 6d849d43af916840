# Sourced by scripts/install-deps.sh. apt_retry CMD...: runs CMD; while apt's or dpkg's lock is held
# by another process, says so once and retries every ACRN_NEST_APT_LOCK_POLL_S (5) seconds for up to
# ACRN_NEST_APT_LOCK_WAIT_S (300); any other failure is printed and returned at once.
apt_retry() {
  local waited=0 limit="${ACRN_NEST_APT_LOCK_WAIT_S:-300}" poll="${ACRN_NEST_APT_LOCK_POLL_S:-5}" out
  while :; do
    if out="$("$@" 2>&1)"; then return 0; fi
    if printf '%s' "$out" | grep -qE 'Could not get lock|Unable to acquire the dpkg frontend lock|is another process using it'; then
      if [ "$waited" -ge "$limit" ]; then printf '%s\n' "$out" >&2; echo "[deps] apt's lock is still held after ${limit} s: giving up" >&2; return 1; fi
      [ "$waited" -eq 0 ] && echo "[deps] apt's lock is held by another process (unattended-upgrades?): waiting up to ${limit} s"
      sleep "$poll" # waiting on another process's lock
      waited=$((waited + (poll > 0 ? poll : 1)))
      continue
    fi
    printf '%s\n' "$out" >&2
    return 1
  done
}

