#!/usr/bin/env bash
# bench/layout.sh — what one changed federation costs a sync, by where the
# other federations live: none at all, N of them in the global config
# (GIT_CONFIG_GLOBAL, which every git process reads, twice: git's trace2
# reads the system and global files before any command), or the same N in
# the config of a bare repository the sync runs in (docs/operations.md,
# "Where the federations live"). Each round commits to origin, then runs
# `git federate sync probe` in each layout, in turns, so that a busy
# machine slows all three alike: the probe federation fetches the commit
# and pushes it to 3 mirrors, over http on 127.0.0.1 (git http-backend,
# whose own processes read none of it). Reports the median time, the git
# processes of one sync and how many of them saw the federations (git's
# trace2: GIT_TRACE2_CONFIG_PARAMS).
#
#   bench/layout.sh                     N=10000, 9 rounds
#   BENCH_FEDS=1000 BENCH_RUNS=15 bench/layout.sh
#
# Needs git, Go and python3. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
work=${BENCH_WORK:-${TMPDIR:-/tmp}/federate-layout}
feds=${BENCH_FEDS:-10000}
runs=${BENCH_RUNS:-9}
rm -rf "$work" && mkdir -p "$work/tools" "$work/bin"
go build -trimpath -o "$work/tools/" ./bench/serve
CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -o "$work/bin/" ./cmd/git-federate # as scripts/release builds it

# The servers' own git reads no configuration but the repositories'.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME=$work/home FEDERATE_KEYRING=off GIT_TERMINAL_PROMPT=0
mkdir -p "$HOME"
srv=$work/srv
git init -q "$work/w"
git -C "$work/w" -c user.name=bench -c user.email=bench@example.com commit -q --allow-empty -m first
for r in o m1 m2 m3; do
	git init -q --bare "$srv/$r.git"
	git -C "$srv/$r.git" config http.receivepack true
	git -C "$work/w" push -q "$srv/$r.git" HEAD:refs/heads/main
done
echo tok-bench-layout >"$work/token"
"$work/tools/serve" -root "$srv" -url-file "$work/url" -token-file "$work/token" -timeout 1h >/dev/null &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.1; done
url=$(cat "$work/url")
export FEDERATE_TOKEN_127_0_0_1_${url##*:}=tok-bench-layout XDG_DATA_HOME=$work/data

printf '[federation "probe"]\n\torigin = %s/o.git\n\tmirror = %s/m1.git\n\tmirror = %s/m2.git\n\tmirror = %s/m3.git\n' \
	"$url" "$url" "$url" "$url" >"$work/probe.cfg"
python3 - "$work/others.cfg" "$feds" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write('[federation "org/r%05d"]\n\torigin = https://git.example.com/org/r%05d.git\n' % (i, i))
        for m in ("gitee.example.com", "gitlab.example.com", "mirror.example.com"):
            f.write("\tmirror = https://%s/org/r%05d.git\n" % (m, i))
EOF
cat "$work/probe.cfg" "$work/others.cfg" >"$work/all.cfg"
git init -q --bare "$work/federations.git"
git -C "$work/federations.git" config include.path "$work/all.cfg"

# sync_probe LAYOUT [TRACE]: one sync of the probe federation in LAYOUT.
sync_probe() {
	local env=(GIT_CONFIG_GLOBAL=/dev/null) dir=$work
	case $1 in
	none) env=(GIT_CONFIG_GLOBAL="$work/probe.cfg") ;;
	global) env=(GIT_CONFIG_GLOBAL="$work/all.cfg") ;;
	repository) dir=$work/federations.git ;;
	esac
	[ -z "${2:-}" ] || env+=(GIT_TRACE2_EVENT="$2" GIT_TRACE2_CONFIG_PARAMS=federation.probe.origin)
	(cd "$dir" && env "${env[@]}" "$work/bin/git-federate" sync probe >/dev/null 2>"$work/err") ||
		{ cat "$work/err" >&2; exit 1; }
}
commit() {
	git -C "$work/w" -c user.name=bench -c user.email=bench@example.com commit -q --allow-empty -m "round $1"
	git -C "$work/w" push -q "$srv/o.git" HEAD:refs/heads/main
}

layouts=(none global repository)
for l in "${layouts[@]}"; do commit "warm $l" && sync_probe "$l"; done # caches made, not measured
: >"$work/times"
for r in $(seq "$runs"); do
	for l in "${layouts[@]}"; do
		commit "$r $l"
		start=$(date +%s%N)
		sync_probe "$l"
		echo "$l $(( ($(date +%s%N) - start) / 1000 ))" >>"$work/times"
	done
done
for l in "${layouts[@]}"; do
	commit "trace $l"
	rm -f "$work/trace-$l"
	sync_probe "$l" "$work/trace-$l"
done

python3 - "$work" "$feds" "${layouts[@]}" <<'EOF'
import json, statistics, sys, collections
work, feds, layouts = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
times = collections.defaultdict(list)
for line in open(work + "/times"):
    l, us = line.split()
    times[l].append(int(us) / 1000)
print(f"One changed federation (origin + 3 mirrors, one new commit), {feds:,} other federations:\n")
print("| where the others live | sync (median of %d) | git processes | of them read federation sections |" % len(times[layouts[0]]))
print("| --- | --- | --- | --- |")
what = {"none": "nowhere (the probe alone, global)", "global": "global config", "repository": "a repository's config, sync run there"}
for l in layouts:
    names, saw = {}, set()
    for line in open(work + "/trace-" + l):
        e = json.loads(line)
        if e.get("event") == "cmd_name":
            names[e["sid"]] = e["name"]
        elif e.get("event") == "def_param":
            saw.add(e["sid"])
    print(f"| {what[l]} | {statistics.median(times[l]):.0f} ms | {len(names)} | {len(saw & set(names))} |")
EOF
