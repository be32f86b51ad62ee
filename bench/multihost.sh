#!/usr/bin/env bash
# A month across separate hosts on this machine: the database, the broker, the object store and two
# workers each in a network namespace of its own, joined by a bridge (10.123.0.0/24, addresses of the
# project's own); the driver on a sixth host creates the contracts, prices March 2026 through the
# workers and issues it (PDFs rendered by the workers into the object store). Then the same month in one
# process on SQLite, and the two compared statement by statement.
#
#   sudo bash bench/multihost.sh [CONTRACTS]        (default 2000; needs root for `ip netns`)
#
# Nothing outside the namespaces is used: PostgreSQL is a new cluster in a temporary directory, Redis
# and the object store (moto's server) are new processes; all are removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
CONTRACTS="${1:-2000}"
PY="$PWD/.venv/bin/python"
CELERY="$PWD/.venv/bin/celery"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
WORK="$(mktemp -d /tmp/gs-multihost.XXXXXX)"
chmod 755 "$WORK"  # the database host runs as the postgres user
NET=10.123.0
BRIDGE=gsmh0
declare -A HOSTS=([db]=2 [broker]=3 [store]=4 [app]=10 [worker1]=11 [worker2]=12)

cleanup() {
  # Every process of every host (the workers' pool processes and the database's backends too).
  for signal in TERM KILL; do
    for host in "${!HOSTS[@]}"; do
      ip netns pids "gs-$host" 2>/dev/null | xargs -r kill "-$signal" 2>/dev/null || true
    done
    sleep 2
  done
  for host in "${!HOSTS[@]}"; do ip netns del "gs-$host" 2>/dev/null || true; done
  ip link del "$BRIDGE" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

on() { local host=$1; shift; ip netns exec "gs-$host" "$@"; }

echo "== hosts on $NET.0/24"
ip link add "$BRIDGE" type bridge
ip addr add "$NET.1/24" dev "$BRIDGE"
ip link set "$BRIDGE" up
for host in "${!HOSTS[@]}"; do
  ip netns add "gs-$host"
  ip link add "gsmh-$host" type veth peer name eth0 netns "gs-$host"
  ip link set "gsmh-$host" master "$BRIDGE" up
  on "$host" ip addr add "$NET.${HOSTS[$host]}/24" dev eth0
  on "$host" ip link set eth0 up
  on "$host" ip link set lo up
  echo "  gs-$host  $NET.${HOSTS[$host]}"
done
DB_ADDR="$NET.${HOSTS[db]}"
BROKER_ADDR="$NET.${HOSTS[broker]}"
STORE_ADDR="$NET.${HOSTS[store]}"

echo "== database (a new PostgreSQL cluster on gs-db), broker (Redis on gs-broker), object store (gs-store)"
install -d -o postgres "$WORK/pg" "$WORK/sock"
runuser -u postgres -- "$PG_BIN/initdb" -D "$WORK/pg" -A trust -U postgres >/dev/null
echo "host all all $NET.0/24 trust" >>"$WORK/pg/pg_hba.conf"
on db runuser -u postgres -- "$PG_BIN/postgres" -D "$WORK/pg" -c "listen_addresses=$DB_ADDR" \
  -c "unix_socket_directories=$WORK/sock" -c max_connections=50 >"$WORK/pg.log" 2>&1 &
# Reachable only on the bridge of the namespaces, so without a password.
on broker redis-server --bind "$BROKER_ADDR" --port 6379 --save '' --appendonly no --protected-mode no >"$WORK/redis.log" 2>&1 &
on store "$PWD/.venv/bin/moto_server" -H "$STORE_ADDR" -p 5000 >"$WORK/store.log" 2>&1 &
for _ in $(seq 60); do on app pg_isready -q -h "$DB_ADDR" && break; sleep 0.5; done
on app psql -q -h "$DB_ADDR" -U postgres -c "CREATE DATABASE gainshare"
for _ in $(seq 60); do on app "$PY" -c "import socket; socket.create_connection(('$STORE_ADDR', 5000), 1)" 2>/dev/null && break; sleep 0.5; done

export SECRET_KEY=multihost-rehearsal-not-secret SECURE_SSL_REDIRECT=0
export DATABASE_URL="postgres://postgres@$DB_ADDR:5432/gainshare"
export CELERY_BROKER_URL="redis://$BROKER_ADDR:6379/0"
export DOCUMENTS_STORAGE=s3 DOCUMENTS_S3_BUCKET=gainshare-documents DOCUMENTS_S3_REGION=eu-west-1
export DOCUMENTS_S3_ENDPOINT_URL="http://$STORE_ADDR:5000"
export DOCUMENTS_S3_ACCESS_KEY_ID=rehearsal DOCUMENTS_S3_SECRET_ACCESS_KEY=rehearsal
on app "$PY" -c "
import boto3; boto3.client('s3', endpoint_url='$DOCUMENTS_S3_ENDPOINT_URL', region_name='eu-west-1',
    aws_access_key_id='rehearsal', aws_secret_access_key='rehearsal').create_bucket(
    Bucket='$DOCUMENTS_S3_BUCKET', CreateBucketConfiguration={'LocationConstraint': 'eu-west-1'})"
# The workers have no MEDIA_ROOT in common with the driver: each its own, so a PDF reaches the driver
# only through the object store.
on app env MEDIA_ROOT="$WORK/media-app" "$PY" manage.py migrate --verbosity 0

echo "== two workers (gs-worker1, gs-worker2), one process each"
for worker in worker1 worker2; do
  on "$worker" env MEDIA_ROOT="$WORK/media-$worker" "$CELERY" -A config worker --concurrency 1 \
    --hostname "$worker@gs-$worker" --loglevel warning --without-gossip --without-mingle \
    >"$WORK/$worker.log" 2>&1 &
done

echo "== the month on the hosts"
on app env MEDIA_ROOT="$WORK/media-app" "$PY" bench/multihost.py cluster --contracts "$CONTRACTS" \
  --out "$WORK/cluster.json"

echo "== the same month in one process (SQLite, no broker, local files)"
env -u CELERY_BROKER_URL -u DOCUMENTS_STORAGE \
  "$PY" bench/multihost.py reference --contracts "$CONTRACTS" --out "$WORK/reference.json"

echo "== compared"
"$PY" bench/multihost.py compare "$WORK/reference.json" "$WORK/cluster.json"
