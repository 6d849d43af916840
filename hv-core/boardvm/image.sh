#!/usr/bin/env bash
# acrn-nest virtual board: the base disk image, from Debian packages only.
#   image.sh OUT_DIR PUBKEY_FILE
# Makes OUT_DIR/base.qcow2: GPT disk, EFI system partition with GRUB 2 (x86_64-efi, built by
# grub-mkimage from grub-efi-amd64-bin), root ext4 (so GRUB's save_env can write grubenv) holding
# Debian bookworm with its kernel and initramfs, OpenSSH, sudo (user `acrn`, password `acrn`),
# util-linux flock and GRUB's own tools (update-grub, grub-reboot, grub-set-default, grub-editenv).
# No loop devices and no mounts of the image: mmdebstrap builds a folder, mkfs.ext4 -d fills the
# file system from it, mtools fills the ESP, sfdisk + dd assemble the disk.
# The first boot (done by the caller over SSH) runs the real update-grub inside the VM.
# The hash of this file is part of the image's cache key: any change here rebuilds the image.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
out=$1; pubkey=$2
suite=${ACRN_NEST_VM_SUITE:-bookworm}
mirror=${ACRN_NEST_VM_MIRROR:-}
work=$(mktemp -d "${out}/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
uuid=5e1ec7ed-acd0-4b1e-9a7e-0000000000b0

pkgs=linux-image-amd64,initramfs-tools,zstd,systemd-sysv,udev,kmod,openssh-server,sudo,util-linux,procps,iproute2,grub-common,grub2-common,grub-efi-amd64-bin,libxml2-utils,ca-certificates
echo "[image] mmdebstrap $suite (about a minute)"
mmdebstrap --variant=apt --include="$pkgs" \
  --customize-hook='chroot "$1" true' \
  "$suite" "$root" ${mirror:+"$mirror"} >"$work/mmdebstrap.log" 2>&1 || { tail -30 "$work/mmdebstrap.log"; exit 1; }

echo "[image] configuring"
echo acrn-board > "$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 acrn-board\n' > "$root/etc/hosts"
printf 'UUID=%s / ext4 errors=remount-ro 0 1\n' "$uuid" > "$root/etc/fstab"
# The network: QEMU's user network always gives the guest 10.0.2.15 (gateway 10.0.2.2), so the
# address is set statically by one early unit, not by ifupdown + dhclient after udev has settled.
# Measured under the Xen stand-in (a PV dom0 under TCG): SSH answered 24 s sooner per boot
# (startup 90 s -> 66 s, with getty-static masked below), and every test boots many times.
cat > "$root/etc/systemd/system/acrn-nest-net.service" <<'UNIT'
[Unit]
Description=acrn-nest virtual board: static address on QEMU's user network
DefaultDependencies=no
Before=network.target
Wants=network.target

[Service]
Type=oneshot
RemainAfterExit=yes
# virtio_net is in the initramfs, so eth0 is there before systemd; wait a little all the same.
ExecStartPre=/bin/sh -c 'i=0; while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done'
ExecStart=/sbin/ip link set eth0 up
ExecStart=/sbin/ip addr replace 10.0.2.15/24 dev eth0
ExecStart=/sbin/ip route replace default via 10.0.2.2

[Install]
WantedBy=sysinit.target
UNIT
mkdir -p "$root/etc/systemd/system/sysinit.target.wants"
ln -sf ../acrn-nest-net.service "$root/etc/systemd/system/sysinit.target.wants/acrn-nest-net.service"
rm -f "$root/etc/resolv.conf"; printf 'nameserver 10.0.2.3\n' > "$root/etc/resolv.conf"
# The login user: sudo with a password (deploys must cope with that), a key for SSH.
chroot "$root" useradd -m -s /bin/bash -G sudo acrn
echo 'acrn:acrn' | chroot "$root" chpasswd
install -d -m 700 -o 1000 -g 1000 "$root/home/acrn/.ssh"
install -m 600 -o 1000 -g 1000 "$pubkey" "$root/home/acrn/.ssh/authorized_keys"
install -d -m 700 "$root/root/.ssh"
install -m 600 "$pubkey" "$root/root/.ssh/authorized_keys"
printf 'PasswordAuthentication no\nUseDNS no\nSubsystem sftp internal-sftp\n' > "$root/etc/ssh/sshd_config.d/acrn-nest.conf"
sed -i 's/^Subsystem/#Subsystem/' "$root/etc/ssh/sshd_config"
# Fast boots under TCG: nothing that waits for a network or a clock.
for u in apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer fstrim.timer \
         systemd-timesyncd.service getty@tty1.service getty-static.service systemd-networkd-wait-online.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$u"
done
# The journal in memory only: no flush to /var/log/journal on the boot's critical path.
mkdir -p "$root/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' > "$root/etc/systemd/journald.conf.d/acrn-nest.conf"
sed -i 's/^#\?\s*TimeoutStartSec=.*/TimeoutStartSec=20/' "$root/etc/systemd/system.conf" || true
# Small initramfs: only what a virtio disk on QEMU needs.
sed -i 's/^MODULES=.*/MODULES=list/' "$root/etc/initramfs-tools/initramfs.conf"
printf 'virtio_pci\nvirtio_blk\nvirtio_net\next4\ncrc32c_generic\n' >> "$root/etc/initramfs-tools/modules"
chroot "$root" update-initramfs -u -k all >/dev/null 2>&1
ln -sf "$(cd "$root/boot" && ls vmlinuz-* | head -1)" "$root/boot/vmlinuz"
ln -sf "$(cd "$root/boot" && ls initrd.img-* | head -1)" "$root/boot/initrd.img"
# The kernel also beside the image: the KVM probe boots it alone (vm.ts probeAccel).
cp "$root/boot/$(cd "$root/boot" && ls vmlinuz-* | head -1)" "$out/vmlinuz"
# GRUB as Ubuntu ships it (GRUB_DEFAULT=0); the layouts change this at provisioning.
cat > "$root/etc/default/grub" <<'GRUB'
GRUB_DEFAULT=0
GRUB_TIMEOUT=1
GRUB_TIMEOUT_STYLE=menu
GRUB_DISTRIBUTOR=Debian
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_CMDLINE_LINUX="console=ttyS0,115200 net.ifnames=0"
GRUB_TERMINAL="serial"
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
GRUB_DISABLE_OS_PROBER=true
GRUB
mkdir -p "$root/boot/grub"
cp -r "$root/usr/lib/grub/x86_64-efi" "$root/boot/grub/"
chroot "$root" grub-editenv /boot/grub/grubenv create
# Until the first boot's update-grub: one entry for the plain kernel.
cat > "$root/boot/grub/grub.cfg" <<CFG
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
set timeout=1
menuentry 'Debian GNU/Linux (first boot)' {
  search --no-floppy --fs-uuid --set=root $uuid
  linux /boot/vmlinuz root=UUID=$uuid ro console=ttyS0,115200 net.ifnames=0
  initrd /boot/initrd.img
}
CFG
cat > "$work/early.cfg" <<CFG
search --no-floppy --fs-uuid --set=root $uuid
set prefix=(\$root)/boot/grub
CFG
mkdir -p "$work/esp/EFI/BOOT"
grub-mkimage -O x86_64-efi -d "$root/usr/lib/grub/x86_64-efi" -c "$work/early.cfg" -p /boot/grub \
  -o "$work/esp/EFI/BOOT/BOOTX64.EFI" part_gpt ext2 fat search search_fs_uuid normal configfile
# Host keys: generated once per image, pinned by the caller.
cp "$root/etc/ssh/ssh_host_ed25519_key.pub" "$out/host_ed25519.pub"
rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"* || true

echo "[image] file systems and disk"
mkfs.ext4 -q -F -L acrn-root -U "$uuid" -E root_owner=0:0 -d "$root" "$work/root.img" 3G
truncate -s 32M "$work/esp.img"
mkfs.vfat -n ESP "$work/esp.img" >/dev/null
mmd -i "$work/esp.img" ::/EFI ::/EFI/BOOT
mcopy -i "$work/esp.img" "$work/esp/EFI/BOOT/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
truncate -s $((1 + 32 + 3072 + 1))M "$work/disk.raw"
sfdisk -q "$work/disk.raw" <<PT
label: gpt
start=1MiB, size=32MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=esp
start=33MiB, size=3072MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=root
PT
dd if="$work/esp.img" of="$work/disk.raw" bs=1M seek=1 conv=notrunc status=none
dd if="$work/root.img" of="$work/disk.raw" bs=1M seek=33 conv=notrunc status=none
qemu-img convert -O qcow2 "$work/disk.raw" "$out/base.qcow2.tmp"
mv "$out/base.qcow2.tmp" "$out/base.qcow2"
echo "[image] done: $out/base.qcow2"
