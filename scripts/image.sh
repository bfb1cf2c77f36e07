#!/usr/bin/env bash
# scripts/image.sh — build the container image (deploy/Dockerfile) and
# smoke-test it, where a container engine runs. Without one it says so and
# exits 0: the manifests are still checked by `go test ./deploy/`.
#
#   scripts/image.sh [TAG]      default tag: git-federate:dev
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tag=${1:-git-federate:dev}

engine=
for e in docker podman; do
	if command -v "$e" >/dev/null 2>&1 && "$e" info >/dev/null 2>&1; then
		engine=$e
		break
	fi
done
if [ -z "$engine" ]; then
	echo "image.sh: no container engine is running here (docker or podman); nothing built"
	exit 0
fi

version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
"$engine" build -f deploy/Dockerfile --build-arg "VERSION=$version" -t "$tag" .

# Smoke test: the entrypoint answers, runs as the unprivileged user, and
# finds git, git-lfs and the helper on PATH.
"$engine" run --rm "$tag" --help >/dev/null
uid=$("$engine" run --rm --entrypoint id "$tag" -u)
[ "$uid" = 10001 ] || { echo "image.sh: the image runs as uid $uid, want 10001" >&2; exit 1; }
"$engine" run --rm --entrypoint sh "$tag" -c 'git --version && git lfs version && command -v git-remote-federate'
echo "image.sh: $tag built and answers"
