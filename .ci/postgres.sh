# Starts a private PostgreSQL server for the tests and exports its URLs. Source it:
#
#     . .ci/postgres.sh        # then: cargo test
#
# The server comes from the Debian `postgresql` package (installed here if missing): a new
# cluster in a temporary directory (`initdb --no-sync`, run as the `postgres` user because
# initdb refuses root), listening on a private Unix socket directory and a loopback port with
# a self-signed certificate, stopped and removed when the sourcing shell exits.
#
# Exports:
#   MFA_ADMIN_TEST_PG      server URL over the socket (tests create one database each)
#   MFA_ADMIN_TEST_PG_TLS  server URL over TCP with sslmode=verify-full and the CA certificate
#   MFA_ADMIN_TEST_PG_REQUIRED=1  the PostgreSQL half of the suite must run (it fails, never
#                                 skips, when the URL is missing or the server is unreachable)

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ] || ! command -v openssl >/dev/null; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql openssl >/dev/null
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

pg_root=$(mktemp -d /tmp/mfa-admin-pg.XXXXXX)
chmod 755 "$pg_root"
pg_data="$pg_root/data"
pg_sock="$pg_root/sock"
mkdir -p "$pg_sock"
pg_port=$((20000 + RANDOM % 20000))

as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}
[ "$(id -u)" -eq 0 ] && chown postgres: "$pg_root" "$pg_sock"

as_postgres "$pg_bin/initdb" --no-sync -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
    -D "$pg_data" >/dev/null

# A self-signed CA and a server certificate for localhost, for the TLS tests.
(
    cd "$pg_root"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mfa-admin test CA" \
        -keyout ca.key -out ca.crt >/dev/null 2>&1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout server.key -out server.csr >/dev/null 2>&1
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
        -extfile san.ext -out server.crt >/dev/null 2>&1
    cp server.crt server.key "$pg_data/"
    chmod 600 "$pg_data/server.key"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$pg_data/server.crt" "$pg_data/server.key"
    chmod 644 ca.crt
)

cat >>"$pg_data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$pg_sock'
ssl = on
max_connections = 200
EOF
# Tests need no durability (the cluster is thrown away); benchmarks (bench/pg.sh sets
# MFA_ADMIN_PG_DURABLE=1) measure the server as it would run.
if [ "${MFA_ADMIN_PG_DURABLE:-0}" != 1 ]; then
    printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n' \
        >>"$pg_data/postgresql.conf"
fi

as_postgres "$pg_bin/pg_ctl" -w -D "$pg_data" -l "$pg_root/server.log" start >/dev/null

pg_stop() {
    as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pg_root"
}
trap pg_stop EXIT

# pg_trgm in template1, so every database the tests create has it already.
as_postgres "$pg_bin/psql" -q -h "$pg_sock" -p "$pg_port" -U postgres -d template1 \
    -c "CREATE EXTENSION IF NOT EXISTS pg_trgm" >/dev/null

export PATH="$pg_bin:$PATH"
export MFA_ADMIN_TEST_PG="postgresql://postgres@/postgres?host=$pg_sock&port=$pg_port"
export MFA_ADMIN_TEST_PG_TLS="postgresql://postgres@localhost:$pg_port/postgres?sslmode=verify-full&sslrootcert=$pg_root/ca.crt"
export MFA_ADMIN_TEST_PG_REQUIRED=1
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on $pg_sock port $pg_port"
