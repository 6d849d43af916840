#!/usr/bin/env bash
# Installs what acrn-nest needs on a fresh Debian machine; idempotent and quiet when done.
#   bash scripts/install-deps.sh [--no-e2e] [--demo]
# - Debian packages: a real OpenSSH sshd (deploy tests), QEMU (L2 console tests), socat (serial
#   pseudo-terminals), Chromium + libkrb5-dev + ripgrep (code-server end-to-end tests), Python's
#   lxml/xmlschema/elementpath (ACRN's own validators, for ground-truth comparisons), and a LAVA
#   lab (PostgreSQL, lava-server, lava-dispatcher, lavacli) for the lab tests.
#   --demo (scripts/demo.sh): only what the demo uses (Python's modules for Build, the build tools,
#   libkrb5-dev for code-server); no sshd, QEMU, socat, Chromium or test kernel.
# - npm dependencies (npm ci) when node_modules is missing or stale.
# - code-server 4.100.3 into .e2e/code-server (scripts/install-code-server.sh).
# apt's lock held by another apt/dpkg (unattended-upgrades on a fresh machine): waited for, with
# a message, up to ACRN_NEST_APT_LOCK_WAIT_S (default 300 s), then retried.
set -euo pipefail
cd "$(dirname "$0")/.."

DEMO=""
E2E=1
for a in "$@"; do
  case "$a" in
    --demo) DEMO=1 ;;
    --no-e2e) E2E="" ;;
  esac
done

if [ -n "$DEMO" ]; then
  PKGS=(libkrb5-dev python3-lxml python3-xmlschema python3-elementpath python3-defusedxml make xsltproc libxml2-utils procps)
else
  PKGS=(openssh-server openssh-client qemu-system-x86 socat chromium libkrb5-dev ripgrep python3-lxml python3-xmlschema python3-elementpath python3-defusedxml iproute2 procps
    # the virtual board (hv-core/boardvm): its image from Debian packages, UEFI firmware, the Xen stand-in
    mmdebstrap qemu-utils ovmf grub-efi-amd64-bin grub-common e2fsprogs dosfstools mtools fdisk xen-hypervisor-4.17-amd64
    # building real ACRN (the virtual board's failed-boot test)
    acpica-tools xsltproc libxml2-utils
    # the LAVA lab's database (lava-server, below, needs it running while it installs); the lab
    # test's qemu boards boot Debian's kernel with a busybox initramfs
    postgresql busybox-static cpio)
fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# apt_retry: waits while another process holds apt's lock (scripts/lib/apt-retry.sh).
. scripts/lib/apt-retry.sh

if [ ${#missing[@]} -gt 0 ]; then
  echo "[deps] apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt_retry apt-get update -qq
  apt_retry apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# A LAVA lab for the lab tests (test/integration/lab-lava.test.ts), not for the demo: Debian's
# lava-server 2023.01 and lava-dispatcher. lava-server's install creates and migrates its database,
# so PostgreSQL must run first; there is no systemd here, so it is started by hand. Recommends
# would pull in apache2, lxc and a kernel (1.4 GB): left out. LAVA's scripts need Debian's python3
# first in PATH (a pyenv python3 breaks them).
if [ -z "$DEMO" ]; then
  LAVA_PKGS=(lava-server lava-dispatcher lavacli)
  lava_missing=()
  for p in "${LAVA_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || lava_missing+=("$p")
  done
  if [ ${#lava_missing[@]} -gt 0 ]; then
    pg_version="$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)"
    if [ -n "$pg_version" ] && ! pg_ctlcluster "$pg_version" main status >/dev/null 2>&1; then
      echo "[deps] starting PostgreSQL $pg_version (lava-server's install needs it)"
      pg_ctlcluster "$pg_version" main start
    fi
    echo "[deps] apt-get install ${lava_missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    [ ${#missing[@]} -gt 0 ] || apt_retry apt-get update -qq
    PATH=/usr/sbin:/usr/bin:/sbin:/bin apt_retry apt-get install -y -qq --no-install-recommends "${lava_missing[@]}"
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[deps] npm ci"
  npm ci --no-audit --no-fund >/dev/null
fi

# A real Debian kernel for the L2 console tests (downloaded and extracted, not installed); not for the demo.
[ -n "$DEMO" ] || bash scripts/fetch-test-kernel.sh >/dev/null

if [ -n "$E2E" ]; then
  bash scripts/install-code-server.sh
fi
