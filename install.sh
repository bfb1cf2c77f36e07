#!/usr/bin/env bash
# install.sh — build git-remote-federate and install its three commands:
#   git-remote-federate      the remote helper git runs for federate:: URLs
#   git-federate             `git federate <command>`
#   git-credential-federate  `credential.helper = federate`
# Safe to run again: it replaces the installed binaries in place.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi # run as `sh install.sh`
set -euo pipefail

min_git=2.39
prefix="${HOME:?HOME is not set}/.local/bin"
names=(git-remote-federate git-federate git-credential-federate)

usage() {
	cat <<EOF
Usage: ./install.sh [--prefix DIR]

Builds git-remote-federate with Go and installs ${names[*]}
into DIR (default: ~/.local/bin).

Needs: git >= $min_git and Go (the toolchain named in go.mod).

Options:
  --prefix DIR   install into DIR instead of ~/.local/bin
  -h, --help     show this help
EOF
}

die() {
	echo "install.sh: $*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case "$1" in
	--prefix)
		[ $# -ge 2 ] && [ -n "$2" ] || { echo "install.sh: --prefix needs a directory" >&2; usage >&2; exit 2; }
		prefix=$2
		shift 2
		;;
	--prefix=*)
		prefix=${1#--prefix=}
		[ -n "$prefix" ] || { echo "install.sh: --prefix needs a directory" >&2; exit 2; }
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		echo "install.sh: unknown argument: $1" >&2
		usage >&2
		exit 2
		;;
	esac
done

# version_ge A B: is version A >= version B (numeric, dot-separated)?
version_ge() {
	[ "$(printf '%s\n%s\n' "$2" "$1" | sort -t. -k1,1n -k2,2n -k3,3n | head -n1)" = "$2" ]
}

command -v git >/dev/null 2>&1 || die "git is not installed; install git $min_git or newer"
git_version=$(git --version | sed -n 's/^git version \([0-9][0-9]*\.[0-9][0-9]*\(\.[0-9][0-9]*\)\{0,1\}\).*/\1/p')
[ -n "$git_version" ] || die "cannot read the git version from: $(git --version)"
version_ge "$git_version" "$min_git" || die "git $git_version is too old: git-remote-federate needs git $min_git or newer"

command -v go >/dev/null 2>&1 || die "Go is not installed (or not on PATH); install it from https://go.dev/dl/ or your package manager"
go_version=$(go env GOVERSION 2>/dev/null) || die "'go env GOVERSION' failed; is Go installed correctly?"

src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ -f "$src/go.mod" ] || die "run install.sh from a checkout of git-remote-federate ($src has no go.mod)"

build=$(mktemp -d "${TMPDIR:-/tmp}/federate-install.XXXXXX")
trap 'rm -rf "$build"' EXIT

echo "Building with $go_version (git $git_version)..."
# One go build for the three mains: the shared packages compile once.
(cd "$src" && go build -trimpath -o "$build/" ./cmd/...) || die "go build failed"
for n in "${names[@]}"; do
	[ -x "$build/$n" ] || die "go build did not produce $n"
done

mkdir -p "$prefix" || die "cannot create $prefix"
prefix=$(cd "$prefix" && pwd)
for n in "${names[@]}"; do
	# Copy next to the target, then rename over it: a running copy (say a
	# `git federate sync --daemon`) keeps its file, and a half-written
	# binary is never on PATH.
	tmp="$prefix/.$n.tmp.$$"
	cp "$build/$n" "$tmp"
	chmod 0755 "$tmp"
	mv -f "$tmp" "$prefix/$n"
	echo "  installed $prefix/$n"
done

case ":${PATH:-}:" in
*":$prefix:"* | *":$prefix/:"*) on_path=yes ;;
*) on_path=no ;;
esac

echo
if [ "$on_path" = no ]; then
	echo "Note: $prefix is not on your PATH, so git will not find the helper."
	echo "Add it, for example in ~/.profile or ~/.bashrc:"
	echo "    export PATH=\"$prefix:\$PATH\""
	echo
fi
echo "Next steps:"
echo "  git federate demo     # the whole story on this machine: origin, two mirrors, clone, push, sync"
echo "  git config --global protocol.federate.allow always   # only if submodules use federate:: URLs"
