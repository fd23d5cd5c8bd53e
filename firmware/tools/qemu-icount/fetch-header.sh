#!/bin/sh
# Installs QEMU's plugin header, qemu-plugin.h, which no Debian binary package ships, from Debian's
# qemu source package (the version of the installed qemu-system-arm when the archive still has it).
# Adds a deb-src entry for the configured Debian suites if apt has none. Needs root, apt and xz.
#
# Usage: fetch-header.sh [DEST_DIR]    (default /usr/local/include; does nothing if the header is there)
set -eu

dest=${1:-/usr/local/include}
if [ -f "$dest/qemu-plugin.h" ]; then
  echo "qemu-plugin.h: already in $dest"
  exit 0
fi

# deb-src entries mirroring the deb ones (deb822 .sources files or a one-line sources.list).
if ! apt-cache showsrc qemu 2>/dev/null | grep -q '^Package: qemu$'; then
  src=/etc/apt/sources.list.d/nn2c-deb-src.sources
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$src"
  elif [ -f /etc/apt/sources.list ]; then
    src=/etc/apt/sources.list.d/nn2c-deb-src.list
    sed -n 's/^deb \(.*\)$/deb-src \1/p' /etc/apt/sources.list >"$src"
  else
    echo "fetch-header.sh: no Debian apt sources found" >&2
    exit 1
  fi
  apt-get update -q
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
version=$(dpkg-query -W -f '${source:Version}' qemu-system-arm 2>/dev/null || true)
if [ -z "$version" ] || ! apt-get source --download-only -q "qemu=$version" >/dev/null 2>&1; then
  apt-get source --download-only -q qemu >/dev/null
fi

# Only the header: from the upstream tarball, checking that no Debian patch changes it.
tar -xf qemu_*.orig.tar.* --wildcards --no-anchored 'include/qemu/qemu-plugin.h'
if tar -xOf qemu_*.debian.tar.* --wildcards 'debian/patches/*' 2>/dev/null | grep -q 'include/qemu/qemu-plugin\.h'; then
  echo "fetch-header.sh: a Debian patch changes qemu-plugin.h; unpack the whole source instead" >&2
  exit 1
fi
header=$(find . -path '*/include/qemu/qemu-plugin.h' | head -n 1)
install -D -m 644 "$header" "$dest/qemu-plugin.h"
echo "qemu-plugin.h: installed in $dest from $(ls qemu_*.dsc)"
