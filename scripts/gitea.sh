#!/bin/sh
# Build the Gitea binary the end-to-end tests run (internal/gittest/gitea.go),
# from the Go module proxy, and cache it by version:
#   ~/.cache/git-federate-test/gitea-v1.26.0
# Nothing is done when it is already there. Override the place with
# FEDERATE_GITEA_BIN (the tests read the same variable).
# The build needs cgo (sqlite) and takes about 4.5 minutes on 2 cores.
set -eu

version=v1.26.0 # v1.27+ has a module path that does not match its go.mod
bin=${FEDERATE_GITEA_BIN:-$HOME/.cache/git-federate-test/gitea-$version}

if [ -x "$bin" ]; then
	echo "gitea $version: $bin (cached)"
	exit 0
fi

work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT INT TERM

# Download outside any module so this repository's go.mod and go.sum stay untouched.
src=$(cd "$work" && GO111MODULE=on GOFLAGS=-mod=mod go mod download -json "code.gitea.io/gitea@$version" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ -z "$src" ] || [ ! -d "$src" ]; then
	echo "gitea.sh: go mod download code.gitea.io/gitea@$version gave no source directory" >&2
	exit 1
fi

cp -r "$src" "$work/src"
chmod -R u+w "$work/src"
echo "building gitea $version (cgo, sqlite); this takes a few minutes..."
(cd "$work/src" && CGO_ENABLED=1 go build -tags 'sqlite sqlite_unlock_notify' -o "$work/gitea" .)
mkdir -p "$(dirname "$bin")"
mv "$work/gitea" "$bin.tmp.$$"
mv "$bin.tmp.$$" "$bin"
echo "gitea $version: $bin"
