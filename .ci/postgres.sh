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
#   MFA_ADMIN_TEST_PG_SCRAM  a role that authenticates with SCRAM-SHA-256 over TLS (channel binding)
#   MFA_ADMIN_TEST_PG_STANDBY  a streaming hot standby of the server (pg_basebackup), over TCP
#   MFA_ADMIN_TEST_PGBOUNCER_TX / _SESSION  PgBouncer (Debian package) in front of the server,
#                                 in transaction and in session pooling
#   MFA_ADMIN_TEST_PG_REQUIRED=1  the PostgreSQL half of the suite must run (it fails, never
#                                 skips, when a URL is missing or its server is unreachable)

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ] || ! command -v openssl >/dev/null \
    || ! [ -x /usr/sbin/pgbouncer ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql openssl pgbouncer >/dev/null
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

# A role that must authenticate with SCRAM (first match wins, so before initdb's trust lines).
printf 'hostssl all mfa_scram 127.0.0.1/32 scram-sha-256\nhost all mfa_scram 127.0.0.1/32 scram-sha-256\n' \
    | cat - "$pg_data/pg_hba.conf" >"$pg_root/hba" && cat "$pg_root/hba" >"$pg_data/pg_hba.conf"

as_postgres "$pg_bin/pg_ctl" -w -D "$pg_data" -l "$pg_root/server.log" start >/dev/null

pg_stop() {
    for pid_file in "$pg_root"/pgbouncer-*.pid; do
        [ -f "$pid_file" ] && kill "$(cat "$pid_file")" 2>/dev/null
    done
    [ -d "$pg_root/standby" ] &&
        as_postgres "$pg_bin/pg_ctl" -D "$pg_root/standby" -m immediate stop >/dev/null 2>&1
    as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pg_root"
}
trap pg_stop EXIT

as_postgres "$pg_bin/psql" -q -h "$pg_sock" -p "$pg_port" -U postgres -d postgres \
    -c "CREATE ROLE mfa_scram LOGIN SUPERUSER PASSWORD 'scram-test-pw'" >/dev/null

# A streaming hot standby. A part that fails to start leaves its URL unset; with
# MFA_ADMIN_TEST_PG_REQUIRED=1 the tests that need it then fail.
sb_port=$((pg_port + 1))
if as_postgres "$pg_bin/pg_basebackup" -h "$pg_sock" -p "$pg_port" -U postgres \
    -D "$pg_root/standby" -R -X stream >/dev/null 2>"$pg_root/standby.err"; then
    printf "port = %s\nunix_socket_directories = '%s'\nhot_standby = on\n" "$sb_port" "$pg_sock" \
        >>"$pg_root/standby/postgresql.conf"
    if as_postgres "$pg_bin/pg_ctl" -w -D "$pg_root/standby" -l "$pg_root/standby.log" start \
        >/dev/null; then
        export MFA_ADMIN_TEST_PG_STANDBY="postgresql://postgres@127.0.0.1:$sb_port/postgres?sslmode=disable"
    fi
fi

# PgBouncer in front of the server, in each pool mode (any database name passes through).
pgb_bin=$(command -v pgbouncer || ls /usr/sbin/pgbouncer 2>/dev/null || true)
printf '"postgres" ""\n' >"$pg_root/pgbouncer-users.txt"
for mode in transaction session; do
    [ -n "$pgb_bin" ] || break
    if [ "$mode" = transaction ]; then pgb_port=$((pg_port + 2)); else pgb_port=$((pg_port + 3)); fi
    {
        echo "[databases]"
        echo "* = host=$pg_sock port=$pg_port"
        echo "[pgbouncer]"
        echo "listen_addr = 127.0.0.1"
        echo "listen_port = $pgb_port"
        echo "unix_socket_dir ="
        echo "auth_type = trust"
        echo "auth_file = $pg_root/pgbouncer-users.txt"
        echo "pool_mode = $mode"
        echo "max_client_conn = 200"
        echo "default_pool_size = 20"
        echo "logfile = $pg_root/pgbouncer-$mode.log"
        echo "pidfile = $pg_root/pgbouncer-$mode.pid"
    } >"$pg_root/pgbouncer-$mode.ini"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$pg_root"/pgbouncer-*
    if as_postgres "$pgb_bin" -d "$pg_root/pgbouncer-$mode.ini" >/dev/null 2>&1; then
        url="postgresql://postgres@127.0.0.1:$pgb_port/postgres?sslmode=disable"
        if [ "$mode" = transaction ]; then
            export MFA_ADMIN_TEST_PGBOUNCER_TX="$url"
        else
            export MFA_ADMIN_TEST_PGBOUNCER_SESSION="$url"
        fi
    fi
done

# pg_trgm in template1, so every database the tests create has it already.
as_postgres "$pg_bin/psql" -q -h "$pg_sock" -p "$pg_port" -U postgres -d template1 \
    -c "CREATE EXTENSION IF NOT EXISTS pg_trgm" >/dev/null

export PATH="$pg_bin:$PATH"
export MFA_ADMIN_TEST_PG="postgresql://postgres@/postgres?host=$pg_sock&port=$pg_port"
export MFA_ADMIN_TEST_PG_TLS="postgresql://postgres@localhost:$pg_port/postgres?sslmode=verify-full&sslrootcert=$pg_root/ca.crt"
export MFA_ADMIN_TEST_PG_SCRAM="postgresql://mfa_scram:scram-test-pw@localhost:$pg_port/postgres?sslmode=require"
export MFA_ADMIN_TEST_PG_REQUIRED=1
echo "standby: ${MFA_ADMIN_TEST_PG_STANDBY:-did not start}; PgBouncer: ${MFA_ADMIN_TEST_PGBOUNCER_TX:-did not start} (transaction), ${MFA_ADMIN_TEST_PGBOUNCER_SESSION:-did not start} (session)"
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on $pg_sock port $pg_port"
