#!/usr/bin/env bash
# Runs `make test` several times in a row with a CPU hog beside it, to show the suite does not depend
# on how busy the machine is. Prints each run's wall time and exit code; exits non-zero if any run failed.
# Usage: scripts/test-under-load.sh [RUNS=3] [HOG_WORKERS=4]     (stress-ng comes from Debian's packages)
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
hog="${2:-4}"
if ! command -v stress-ng >/dev/null 2>&1; then
  sudo=""; [[ "$(id -u)" != "0" ]] && sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends stress-ng
fi
stress-ng --cpu "$hog" --timeout 0 --quiet &
hog_pid=$!
trap 'kill "$hog_pid" 2>/dev/null' EXIT
mkdir -p var
failed=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  make test > "var/test-under-load-$i.log" 2>&1
  code=$?
  end=$(date +%s)
  summary=$(grep -E '^(=+ .*(passed|failed).* =+|suite (passed|failed).*)$' "var/test-under-load-$i.log" | tr '\n' ' ')
  echo "run $i: exit $code in $(( (end - start) / 60 )) min $(( (end - start) % 60 )) s, load $(cut -d' ' -f1-3 /proc/loadavg): $summary"
  [[ $code -ne 0 ]] && failed=1
done
exit $failed
