#!/usr/bin/env bash
# Runs the whole suite on SQLite, then again on PostgreSQL.
# PostgreSQL: $TEST_DATABASE_URL, else a server answering at 127.0.0.1:5432 (database `test`).
# REQUIRE_POSTGRES=1 turns a missing PostgreSQL into a failure (CI sets it).
# pytest's exit code 5 ("no tests ran") is a failure, not a pass.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

run_pytest() {
  local label="$1"; shift
  echo "=== test suite on ${label} ==="
  # One worker per core; each PostgreSQL worker gets its own database (tests/database.py).
  "$PY" -m pytest -n "${PYTEST_WORKERS:-auto}" "$@"
  local code=$?
  if [[ $code -eq 5 ]]; then
    echo "!!! pytest collected no tests on ${label}: treating as a failure" >&2
    return 1
  fi
  return $code
}

pg_url="${TEST_DATABASE_URL:-}"
if [[ -z "$pg_url" ]] && "$PY" - <<'PYEOF'
import socket, sys
try:
    socket.create_connection(("127.0.0.1", 5432), timeout=2).close()
except OSError:
    sys.exit(1)
PYEOF
then
  pg_url="postgresql+asyncpg://postgres@127.0.0.1:5432/test"
fi

(unset TEST_DATABASE_URL; run_pytest SQLite "$@")
sqlite_status=$?

if [[ -n "$pg_url" ]]; then
  TEST_DATABASE_URL="$pg_url" run_pytest "PostgreSQL (${pg_url})" "$@"
  pg_status=$?
else
  cat >&2 <<'BANNER'

##########################################################################
#  POSTGRESQL TESTS SKIPPED: no TEST_DATABASE_URL and nothing answers    #
#  at 127.0.0.1:5432. Only the SQLite run happened.                      #
##########################################################################

BANNER
  if [[ "${REQUIRE_POSTGRES:-0}" == "1" ]]; then
    echo "REQUIRE_POSTGRES=1: failing because the PostgreSQL run was skipped" >&2
    exit 1
  fi
  pg_status=0
fi

if [[ $sqlite_status -ne 0 || $pg_status -ne 0 ]]; then
  echo "suite failed (SQLite: ${sqlite_status}, PostgreSQL: ${pg_status})" >&2
  exit 1
fi
echo "suite passed on SQLite$([[ -n "$pg_url" ]] && echo " and PostgreSQL")"
