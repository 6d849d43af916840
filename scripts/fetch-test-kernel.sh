#!/usr/bin/env bash
# Fetches a real Linux kernel for the L2 console tests: Debian's linux-image package that
# linux-image-amd64 currently depends on, DOWNLOADED (apt-get download) and extracted with
# dpkg-deb -x into .e2e/kernel/ -- never installed. Prints the vmlinuz path. Idempotent.
#   bash scripts/fetch-test-kernel.sh
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.e2e/kernel
mkdir -p "$dir"
existing=$(ls "$dir"/root/boot/vmlinuz-* 2>/dev/null | head -n1 || true)
if [ -n "$existing" ]; then echo "$existing"; exit 0; fi
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1)
if [ -z "$pkg" ]; then
  apt-get update -qq >/dev/null
  pkg=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1)
fi
[ -n "$pkg" ] || { echo "fetch-test-kernel: cannot resolve linux-image-amd64's kernel package" >&2; exit 1; }
echo "[deps] apt-get download $pkg (test kernel, extracted, not installed)" >&2
( cd "$dir" && rm -f ./*.deb && apt-get download -qq "$pkg" >/dev/null )
deb=$(ls "$dir"/*.deb | head -n1)
rm -rf "$dir/root"
dpkg-deb -x "$deb" "$dir/root"
rm -rf "$dir/root/lib/modules" "$dir/root/usr" "$deb"
ls "$dir"/root/boot/vmlinuz-* | head -n1
