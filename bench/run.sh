#!/usr/bin/env bash
# bench/run.sh — compare git-remote-federate with plain git, in one run, on
# generated repositories served by git http-backend on 127.0.0.1.
#
#   bench/run.sh                       everything (about 15-30 minutes on 2 cores)
#   bench/run.sh -only clone,fetch     some scenarios: clone fetch push sync sync-all rss
#   bench/run.sh -sizes small:1000 -runs 3 -many 20    a quick look
#   BENCH_WORK=/var/tmp/fb bench/run.sh                where to work (default $TMPDIR/federate-bench)
#
# Generated repositories are cached in the work dir, so later runs skip
# generating them. Needs git and Go; uses hyperfine and /usr/bin/time when
# present (Debian "hyperfine" and "time"; as root on Debian they are
# installed with apt when missing). Without hyperfine the harness times
# interleaved runs itself and reports medians.
# The results are printed and written to $BENCH_WORK/results.md.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
work=${BENCH_WORK:-${TMPDIR:-/tmp}/federate-bench}
mkdir -p "$work"

# Tools: install the Debian packages when root and they are missing.
need=()
command -v hyperfine >/dev/null 2>&1 || need+=(hyperfine)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ "${BENCH_NO_APT:-0}" != 1 ]; then
		echo "installing ${need[*]}..."
		DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" </dev/null >/dev/null
	else
		echo "note: missing ${need[*]}; continuing without (install: apt-get install --no-install-recommends ${need[*]})" >&2
	fi
fi

echo "building into $work/bin..."
mkdir -p "$work/bin"
CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -o "$work/bin/" ./cmd/... ./bench/genrepo ./bench/serve ./bench/harness ./bench/rsswrap

hyperfine=""
if command -v hyperfine >/dev/null 2>&1 && [ "${BENCH_NO_HYPERFINE:-0}" != 1 ]; then
	hyperfine=$(command -v hyperfine)
fi

exec "$work/bin/harness" -work "$work" -bin "$work/bin" -hyperfine "$hyperfine" "$@"
