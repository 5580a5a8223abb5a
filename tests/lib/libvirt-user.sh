#!/bin/sh
# The system user and group libvirt's embedded QEMU driver looks up at
# start, even when QEMU runs as root (HOST-NOTES: "Failed to parse user
# 'libvirt-qemu'" otherwise).  Debian's libvirt-daemon-system makes them;
# hosts without it (CI) get them here.  Nothing happens when they exist.
set -eu
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
getent group libvirt-qemu >/dev/null || $sudo groupadd --system libvirt-qemu
getent passwd libvirt-qemu >/dev/null ||
    $sudo useradd --system --no-create-home --shell /usr/sbin/nologin \
        -g libvirt-qemu libvirt-qemu
