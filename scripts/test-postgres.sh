#!/usr/bin/env bash
# Start a throw-away PostgreSQL server for the store tests.
#
# Installs Debian's `postgresql` if missing (idempotent), creates a fresh
# data directory under a temporary directory, starts the server on
# 127.0.0.1 on a free port (unix socket in the same temporary directory)
# and creates the database `pbx_test`.
#
# Two ways to use it:
#   source scripts/test-postgres.sh      # exports PBX_TEST_POSTGRES_URL and
#                                        # PBX_REQUIRE_POSTGRES=1, stops the
#                                        # server when the shell exits
#   eval "$(scripts/test-postgres.sh)"   # prints the export lines and a
#                                        # PBX_TEST_POSTGRES_STOP command;
#                                        # run "$PBX_TEST_POSTGRES_STOP" when done
#
# PostgreSQL refuses to run as root: when run as root the server runs as the
# `postgres` user (created by the Debian package).

pbx_pg_main() {
    set -euo pipefail
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then sudo=(sudo); fi
    fi

    if ! dpkg-query -W -f='${Status}' postgresql 2>/dev/null | grep -q 'install ok installed'; then
        echo "test-postgres: installing postgresql" >&2
        if ! apt-cache show postgresql >/dev/null 2>&1; then
            "${sudo[@]}" apt-get update >&2
        fi
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y --no-install-recommends postgresql >&2
    fi

    local bindir
    bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
        echo "test-postgres: no PostgreSQL binaries under /usr/lib/postgresql/*/bin" >&2
        return 1
    fi

    local dir run_as=()
    dir="$(mktemp -d /tmp/pbx-pg.XXXXXX)"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres:postgres "$dir"
        run_as=(runuser -u postgres --)
    fi

    local port
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

    "${run_as[@]}" "$bindir/initdb" -D "$dir/data" -U pbx --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; return 1; }
    "${run_as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >&2 || { cat "$dir/server.log" >&2; return 1; }
    "${run_as[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U pbx pbx_test

    PBX_TEST_POSTGRES_URL="postgres://pbx@127.0.0.1:$port/pbx_test"
    PBX_TEST_POSTGRES_STOP="${run_as[*]} $bindir/pg_ctl -D $dir/data -m fast stop >/dev/null; rm -rf $dir"
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    # Sourced: run in a subshell-free way but keep the caller's options.
    # Restore errexit, nounset and pipefail as they were (not through
    # `$(set +o)`: bash reports errexit as off inside a command
    # substitution).
    _pbx_pg_flags=$-
    if shopt -qo pipefail; then _pbx_pg_pipefail=1; else _pbx_pg_pipefail=; fi
    pbx_pg_main
    case $_pbx_pg_flags in *e*) set -e ;; *) set +e ;; esac
    case $_pbx_pg_flags in *u*) set -u ;; *) set +u ;; esac
    if [ -n "$_pbx_pg_pipefail" ]; then set -o pipefail; else set +o pipefail; fi
    unset _pbx_pg_flags _pbx_pg_pipefail
    export PBX_TEST_POSTGRES_URL PBX_TEST_POSTGRES_STOP
    export PBX_REQUIRE_POSTGRES=1
    trap 'eval "$PBX_TEST_POSTGRES_STOP"' EXIT
    echo "test-postgres: $PBX_TEST_POSTGRES_URL (stopped when this shell exits)" >&2
else
    pbx_pg_main
    printf 'export PBX_TEST_POSTGRES_URL=%q\n' "$PBX_TEST_POSTGRES_URL"
    printf 'export PBX_TEST_POSTGRES_STOP=%q\n' "$PBX_TEST_POSTGRES_STOP"
    printf 'export PBX_REQUIRE_POSTGRES=1\n'
fi
