#!/usr/bin/env bash
# Uploads the test guest built by tests/guest/build.sh to the image
# service with the openstack CLI (OS_* in the environment), as Glance
# expresses a direct kernel boot: an aki kernel, an ari ramdisk, and a
# qcow2 root image whose kernel_id / ramdisk_id / os_command_line
# properties name them.  Prints the root image's id.
#
#   tests/guest/upload.sh OUTDIR NAME [--public]
set -euo pipefail

dir=${1:?usage: tests/guest/upload.sh OUTDIR NAME [--public]}
name=${2:?usage: tests/guest/upload.sh OUTDIR NAME [--public]}
vis=${3:---private}
osc() { /usr/bin/python3 -m openstackclient.shell "$@"; }
command -v openstack >/dev/null && osc() { openstack "$@"; }

kernel=$(osc image create "$name-kernel" "$vis" --disk-format aki --container-format aki \
    --file "$dir/vmlinuz" -f value -c id)
ramdisk=$(osc image create "$name-ramdisk" "$vis" --disk-format ari --container-format ari \
    --file "$dir/initrd.img" -f value -c id)
osc image create "$name" "$vis" --disk-format qcow2 --container-format bare \
    --file "$dir/root.qcow2" --property kernel_id="$kernel" --property ramdisk_id="$ramdisk" \
    --property os_command_line="console=ttyS0 quiet" -f value -c id
