#!/bin/sh
# packaging/deb.sh — the Debian package from a staged install.
#
#   packaging/deb.sh STAGE VERSION ARCH OUT.deb
#
# STAGE is `make install DESTDIR=STAGE PREFIX=/usr` plus the doc files
# (the Makefile's deb target makes it). This adds STAGE/DEBIAN/control (from
# packaging/control.in) and DEBIAN/md5sums, and builds OUT.deb with
# dpkg-deb, files owned by root (--root-owner-group: no fakeroot needed).
#
# Depends: dpkg-shlibdeps reads the programs' ELF NEEDED entries and maps
# each library to the package that ships it and the lowest version whose
# symbols the programs use (libc6, libcurl4, zlib1g on Debian 12; a
# sanitizer build adds libasan/libubsan). It insists on a debian/control
# in its working directory, so it runs in a scratch directory that holds a
# minimal one, and it finds the package's root by its DEBIAN directory,
# so that is made first. Installed-Size is in KiB, as dpkg counts it. File times are
# clamped to SOURCE_DATE_EPOCH when it is set (dpkg-deb reads it).
set -eu
[ $# -eq 4 ] || { echo "usage: $0 STAGE VERSION ARCH OUT.deb" >&2; exit 2; }
stage=$(cd "$1" && pwd) version=$2 arch=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/debian"
printf 'Source: j1-npm\n\nPackage: j1-npm\nArchitecture: any\n' >"$scratch/debian/control"
mkdir -p "$stage/DEBIAN"
depends=$(cd "$scratch" && dpkg-shlibdeps -O "$stage"/usr/bin/j1-npm-*) ||
    { echo "deb.sh: dpkg-shlibdeps failed" >&2; exit 1; }
depends=${depends#shlibs:Depends=}
[ -n "$depends" ] || { echo "deb.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" \
    -e "s/@DEPENDS@/$depends/" "$here/control.in" >"$stage/DEBIAN/control"
# DEBIAN/md5sums: what `dpkg --verify j1-npm` checks the installed files by.
(cd "$stage" && find usr -type f | LC_ALL=C sort | xargs md5sum) >"$stage/DEBIAN/md5sums"
chmod -R u+rwX,go+rX,go-w "$stage"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out.tmp" >/dev/null
mv "$out.tmp" "$out"
