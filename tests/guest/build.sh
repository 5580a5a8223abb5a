#!/usr/bin/env bash
# Builds the test guest from Debian packages, without installing them on
# the host (apt-get download + dpkg-deb -x):
#
#   tests/guest/build.sh OUTDIR
#
#   OUTDIR/vmlinuz      the kernel of the linux-image-*-amd64 package that
#                       linux-image-amd64 depends on
#   OUTDIR/initrd.img   a busybox-static initramfs (init: tests/guest/init)
#                       with the kernel modules it needs (virtio, the cdrom
#                       and iso9660 for the config drive, the ACPI power
#                       button), loaded in dependency order
#   OUTDIR/root.qcow2   a small empty root disk (the guest keeps a marker
#                       on it, so a snapshot is seen to carry its disk)
#
# Cached: a second run with the same inputs (this script, init, the
# package versions) prints the paths and does nothing else.  The guest's
# markers on its serial console are listed in tests/guest/init.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: tests/guest/build.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The modules the guest wants; their dependencies are added, in order.
want_modules="virtio_pci virtio_net virtio_blk virtio_scsi sr_mod ata_piix ahci isofs
              button evdev"

kernel_pkg() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1
}
pkg=$(kernel_pkg)
if [ -z "$pkg" ]; then
    # a fresh machine: no package lists yet
    apt-get -q update >/dev/null 2>&1 || true
    pkg=$(kernel_pkg)
fi
[ -n "$pkg" ] || { echo "guest: cannot resolve linux-image-amd64" >&2; exit 1; }
kver=$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
bver=$(apt-cache policy busybox-static | sed -n 's/^ *Candidate: //p')

stamp="$pkg $kver busybox-static $bver $(cat "$here/build.sh" "$here/init" | sha256sum | cut -c1-16)"
if [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.img" ] && [ -s "$out/root.qcow2" ] &&
    [ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ]; then
    printf '%s\n' "$out/vmlinuz" "$out/initrd.img" "$out/root.qcow2"
    exit 0
fi

work=$(mktemp -d "$out/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT

# apt-get download writes to the current directory, as user _apt when it
# may: a directory _apt can write to avoids the "unsandboxed" warning.
mkdir -p "$out/debs"
chmod 755 "$out/debs"
if ! ls "$out/debs/${pkg}_"*.deb >/dev/null 2>&1 ||
    ! ls "$out/debs/busybox-static_"*.deb >/dev/null 2>&1; then
    rm -f "$out/debs/"*.deb
    (cd "$out/debs" && apt-get -q download "$pkg" busybox-static >/dev/null 2>&1) ||
        (cd "$out/debs" && apt-get -q download "$pkg" busybox-static)
fi
dpkg-deb -x "$out/debs/${pkg}_"*.deb "$work/kernel"
dpkg-deb -x "$out/debs/busybox-static_"*.deb "$work/busybox"

moddir=$(echo "$work"/kernel/lib/modules/*)
root=$work/initramfs
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,mnt,tmp,lib/modules}

# module name -> path, from modules.order ('-' and '_' are the same)
declare -A path=()
while read -r p; do
    n=$(basename "$p" .ko)
    path[${n//-/_}]=$p
done <"$moddir/modules.order"

declare -A done_=()
order=()
add_module() {
    local m=${1//-/_} d
    [ -n "${done_[$m]:-}" ] && return
    done_[$m]=1
    [ -n "${path[$m]:-}" ] || { echo "guest: no module $m in $pkg" >&2; exit 1; }
    for d in $(tr '\0' '\n' <"$moddir/${path[$m]}" | sed -n 's/^depends=//p' | tr ',' ' '); do
        add_module "$d"
    done
    order+=("$m")
}
for m in $want_modules; do
    add_module "$m"
done
for m in "${order[@]}"; do
    cp "$moddir/${path[$m]}" "$root/lib/modules/$m.ko"
done
printf '%s\n' "${order[@]}" >"$root/lib/modules/order"

cp "$work/busybox/bin/busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
install -m 755 "$here/init" "$root/init"

(cd "$root" && find . | LC_ALL=C sort | "$root/bin/busybox" cpio -o -H newc 2>/dev/null) |
    gzip -9 >"$work/initrd.img"
cp "$work"/kernel/boot/vmlinuz-* "$work/vmlinuz"
qemu-img create -q -f qcow2 "$work/root.qcow2" 64M

mv "$work/vmlinuz" "$work/initrd.img" "$work/root.qcow2" "$out/"
echo "$stamp" >"$out/.stamp"
printf '%s\n' "$out/vmlinuz" "$out/initrd.img" "$out/root.qcow2"
