#!/usr/bin/env bash
# The first hour of a new user, measured: a fresh clone with empty Go caches, its first
# `go run .` until the gateway prints that it serves the playground; then, built, a start on an
# empty data folder until the playground answers and until /readyz says 200 (first sync,
# findings and family assessments done). Prints one line per figure, with the machine's load
# and the CPU time (user+sys) besides the wall time.
#
#   bench/firsthour/run.sh [REPO] [PORT]     # REPO: what to clone (default: this checkout)
#
# Everything it makes lives in one temporary folder, removed at the end.
set -euo pipefail

repo=${1:-$(git -C "$(dirname "$0")" rev-parse --show-toplevel)}
port=${2:-18990}
tmp=$(mktemp -d)
gw=""
cleanup() {
	if [ -n "$gw" ] && kill -0 "$gw" 2>/dev/null; then kill -INT -- "-$gw" 2>/dev/null || true; wait "$gw" 2>/dev/null || true; fi
	chmod -R u+w "$tmp" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
cpu() { # user+sys seconds from a /usr/bin/time -v report
	awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.1f", u + s }' "$1"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(go version | cut -d' ' -f3)"
echo "load before: $(uptime | sed 's/.*load average: //')"

git clone -q "$repo" "$tmp/fresh"
export GOMODCACHE="$tmp/gomod" GOCACHE="$tmp/gocache" GOFLAGS=-modcacherw
mkdir -p "$GOMODCACHE" "$GOCACHE"

# start NAME: `go run .` on an empty data folder in its own process group, under /usr/bin/time -v.
start() {
	rm -rf "$tmp/data-$1"
	# setsid: a background job of a script leads no process group, so setsid makes this pid
	# the leader of a new one, which stop interrupts as a whole (go run and the gateway).
	setsid env -C "$tmp/fresh" BIRLIK_ADDR="127.0.0.1:$port" BIRLIK_DATA="$tmp/data-$1" \
		/usr/bin/time -v -o "$tmp/time-$1" go run . >"$tmp/out-$1" 2>"$tmp/err-$1" &
	gw=$!
}
# stop: interrupt the gateway's process group and wait for it to exit.
stop() {
	kill -INT -- "-$gw" 2>/dev/null || true
	wait "$gw" 2>/dev/null || true
	gw=""
}
wait_line() { # wait_line NAME: until the gateway prints that it serves the playground
	until grep -q 'serving the playground' "$tmp/out-$1" 2>/dev/null; do
		if ! kill -0 "$gw" 2>/dev/null; then echo "the gateway exited:"; tail -20 "$tmp/err-$1"; exit 1; fi
		sleep 0.2
	done
}

# 1. The first `go run .`: download, build, generate, until it serves.
t0=$(now)
start cold
wait_line cold
first=$(since "$t0")
stop
echo "1. first go run . (empty caches) until it serves the playground: ${first} s wall, $(cpu "$tmp/time-cold") s user+sys (build, downloads and start)"
echo "   load now: $(uptime | sed 's/.*load average: //')"

# 2 and 3. Built: start, the playground answering, /readyz 200.
t0=$(now)
start warm
wait_line warm
key=$(cat "$tmp/data-warm/demo-api-key")
until [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
	-d '{"query":"{ regions { kato } }"}' "http://127.0.0.1:$port/query")" = 200 ]; do sleep 0.1; done
answering=$(since "$t0")
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ]; do sleep 0.5; done
ready=$(since "$t0")
stop
echo "2. built, start until the playground answers a query: ${answering} s"
echo "3. built, start until /readyz 200 (first sync, findings, assessments): ${ready} s wall, $(cpu "$tmp/time-warm") s user+sys over the whole run"
echo "   phases (from the gateway's log):"
grep -E 'feed done|every source has synced|checks done|assessments done' "$tmp/err-warm" | sed -E 's/^time=[^ ]+ level=[A-Z]+ /     /' | cut -c1-160
echo "load after: $(uptime | sed 's/.*load average: //')"
