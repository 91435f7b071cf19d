#!/usr/bin/env bash
# HTTP load test of tg as production runs it: two gunicorn instances on two loopback
# ports sharing one PostgreSQL (durable, fsync on) and one Redis, simulated players and
# storytellers (Locust, headless, bounded in time) doing what the pages do, and
# monitor_validation running from "cron" meanwhile. Afterwards validate_data_integrity
# --full must exit 0 (every balance equal to its ledger, no lost dot).
#
#   bench/load/run.sh                    # 20 users, 3 minutes
#   bench/load/run.sh --faults           # the same, with faults injected under load
#   USERS=40 DURATION=5m bench/load/run.sh
#
# Targets only 127.0.0.1. Results: bench/load/results/ (git-ignored) and a summary on
# stdout; docs/performance.md has the figures of the runs reported there.
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
cd "$ROOT"
ensure_venv
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r bench/requirements.txt \
    2> >(grep -v "^WARNING: Location" >&2)
PY="$VENV/bin/python"

FAULTS=0
[ "${1:-}" = --faults ] && FAULTS=1
USERS="${USERS:-20}"
DURATION="${DURATION:-3m}"
OUT="$ROOT/bench/load/results"
mkdir -p "$OUT"
rm -f "$OUT"/*

WORK="$(mktemp -d /tmp/tg-load.XXXXXX)"
chmod 755 "$WORK"
PIDS=()
cleanup() {
    set +e
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    sleep 1
    [ -n "${PG_STOP:-}" ] && "${PG_STOP[@]}" >/dev/null 2>&1
    [ -f "$WORK/redis.pid" ] && kill "$(cat "$WORK/redis.pid")" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
start_postgres "$WORK/pg" durable
start_redis "$WORK"

export DATABASE_URL="$PG_URL" REDIS_URL="$REDIS_TEST_URL"
export DJANGO_SETTINGS_MODULE=tg.settings.production
export SECRET_KEY="load-test-secret-key-$(date +%s)-not-for-production-0123456789abcdef"
export ALLOWED_HOSTS=127.0.0.1,localhost
export TG_STATIC_ROOT="$WORK/static"
export EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend
export TG_LOG_LEVEL=WARNING

echo "==> migrate, data, collectstatic"
"$PY" manage.py migrate -v 0
"$PY" bench/load/prepare.py --out "$WORK/users.json"
"$PY" manage.py collectstatic --noinput -v 0

# TLS in gunicorn itself (a self-signed certificate for 127.0.0.1), standing in for the
# reverse proxy: the production settings' secure cookies and HTTPS checks hold as they are.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
PORT1="$(free_port)"
PORT2="$(free_port)"
start_instance() { # start_instance PORT LOG → pid of the gunicorn master
    TG_BIND="127.0.0.1:$1" "$PY" -m gunicorn -c tg/gunicorn.conf.py \
        --certfile "$WORK/cert.pem" --keyfile "$WORK/key.pem" >>"$2" 2>&1 &
    echo $!
}
ONE="$(start_instance "$PORT1" "$OUT/instance1.log")"
TWO="$(start_instance "$PORT2" "$OUT/instance2.log")"
PIDS+=("$ONE" "$TWO")
for port in "$PORT1" "$PORT2"; do
    for _ in $(seq 100); do
        curl -kfsS "https://127.0.0.1:$port/health/" >/dev/null 2>&1 && break
        sleep 0.2
    done
done
echo "==> two instances: 127.0.0.1:$PORT1 (pid $ONE), 127.0.0.1:$PORT2 (pid $TWO)"

# "cron": the hourly monitor line, every 30 s here.
(while true; do
    "$PY" manage.py monitor_validation --json >>"$OUT/validation.log" 2>>"$OUT/monitor.err"
    sleep 30
done) &
PIDS+=($!)

if [ "$FAULTS" = 1 ]; then
    (
        sleep 40
        worker="$(pgrep -P "$ONE" | head -1)"
        echo "$(date +%T) fault: kill -9 worker $worker of instance 1" | tee -a "$OUT/faults.log"
        kill -9 "$worker"
        sleep 30
        echo "$(date +%T) fault: kill -9 instance 2 (master $TWO and its workers)" | tee -a "$OUT/faults.log"
        pkill -9 -P "$TWO"
        kill -9 "$TWO"
        sleep 10
        start_instance "$PORT2" "$OUT/instance2.log" >"$WORK/two.pid"
        echo "$(date +%T) instance 2 restarted (pid $(cat "$WORK/two.pid"))" | tee -a "$OUT/faults.log"
        sleep 20
        echo "$(date +%T) fault: Redis stopped for 30 s" | tee -a "$OUT/faults.log"
        redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1
        sleep 30
        redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
            --daemonize yes --dir "$WORK" --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log"
        echo "$(date +%T) Redis restarted" | tee -a "$OUT/faults.log"
        sleep 15
        echo "$(date +%T) fault: pg_terminate_backend of every tg connection (as a database restart would)" | tee -a "$OUT/faults.log"
        psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d tg -Atc \
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE datname = 'tg' AND pid <> pg_backend_pid()" \
            | sed 's/^/terminated backends: /' | tee -a "$OUT/faults.log"
    ) &
    PIDS+=($!)
fi

echo "==> locust: $USERS users for $DURATION"
TG_LOAD_USERS="$WORK/users.json" TG_LOAD_OUTCOMES="$OUT/outcomes.json" TG_LOAD_HOSTS="https://127.0.0.1:$PORT1,https://127.0.0.1:$PORT2" \
    "$VENV/bin/locust" -f bench/load/locustfile.py --headless -u "$USERS" -r 5 \
    --run-time "$DURATION" --stop-timeout 10 --csv "$OUT/load" --only-summary \
    >"$OUT/locust.log" 2>&1 || true
[ -f "$WORK/two.pid" ] && PIDS+=("$(cat "$WORK/two.pid")")

echo "==> after the load"
set +e
"$PY" bench/load/report.py "$OUT"
report=$?
"$PY" manage.py validate_data_integrity --full >"$OUT/validate.txt" 2>&1
status=$?
tail -3 "$OUT/validate.txt"
echo "validate_data_integrity --full exit status: $status"
"$PY" manage.py monitor_validation >"$OUT/monitor-final.txt" 2>&1
head -12 "$OUT/monitor-final.txt"
grep -c . "$OUT/validation.log" | sed 's/^/monitor runs during the load: /'
[ "$status" = 0 ] && [ "$report" = 0 ]
