#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the test suite and export its URL.
#
#   source scripts/ci-postgres.sh             # exports OERREPO_TEST_PG_URL, stops the server on exit
#   eval "$(bash scripts/ci-postgres.sh)"     # the same, without the exit trap
#
# Installs PostgreSQL from Debian's packages where it is missing (only when run as root),
# runs initdb in a temporary directory as a non-root user (PostgreSQL refuses to run as
# root), listens on a free 127.0.0.1 port only, creates a database `oerrepo_test` with
# the extensions unaccent and pg_trgm, and prints
#   export OERREPO_TEST_PG_URL=postgresql+psycopg://oerrepo@127.0.0.1:PORT/oerrepo_test
# It never fails the caller: when PostgreSQL cannot be had, it says why on stderr, prints
# nothing on stdout, and the PostgreSQL tests skip.
#
# The cluster is for tests only: trust authentication on loopback, fsync off.

if [ -n "${BASH_SOURCE[0]:-}" ] && [ "${BASH_SOURCE[0]}" != "$0" ]; then
    # Sourced: do the work in a child shell so that no failure, `set -e` or `exit`
    # reaches the caller, then export what it printed.
    _oerrepo_pg_out="$(bash "${BASH_SOURCE[0]}" 2>&2)" || true
    if [ -n "$_oerrepo_pg_out" ]; then
        eval "$_oerrepo_pg_out"
        if [ -n "${OERREPO_TEST_PG_STOP:-}" ]; then
            # shellcheck disable=SC2064
            trap "${OERREPO_TEST_PG_STOP}; $(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//")" EXIT
        fi
        echo "ci-postgres: OERREPO_TEST_PG_URL=${OERREPO_TEST_PG_URL:-}" >&2
    else
        echo "ci-postgres: no PostgreSQL; its tests will skip" >&2
    fi
    unset _oerrepo_pg_out
    return 0 2>/dev/null || true
fi

set -u
log() { echo "ci-postgres: $*" >&2; }
give_up() { log "$*; PostgreSQL tests will skip"; exit 0; }

find_bindir() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    done
    if command -v pg_config >/dev/null 2>&1; then
        dir="$(pg_config --bindir 2>/dev/null)"
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    fi
    dir="$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")"
    [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    return 1
}

BINDIR="$(find_bindir)"
if [ -z "$BINDIR" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "installing PostgreSQL from Debian's packages"
        export DEBIAN_FRONTEND=noninteractive
        if ! { apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2; }; then
            give_up "apt-get could not install postgresql"
        fi
        BINDIR="$(find_bindir)" || give_up "postgresql installed but initdb not found"
    else
        give_up "PostgreSQL is not installed and cannot be installed here (needs root and apt-get)"
    fi
fi

# PostgreSQL will not run as root: use the `postgres` account the package creates, or make one.
RUN_AS=""
if [ "$(id -u)" = 0 ]; then
    if id postgres >/dev/null 2>&1; then
        RUN_AS=postgres
    elif id oerrepo-ci >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin oerrepo-ci >&2; then
        RUN_AS=oerrepo-ci
    else
        give_up "running as root and no non-root account to run PostgreSQL"
    fi
fi
as_owner() {
    if [ -n "$RUN_AS" ]; then
        if command -v runuser >/dev/null 2>&1; then runuser -u "$RUN_AS" -- "$@"; else su -s /bin/sh "$RUN_AS" -c "$(printf '%q ' "$@")"; fi
    else
        "$@"
    fi
}

PGTMP="$(mktemp -d "${TMPDIR:-/tmp}/oerrepo-pg.XXXXXX")" || give_up "cannot make a temporary directory"
chmod 700 "$PGTMP"
[ -n "$RUN_AS" ] && chown "$RUN_AS" "$PGTMP"
PGDATA="$PGTMP/data"

# A UTF-8 locale matters: text search needs it to see accented letters as letters, and
# C.UTF-8 sorts ids by code point, as SQLite does.
LOCALE=C.UTF-8
locale -a 2>/dev/null | grep -qi '^c\.utf-\?8$' || LOCALE=C
as_owner "$BINDIR/initdb" -D "$PGDATA" -U oerrepo --auth=trust -E UTF8 --locale="$LOCALE" >"$PGTMP/initdb.log" 2>&1 \
    || { cat "$PGTMP/initdb.log" >&2; rm -rf "$PGTMP"; give_up "initdb failed"; }

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null)"
[ -n "$PORT" ] || PORT=$((20000 + RANDOM % 20000))

OPTS="-p $PORT -k $PGTMP -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=200"
as_owner "$BINDIR/pg_ctl" -D "$PGDATA" -o "$OPTS" -l "$PGTMP/server.log" -w -t 60 start >/dev/null 2>&1 \
    || { cat "$PGTMP/server.log" >&2 2>/dev/null; rm -rf "$PGTMP"; give_up "the server did not start"; }

STOP="$BINDIR/pg_ctl -D $PGDATA -m fast stop >/dev/null 2>&1; rm -rf $PGTMP"
[ -n "$RUN_AS" ] && STOP="runuser -u $RUN_AS -- $BINDIR/pg_ctl -D $PGDATA -m fast stop >/dev/null 2>&1; rm -rf $PGTMP"

psql_() { as_owner "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U oerrepo "$@"; }
if ! psql_ -d postgres -c "CREATE DATABASE oerrepo_test" >&2; then
    eval "$STOP"
    give_up "could not create the test database"
fi
for ext in unaccent pg_trgm; do
    psql_ -d oerrepo_test -c "CREATE EXTENSION IF NOT EXISTS $ext" >&2 || log "extension $ext is not available (contrib missing?)"
done

log "$("$BINDIR/postgres" --version) on 127.0.0.1:$PORT, data in $PGTMP"
echo "export OERREPO_TEST_PG_URL=postgresql+psycopg://oerrepo@127.0.0.1:$PORT/oerrepo_test"
echo "export OERREPO_TEST_PG_STOP='$STOP'"
