# Shared helpers for scripts/run.sh and scripts/test.sh (sourced, not executed).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "error: '$*' needs root; install it by hand and retry" >&2; return 1; fi
}

apt_install() {
    # apt_install PACKAGE... — install Debian packages, refreshing the lists once.
    echo "==> installing $* (apt-get)"
    if [ ! -e /tmp/.tg-apt-updated ]; then
        as_root apt-get update -qq && touch /tmp/.tg-apt-updated
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_chromium() {
    # Debian's Chromium drives the browser tests. Never `playwright install`: it downloads
    # a browser build of its own, and this machine reaches only the package registries.
    [ -x /usr/bin/chromium ] || apt_install chromium
}

find_python() {
    # Python 3.11 or newer (Django 5.2 supports up to 3.13; tg is tested on 3.11, which
    # is preferred when several are installed).
    for candidate in python3.11 python3.12 python3.13 python3; do
        if command -v "$candidate" >/dev/null &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))'; then
            echo "$candidate"; return 0
        fi
    done
    echo "error: Python 3.11 or newer is required (python3.11 or python3 on PATH)" >&2
    return 1
}

ensure_venv() {
    # Create .venv and install requirements.txt; reinstall only when it changed.
    local py stamp
    py="$(find_python)"
    if [ ! -x "$VENV/bin/python" ]; then
        if ! "$py" -m venv "$VENV" 2>/dev/null; then
            apt_install python3-venv
            "$py" -m venv "$VENV"
        fi
    fi
    stamp="$VENV/.requirements.sha256"
    if ! sha256sum --status -c "$stamp" 2>/dev/null; then
        echo "==> installing Python packages into .venv"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/requirements.txt"
        (cd "$ROOT" && sha256sum requirements.txt >"$stamp")
    fi
}

free_port() {
    "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_bindir() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    done
    return 1
}

# start_postgres DIR [durable] — a throwaway cluster on 127.0.0.1; sets PG_PORT and PG_URL.
# Tests trade durability for speed (fsync off); benchmarks pass "durable" to keep the
# server's defaults, as production runs it.
start_postgres() {
    local dir="$1" bin run_as=() extra="-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
    [ "${2:-}" = durable ] && extra="-c shared_buffers=512MB"
    bin="$(pg_bindir)" || { apt_install postgresql; bin="$(pg_bindir)"; }
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        # PostgreSQL refuses to run as root: hand the directory to the postgres user.
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
        chown postgres "$dir"
        run_as=(runuser -u postgres --)
    fi
    PG_PORT="$(free_port)"
    "${run_as[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-instructions >/dev/null
    "${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$dir \
            -c max_connections=200 $extra" >/dev/null
    PG_STOP=("${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop)
    "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres tg
    PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/tg"
    echo "==> PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"
}

# start_redis DIR — a throwaway Redis on 127.0.0.1; sets REDIS_PORT and REDIS_TEST_URL.
start_redis() {
    local dir="$1"
    command -v redis-server >/dev/null || apt_install redis-server
    REDIS_PORT="$(free_port)"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
        --daemonize yes --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
    for _ in $(seq 50); do
        redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    REDIS_TEST_URL="redis://127.0.0.1:$REDIS_PORT/1"
    echo "==> Redis $(redis-server --version | awk '{print $3}' | cut -d= -f2) on 127.0.0.1:$REDIS_PORT"
}
