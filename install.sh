#!/usr/bin/env bash
# install.sh — build git-remote-federate and install, under a prefix
# (GNU layout):
#   bin/git-remote-federate      the remote helper git runs for federate:: URLs
#   bin/git-federate             `git federate <command>`
#   bin/git-credential-federate  `credential.helper = federate`
#   share/man/man1/git-federate.1, git-remote-federate.1
#   share/bash-completion/completions/git-federate
#   share/zsh/site-functions/_git-federate
# Safe to run again: it replaces the installed files in place.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi # run as `sh install.sh`
set -euo pipefail

min_git=2.39
prefix="${HOME:?HOME is not set}/.local"
names=(git-remote-federate git-federate git-credential-federate)

usage() {
	cat <<EOF
Usage: ./install.sh [--prefix DIR]

Builds git-remote-federate with Go and installs, under DIR (default ~/.local):
  DIR/bin/                             ${names[*]}
  DIR/share/man/man1/                  git-federate.1 git-remote-federate.1
  DIR/share/bash-completion/completions/git-federate
  DIR/share/zsh/site-functions/_git-federate

Needs: git >= $min_git and Go (the toolchain named in go.mod).

Options:
  --prefix DIR   install under DIR instead of ~/.local (e.g. /usr/local)
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

# The version is what `git describe` says of the checkout; without git
# history the binary falls back to what Go records at build time.
version=$(git -C "$src" describe --tags --always --dirty 2>/dev/null || true)
commit=$(git -C "$src" rev-parse HEAD 2>/dev/null || true)
ldflags=()
if [ -n "$version" ]; then
	pkg=github.com/git-remote-federate/git-remote-federate/internal/fedcmd
	ldflags=(-ldflags "-X $pkg.version=$version -X $pkg.commit=$commit")
fi

echo "Building ${version:-git-remote-federate} with $go_version (git $git_version)..."
# One go build for the three mains: the shared packages compile once.
# Without cgo, as scripts/release builds them: a cgo build links libc
# dynamically, and each process (the helper of every fetch) starts half
# a millisecond later. urfave_cli_no_docs leaves out urfave/cli's
# Markdown and roff writers (git federate man has its own), whose
# packages' initialisation every process paid: a quarter of a
# millisecond and 200 kB.
(cd "$src" && CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs "${ldflags[@]}" -o "$build/" ./cmd/...) || die "go build failed"
for n in "${names[@]}"; do
	[ -x "$build/$n" ] || die "go build did not produce $n"
done
"$build/git-federate" man git-federate >"$build/git-federate.1" || die "cannot render git-federate.1"
"$build/git-federate" man git-remote-federate >"$build/git-remote-federate.1" || die "cannot render git-remote-federate.1"
"$build/git-federate" completion bash >"$build/bash" || die "cannot write the bash completion"
"$build/git-federate" completion zsh >"$build/zsh" || die "cannot write the zsh completion"

mkdir -p "$prefix" || die "cannot create $prefix"
prefix=$(cd "$prefix" && pwd)
case "$prefix" in
*/bin) echo "Note: --prefix is the directory above bin/ (like /usr/local); installing into $prefix/bin." ;;
esac
bindir=$prefix/bin

# put SRC DIR NAME MODE: copy next to the target, then rename over it: a
# running copy (say a `git federate sync --daemon`) keeps its file, and a
# half-written file is never in place.
put() {
	mkdir -p "$2" || die "cannot create $2"
	local tmp="$2/.$3.tmp.$$"
	cp "$1" "$tmp" || die "cannot write $tmp"
	chmod "$4" "$tmp"
	mv -f "$tmp" "$2/$3"
	echo "  installed $2/$3"
}

for n in "${names[@]}"; do
	put "$build/$n" "$bindir" "$n" 0755
done
put "$build/git-federate.1" "$prefix/share/man/man1" git-federate.1 0644
put "$build/git-remote-federate.1" "$prefix/share/man/man1" git-remote-federate.1 0644
# bash-completion loads completions/git-federate on demand, for the
# git-federate command and, through git's completion, for `git federate`.
put "$build/bash" "$prefix/share/bash-completion/completions" git-federate 0644
put "$build/zsh" "$prefix/share/zsh/site-functions" _git-federate 0644

case ":${PATH:-}:" in
*":$bindir:"* | *":$bindir/:"*) on_path=yes ;;
*) on_path=no ;;
esac

echo
if [ "$on_path" = no ]; then
	echo "Note: $bindir is not on your PATH, so git will not find the helper."
	echo "Add it, for example in ~/.profile or ~/.bashrc:"
	echo "    export PATH=\"$bindir:\$PATH\""
	echo "(man finds $prefix/share/man through PATH.)"
	echo
fi
echo "Next steps:"
echo "  git federate demo     # the whole story on this machine: origin, two mirrors, clone, push, sync"
echo "  git federate --help   # the manual"
echo "  git config --global protocol.federate.allow always   # only if submodules use federate:: URLs"
