#!/usr/bin/env bash
# The README's test command. On a fresh machine it publishes the runtime, installs and starts a Docker engine,
# builds the node image offline, installs the real peers the tests talk to (tests/peers.apt), builds the solution
# and runs the test tiers. It ends with the line "N passed, N failed, N skipped"; skipped tests fail the run.
#
#   ./test.sh            CI tiers: Unit, Integration, Conformance, Chaos and Perf, without tests marked Heavy=true
#   ./test.sh --all      also the Heavy tests (long chaos scenarios, full benchmarks)
#   ./test.sh Unit       only the named tiers (any of Unit Integration Conformance Chaos Perf)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
export TESTCONTAINERS_RYUK_DISABLED=true DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

heavy=exclude
tiers=()
for arg in "$@"; do
  case "$arg" in
    --all) heavy=include ;;
    Unit|Integration|Conformance|Chaos|Perf) tiers+=("$arg") ;;
    *) echo "usage: ./test.sh [--all] [Unit|Integration|Conformance|Chaos|Perf ...]" >&2; exit 2 ;;
  esac
done
[ ${#tiers[@]} -eq 0 ] && tiers=(Unit Integration Conformance Chaos Perf)

results="$root/.results"
rm -rf "$results" && mkdir -p "$results"
passed=0 failed=0 skipped=0

summary() {
  echo
  echo "$passed passed, $failed failed, $skipped skipped"
}

die() {
  echo "error: $*" >&2
  failed=$((failed + 1))
  summary
  exit 1
}

step() { printf '\n==> %s\n' "$*"; }

command -v dotnet >/dev/null 2>&1 || die "the .NET 10 SDK (dotnet) is not on PATH; install it and run again."

step "prerequisites: runtime, Docker engine, base and node images"
./k3slab build || die "./k3slab build failed (see above); nothing was tested."

step "test peers from tests/peers.apt"
mapfile -t peers < <(grep -vE '^\s*(#|$)' tests/peers.apt)
missing=()
for p in "${peers[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  [ "$(id -u)" -eq 0 ] || die "the tests need ${missing[*]}: install them (sudo apt-get install ${missing[*]}) or run as root."
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d keeps Debian's postinst from starting a system etcd that would squat on port 2379.
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
  fi
  { apt-get install -y -q --no-install-recommends "${missing[@]}" || { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; }; } >"$results/apt.log" 2>&1
  status=$?
  [ $own_policy -eq 1 ] && rm -f /usr/sbin/policy-rc.d
  [ $status -eq 0 ] || die "apt-get install ${missing[*]} failed; see $results/apt.log."
else
  echo "all present: ${peers[*]}"
fi

step "build K3sLab.sln (Release)"
dotnet build K3sLab.sln -c Release --nologo -v q -clp:NoSummary >"$results/build.log" 2>&1 || { cat "$results/build.log"; die "the build failed (see above)."; }
grep -E "warning|error" "$results/build.log" | grep -v "0 Warning" | sort -u | head -20

mapfile -t assemblies < <(find tests -path '*/bin/Release/net10.0/*' -name 'K3sLab.*Tests.dll' | sort)
[ ${#assemblies[@]} -gt 0 ] || die "no test assemblies were built."

count() { grep -o "<assembly [^>]*>" "$1" | grep -oE " $2=\"[0-9]+\"" | grep -oE '[0-9]+' | head -1; }

# Runs a speed-gated perf command, named label ($1), with its output in log ($2). Exit 3 means its only failure was a speed verdict
# (a ratio floor or a p99 band): one burst from another tenant of a shared 2-core box can halve a few seconds' figures,
# so that run is measured once more and the second verdict stands; the first attempt's log is kept beside it, and the
# host's load and running containers are printed. Any other failure (a refused write, a lost event) never reruns.
speed_gated() {
  local label=$1 log=$2; shift 2
  "$@" >"$log" 2>&1
  local rc=$?
  [ "$rc" -eq 3 ] || return "$rc"
  mv "$log" "${log%.log}-first.log"
  echo "  $label: speed verdict missed on the first measurement, measuring once more: $(grep -h 'gate failed\|REGRESSED' "${log%.log}-first.log" | head -3 | tr -s ' ' | paste -sd ';' | sed 's/;/; /g')"
  echo "    host then: load average $(cut -d' ' -f1-3 /proc/loadavg), $(docker ps -q 2>/dev/null | wc -l) running containers"
  "$@" >"$log" 2>&1
}

# The api smoke (exit 1 on a refused request or a lost, repeated or reordered watch event), then its p99 gate, whose
# regression alone is a speed verdict (exit 3).
api_smoke_and_gate() {
  K3SLAB_ROOT="$root" dotnet perf/bin/Release/net10.0/K3sLab.Perf.dll api --quick --threshold "errors<0.1%" --threshold "p99.9<5s" --out "$results/perf" || return 1
  ./k3slab bench gate --baseline perf/baselines/api.json --results "$results/perf"
  local rc=$?
  [ "$rc" -eq 1 ] && return 3
  return "$rc"
}

for tier in "${tiers[@]}"; do
  step "tier $tier"
  tp=0 tf=0 ts=0
  for dll in "${assemblies[@]}"; do
    name="$(basename "$dll" .dll)"
    xml="$results/$tier-$name.xml"
    filter=(-trait "Category=$tier")
    [ "$heavy" = exclude ] && filter+=(-trait- "Heavy=true")
    (cd "$(dirname "$dll")" && "./$name" "${filter[@]}" -failSkips -noLogo -noColor -result-xml "$xml") >"$results/$tier-$name.log" 2>&1
    rc=$?
    if [ ! -f "$xml" ]; then
      cat "$results/$tier-$name.log"
      tf=$((tf + 1))
      echo "  $name: the runner crashed (exit $rc); log above"
      continue
    fi
    p=$(count "$xml" passed) f=$(count "$xml" failed) s=$(count "$xml" skipped) e=$(count "$xml" errors)
    f=$((f + e))
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    if [ $((p + f + s)) -gt 0 ]; then
      echo "  $name: $p passed, $f failed, $s skipped"
    fi
    if [ "$f" -gt 0 ] || [ "$s" -gt 0 ]; then
      grep -E "\[FAIL\]|\[SKIP\]" -A 12 "$results/$tier-$name.log" | head -80
    fi
    tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
  done
  if [ "$tier" = Perf ]; then
    # Perf smoke gates: memory budgets from the issues, measured by the perf suites (results in .results/perf).
    if K3SLAB_ROOT="$root" dotnet perf/bin/Release/net10.0/K3sLab.Perf.dll footprint --out "$results/perf" --max-server-rss-mib 100 >"$results/perf-footprint.log" 2>&1; then
      tp=$((tp + 1)); echo "  footprint gate: $(tail -1 "$results/perf-footprint.log")"
    else
      tf=$((tf + 1)); cat "$results/perf-footprint.log"
    fi
    # Store smoke: both stores under a short load; fails when ours loses a write or an event or grows without bound.
    if K3SLAB_ROOT="$root" dotnet perf/bin/Release/net10.0/K3sLab.Perf.dll store --quick --out "$results/perf" >"$results/perf-store.log" 2>&1; then
      tp=$((tp + 1)); echo "  store smoke: $(grep -c '^\[' "$results/perf-store.log") measurements, no lost writes or events (.results/perf/store.md)"
    else
      tf=$((tf + 1)); tail -40 "$results/perf-store.log"
    fi
    # Raft smoke: 3-member etcd and 3-member k3s datastore side by side for a few seconds, plus two leader-kill
    # failovers each; fails when ours is not 3 started voters, refuses a write, does not recover, or falls under half
    # of etcd's put throughput in the same run (a ratio; the 1.5x goal is reported in .results/perf/raft.md).
    if speed_gated "raft smoke" "$results/perf-raft.log" \
      env K3SLAB_ROOT="$root" dotnet perf/bin/Release/net10.0/K3sLab.Perf.dll raft --quick --min-ratio 0.5 --out "$results/perf"; then
      tp=$((tp + 1)); echo "  raft smoke: $(grep -c '^\[' "$results/perf-raft.log") measurements, 3 started voters, failover recovered, throughput within the floor (.results/perf/raft.md)"
    else
      tf=$((tf + 1)); tail -40 "$results/perf-raft.log"
    fi
    # The same put levels driven by the perf suite's own blocking HTTP/2 gRPC client (--client direct), which talks
    # to both etcd and ours through the runtime's HPACK code: fails when it cannot read either side's answers.
    if speed_gated "raft smoke, direct client" "$results/perf-raft-direct.log" \
      env K3SLAB_ROOT="$root" dotnet perf/bin/Release/net10.0/K3sLab.Perf.dll raft --quick --client direct --trials 0 --min-ratio 0.5 --out "$results/perf/raft-direct"; then
      tp=$((tp + 1)); echo "  raft smoke, direct client: $(grep -c '^\[' "$results/perf-raft-direct.log") measurements, throughput within the floor (.results/perf/raft-direct/raft.md)"
    else
      tf=$((tf + 1)); tail -40 "$results/perf-raft-direct.log"
    fi
    # API smoke: one k3s server under creates, gets, lists and 100/1,000 watchers; fails on a refused request or a lost,
    # repeated or reordered watch event. Speed goals are reported in .results/perf/api.md; the p99s and the create rate
    # are gated against perf/baselines/api.json with generous tolerances (4x a quiet host's p99 plus a few ms).
    if speed_gated "api smoke and p99 gate" "$results/perf-api.log" api_smoke_and_gate; then
      tp=$((tp + 1)); echo "  api smoke and p99 gate: $(grep -cE '^\[[^]]*\] (create|get|list|watch)' "$results/perf-api.log") measurements, every request acknowledged, no lost watch events; $(tail -1 "$results/perf-api.log") (.results/perf/api.md)"
    else
      tf=$((tf + 1)); tail -40 "$results/perf-api.log"
    fi
    # Allocation gate: the micro-benchmarks' bytes per operation against perf/baselines/alloc.json (tight: allocation
    # counts do not depend on the machine). Then the gate must catch a planted regression: with the test-only switch
    # perf-extra-allocation a LIST copies each object once more, and the gate has to exit 1 on exactly that.
    if ./k3slab bench micro --out "$results/perf/micro" >"$results/perf-alloc.log" 2>&1 \
      && ./k3slab bench gate --baseline perf/baselines/alloc.json --results "$results/perf/micro" >>"$results/perf-alloc.log" 2>&1; then
      tp=$((tp + 1)); echo "  allocation gate: $(tail -1 "$results/perf-alloc.log") (.results/perf/micro/micro.md)"
    else
      tf=$((tf + 1)); tail -40 "$results/perf-alloc.log"
    fi
    K3SLAB_TEST_PLANTED_BUG=perf-extra-allocation ./k3slab bench micro --out "$results/perf/micro-planted" >"$results/perf-alloc-planted.log" 2>&1
    ./k3slab bench gate --baseline perf/baselines/alloc.json --results "$results/perf/micro-planted" >>"$results/perf-alloc-planted.log" 2>&1
    rc=$?
    if [ "$rc" -eq 1 ] && grep -q "Json.WriteList bytes/op .*REGRESSED" "$results/perf-alloc-planted.log"; then
      tp=$((tp + 1)); echo "  allocation gate catches the planted extra allocation: $(grep -o 'Json.WriteList bytes/op .*REGRESSED.*' "$results/perf-alloc-planted.log" | tr -s ' ')"
    else
      tf=$((tf + 1)); echo "  allocation gate missed the planted extra allocation (exit $rc, expected 1):"; tail -40 "$results/perf-alloc-planted.log"
    fi
  fi
  echo "  tier $tier: $tp passed, $tf failed, $ts skipped"
  passed=$((passed + tp)) failed=$((failed + tf)) skipped=$((skipped + ts))
done

summary
[ $((passed + failed)) -gt 0 ] || { echo "error: no test ran." >&2; exit 1; }
[ "$failed" -eq 0 ] && [ "$skipped" -eq 0 ]
