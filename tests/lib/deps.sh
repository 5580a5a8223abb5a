#!/bin/sh
# Installs whichever of the Debian packages named on the command line are
# missing, quietly (apt-get's output is shown only if it fails).  Nothing
# happens, and nothing needs root, when they are all installed.
#
#   tests/lib/deps.sh PKG...
#   tests/lib/deps.sh -f LIST...    read names from files, one a line
#                                   ('#' comments; missing files ignored)
set -u

pkgs=
if [ "${1:-}" = "-f" ]; then
    shift
    for f in "$@"; do
        [ -f "$f" ] && pkgs="$pkgs $(sed 's/#.*//' "$f" | tr -s ' \t\n' ' ')"
    done
else
    pkgs="$*"
fi

missing=
for p in $pkgs; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q ' installed$' ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0

sudo=
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo=sudo
    else
        echo "deps: missing Debian packages:$missing (run as root to install)" >&2
        exit 1
    fi
fi
echo "deps: installing$missing"
log=$(mktemp)
if ! { $sudo env DEBIAN_FRONTEND=noninteractive apt-get -q update &&
       $sudo env DEBIAN_FRONTEND=noninteractive apt-get -q install -y \
           --no-install-recommends $missing; } >"$log" 2>&1 </dev/null; then
    cat "$log" >&2
    rm -f "$log"
    echo "deps: apt-get failed" >&2
    exit 1
fi
rm -f "$log"
