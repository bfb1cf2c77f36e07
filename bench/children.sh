#!/usr/bin/env bash
# bench/children.sh — what a no-op fetch, a clone and a one-commit push cost
# through federate:: against plain git: the processes they start (every
# successful execve, counted with strace -f) and their wall time (medians
# of runs taken in turns, so a busy shared machine slows all alike), with the
# token up front (FEDERATE_TOKEN_127_0_0_1_<port>) against plain git with
# credential.helper=store, on a server that refuses a request without the
# token once, as forges do. The floor of the machine is an empty Go program.
#
#   bench/children.sh [BIN_DIR [OLD_BIN_DIR]]   measure the binaries in BIN_DIR (default: built
#                                 from this tree), and those of OLD_BIN_DIR in the same turns
#   BENCH_RUNS=30 BENCH_CLONE_RUNS=5 BENCH_COMMITS=3500 bench/children.sh
#
# Needs git, Go, strace, hyperfine and python3 (Debian packages; installed
# with apt when missing and run as root). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
work=${BENCH_WORK:-${TMPDIR:-/tmp}/federate-children}
runs=${BENCH_RUNS:-20}
clone_runs=${BENCH_CLONE_RUNS:-5}
mkdir -p "$work/tools"

need=()
for t in strace hyperfine python3; do command -v $t >/dev/null 2>&1 || need+=($t); done
if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" </dev/null >/dev/null
fi

go build -trimpath -o "$work/tools/" ./bench/genrepo ./bench/serve
printf 'package main\n\nfunc main() {}\n' >"$work/empty.go"
CGO_ENABLED=0 go build -trimpath -o "$work/tools/empty" "$work/empty.go"
bin=${1:-}
if [ -z "$bin" ]; then
	bin=$work/bin
	mkdir -p "$bin"
	CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -o "$bin/" ./cmd/... # as scripts/release builds it
fi
bin=$(cd "$bin" && pwd)
old=${2:-}
[ -z "$old" ] || old=$(cd "$old" && pwd)

srv=$work/srv
[ -d "$srv/app.git" ] || "$work/tools/genrepo" -out "$srv/app.git" -commits "${BENCH_COMMITS:-1000}" >/dev/null
echo tok-bench-children >"$work/token"
rm -f "$work/url"
"$work/tools/serve" -root "$srv" -url-file "$work/url" -token-file "$work/token" -timeout 1h >/dev/null &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.1; done
url=$(cat "$work/url")
port=${url##*:}

export HOME=$work/home GIT_CONFIG_NOSYSTEM=1 FEDERATE_KEYRING=off GIT_TERMINAL_PROMPT=0
path=$PATH
export PATH=$bin:$PATH
export FEDERATE_TOKEN_127_0_0_1_$port=tok-bench-children
rm -rf "$HOME" && mkdir -p "$HOME"
git config --global credential.helper store
git config --global protocol.federate.allow always
git config --global user.name bench && git config --global user.email bench@example.com
echo "http://x:tok-bench-children@127.0.0.1:$port" >"$HOME/.git-credentials"

plain=$url/app.git
fed=federate::$url/app.git
for side in plain fed; do
	rm -rf "$work/$side"
	git clone -q "${!side}" "$work/$side"
	git -C "$work/$side" commit -q --allow-empty -m "bench push"
done
git --git-dir="$srv/app.git" update-ref -d refs/heads/bench 2>/dev/null || true

# count CMD...: the processes in the tree of CMD that ran a program
# (distinct pids with a successful execve), and how many ran this one.
count() {
	strace -f -qq -e trace=execve -e signal=none -o "$work/strace.txt" "$@" >/dev/null 2>&1
	local all ours
	all=$(grep -E 'execve(\(| resumed)' "$work/strace.txt" | grep ' = 0$' | awk '{print $1}' | sort -u | wc -l)
	# ours: a successful execve of one of this project's programs (the
	# work directory's name holds "federate" too, and PATH lookups fail
	# there first); strace may split an execve into "unfinished" and
	# "resumed" lines.
	ours=$(awk '
		/execve\("/ { split($0, a, "\""); path[$1] = a[2] }
		/execve/ && / = 0$/ { n = split(path[$1], p, "/"); if (p[n] ~ /^git-(remote-|credential-)?federate$/) ok[$1] = 1 }
		END { c = 0; for (k in ok) c++; print c }' "$work/strace.txt")
	echo "$all $ours"
}

# times N PREP CMD...: the median wall time of each CMD in ms, run in
# turns (A, B, …, A, B, …) after PREP each, so that the load of a shared
# machine falls on all alike; one unmeasured turn first.
times() {
	python3 - "$@" <<'PY'
import statistics, subprocess, sys, time
n, prep, cmds = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
ts = [[] for _ in cmds]
for i in range(n + 1):
    for j, cmd in enumerate(cmds):
        subprocess.run(prep, shell=True, check=True)
        t = time.perf_counter()
        subprocess.run(cmd.split(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if i:
            ts[j].append((time.perf_counter() - t) * 1000)
print(" ".join("%.1f" % statistics.median(t) for t in ts))
PY
}

# cell PROCS OURS MS BASE_MS: one table cell.
cell() { python3 -c 'import sys
p,o,t,b=sys.argv[1:]
print("%s (%s) / %s ms, %+.1f ms, %.2fx" % (p,o,t,float(t)-float(b),float(t)/float(b)), end="")' "$@"; }

if [ -n "$old" ]; then
	echo "| scenario | plain git: processes (ours) / median | federate before: processes (ours) / median, vs plain | federate: processes (ours) / median, vs plain |"
	echo "| --- | --- | --- | --- |"
else
	echo "| scenario | plain git: processes (ours) / median | federate: processes (ours) / median, vs plain |"
	echo "| --- | --- | --- |"
fi
row() {
	local name=$1 n=$2 prep=$3 pcmd=$4 fcmd=$5
	local pc fc oc tt ocmd
	ocmd=${fcmd/env PATH=$bin:/env PATH=$old:}
	# One run of each first: a first push writes config (LFS) the next
	# ones only read, and the counts are of the steady state.
	for c in "$pcmd" "$fcmd" ${old:+"$ocmd"}; do eval "$prep"; $c >/dev/null 2>&1; done
	eval "$prep"; pc=$(count $pcmd)
	eval "$prep"; fc=$(count $fcmd)
	if [ -n "$old" ]; then
		eval "$prep"; oc=$(count $ocmd)
		set -- $(times "$n" "$prep" "$pcmd" "$ocmd" "$fcmd")
		echo "| $name | ${pc% *} (${pc#* }) / $1 ms | $(cell ${oc% *} ${oc#* } $2 $1) | $(cell ${fc% *} ${fc#* } $3 $1) |"
	else
		set -- $(times "$n" "$prep" "$pcmd" "$fcmd")
		echo "| $name | ${pc% *} (${pc#* }) / $1 ms | $(cell ${fc% *} ${fc#* } $2 $1) |"
	fi
}
fedgit="env PATH=$bin:$path git"
row "no-op fetch" "$runs" "true" "git -C $work/plain fetch -q" "$fedgit -C $work/fed fetch -q"
row "clone" "$clone_runs" "rm -rf $work/c" "git clone -q $plain $work/c" "$fedgit clone -q $fed $work/c"
reset="git --git-dir=$srv/app.git update-ref -d refs/heads/bench"
row "one-commit push" "$runs" "$reset" "git -C $work/plain push -q origin HEAD:refs/heads/bench" "$fedgit -C $work/fed push -q origin HEAD:refs/heads/bench"
hyperfine -N -i --style none --warmup 3 --runs "$runs" --export-json "$work/h.json" "$work/tools/empty" "$bin/git-remote-federate" >/dev/null 2>&1 || true
python3 -c 'import json,sys
r=json.load(open(sys.argv[1]))["results"]
print("\nFloor (hyperfine -N, median): an empty Go program %.1f ms; git-remote-federate printing its usage %.1f ms." % (r[0]["median"]*1000, r[1]["median"]*1000))' "$work/h.json"
