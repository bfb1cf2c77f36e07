#!/bin/sh
# Build the Debian root the package and image tests use (scripts/release_test.go,
# scripts/image_test.go) and cache it by version, as a tar file:
#   ~/.cache/git-federate-test/debian-bookworm-minbase-1.tar
# It stands in for the debian:bookworm-slim base image (no image registry is
# needed) and is the throwaway system a .deb is installed into.
# Nothing is done when it is already there. Needs root and debootstrap;
# takes about 3 minutes. Override the place with FEDERATE_DEBIAN_BASE (the
# tests read the same variable).
set -eu

# Bump the number when the package list changes: the cache is keyed by it.
key=debian-bookworm-minbase-1
include=git,git-lfs,ca-certificates,man-db
tarball=${FEDERATE_DEBIAN_BASE:-$HOME/.cache/git-federate-test/$key.tar}
mirror=${FEDERATE_DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ -s "$tarball" ]; then
	echo "debian base $key: $tarball (cached)"
	exit 0
fi
command -v debootstrap >/dev/null 2>&1 || {
	echo "debian-base.sh: debootstrap is not installed (apt-get install debootstrap)" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || {
	echo "debian-base.sh: debootstrap needs root" >&2
	exit 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
echo "debootstrap --variant=minbase --include=$include bookworm (about 3 minutes)..."
debootstrap --variant=minbase --include="$include" bookworm "$work/root" "$mirror" >"$work/log" 2>&1 || {
	tail -n 30 "$work/log" >&2
	exit 1
}
# No package caches or lists in the image: apt-get update fetches them again.
rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
mkdir -p "$(dirname "$tarball")"
tar -C "$work/root" --numeric-owner -cf "$tarball.tmp.$$" .
mv "$tarball.tmp.$$" "$tarball"
echo "debian base $key: $tarball"
