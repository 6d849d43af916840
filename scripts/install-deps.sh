#!/usr/bin/env bash
# Installs what acrn-nest's tests need on a fresh Debian machine; idempotent and quiet when done.
#   bash scripts/install-deps.sh [--no-e2e]
# - Debian packages: a real OpenSSH sshd (deploy tests), QEMU (L2 console tests), socat (serial
#   pseudo-terminals), Chromium + libkrb5-dev + ripgrep (code-server end-to-end tests), Python's
#   lxml/xmlschema/elementpath (ACRN's own validators, for ground-truth comparisons).
# - npm dependencies (npm ci) when node_modules is missing or stale.
# - code-server 4.100.3 into .e2e/code-server (scripts/install-code-server.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(openssh-server openssh-client qemu-system-x86 socat chromium libkrb5-dev ripgrep python3-lxml python3-xmlschema python3-elementpath python3-defusedxml iproute2 procps
  # the virtual board (hv-core/boardvm): its image from Debian packages, UEFI firmware, the Xen stand-in
  mmdebstrap qemu-utils ovmf grub-efi-amd64-bin grub-common e2fsprogs dosfstools mtools fdisk xen-hypervisor-4.17-amd64
  # building real ACRN (the virtual board's failed-boot test)
  acpica-tools xsltproc libxml2-utils)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[deps] apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # apt's lock may be held by another apt (a first boot's unattended upgrades): wait for it.
  apt_opts=(-o DPkg::Lock::Timeout=300)
  apt-get "${apt_opts[@]}" update -qq >/dev/null
  apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[deps] npm ci"
  npm ci --no-audit --no-fund >/dev/null
fi

# A real Debian kernel for the L2 console tests (downloaded and extracted, not installed).
bash scripts/fetch-test-kernel.sh >/dev/null

if [ "${1:-}" != "--no-e2e" ]; then
  bash scripts/install-code-server.sh
fi
