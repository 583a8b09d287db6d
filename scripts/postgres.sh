#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback, for tests and benchmarks.
#   eval "$(bash scripts/postgres.sh start)"   # exports PG_DIR and TEST_DATABASE_URL
#   bash scripts/postgres.sh stop "$PG_DIR"
# Uses Debian's PostgreSQL (scripts/setup.sh installs it). As root, the server runs as the
# `postgres` user, which owns the throwaway data directory.
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "postgres.sh: no PostgreSQL under /usr/lib/postgresql; run scripts/setup.sh" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    dir=$(mktemp -d /tmp/kpb-postgres.XXXXXX)
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    as_owner "$bin/initdb" --auth=trust -U kpb -D "$dir/data" >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    # fsync stays on (the default): the benchmarks measure durable commits.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c shared_buffers=256MB" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U kpb kpb
    echo "export PG_DIR=$dir PG_BIN=$bin TEST_DATABASE_URL=postgres://kpb@127.0.0.1:$port/kpb"
    ;;
  stop)
    dir=${2:?usage: postgres.sh stop DIR}
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: postgres.sh start | stop DIR" >&2
    exit 2
    ;;
esac
