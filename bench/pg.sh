#!/usr/bin/env bash
# The PostgreSQL benchmarks (the PostgreSQL targets in bench/README.md); method in bench/README.md.
#
#   bench/pg.sh [USERS]     default 1,000,000 users
#   bench/pg.sh --smoke     10,000 users, every command once, throughput for 2 s (no report)
#
# Starts a private PostgreSQL server (.ci/postgres.sh, durable settings: fsync on), copies
# the harness's generated SQLite store of USERS users into it with `mfa-admin copy`, then
# measures, beside the floor:
#   - per-call commands (hyperfine, whole process) beside `psql` running the same SQL on the
#     same database in a fresh process;
#   - `mfa verify` throughput with 1, 8 and 32 concurrent clients (one process per verify,
#     each a different enrolled user) beside pgbench running the same statements in one
#     transaction without mfa-admin's audit-head lock, with persistent connections and with
#     a new connection per transaction (-C, what a process per verify pays).
# Writes bench/pg-results.md (not in --smoke).
set -euo pipefail
shopt -s inherit_errexit

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/bench/out
SMOKE=0
SIZE=1000000
for arg in "$@"; do
    case $arg in
    --smoke) SMOKE=1 SIZE=10000 ;;
    -h | --help)
        sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *[!0-9]* | '') echo "pg.sh: unknown argument $arg" >&2; exit 2 ;;
    *) SIZE=$arg ;;
    esac
done
log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }
q() { printf '%q ' "$@"; }

cd "$ROOT"
for tool in hyperfine sqlite3; do
    command -v "$tool" >/dev/null || { apt-get update -q >&2; apt-get install -y -q "$tool" >&2; }
done
log "building (release)"
cargo build --release --quiet --example bench
cargo build --release --quiet --bin mfa-admin
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET_DIR/release/mfa-admin
TOOL=$TARGET_DIR/release/examples/bench
eval "$("$TOOL" fixture)" # FIXTURE_USER, FIXTURE_SECRET, FIXTURE_CODE
mkdir -p "$OUT/pg"

log "starting PostgreSQL"
MFA_ADMIN_PG_DURABLE=1
export MFA_ADMIN_PG_DURABLE
# shellcheck source=../.ci/postgres.sh
. "$ROOT/.ci/postgres.sh"
PGURL_SERVER=$MFA_ADMIN_TEST_PG
pgurl() { printf '%s' "${PGURL_SERVER/\/postgres\?//$1?}"; }
DB=$(pgurl bench)
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -d "$DB")
psql -X -q -d "$PGURL_SERVER" -c "CREATE DATABASE bench"

# The same generated SQLite store as bench/run.sh (cached there).
FP=$( (cat src/store/sqlite/migrations.rs src/commands/sample.rs && "$TOOL" fixture) | sha256sum | cut -c1-12)
SRC=$OUT/store-$SIZE-$FP.db
if [[ ! -f $SRC ]]; then
    log "generating a store of $SIZE users (cached as $SRC)"
    rm -f "$SRC.tmp" "$SRC.tmp.key"
    "$TOOL" store "$SRC.tmp" "$SIZE"
    sqlite3 "$SRC.tmp" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
    mv "$SRC.tmp.key" "$SRC.key"
    mv "$SRC.tmp" "$SRC"
fi
KEY=$OUT/pg/bench.key
cp "$SRC.key" "$KEY"
chmod 600 "$KEY"
log "copying $SIZE users into PostgreSQL"
t0=$(date +%s.%N)
cp "$SRC" "$OUT/pg/source.db"
"$BIN" --db "$OUT/pg/source.db" --key-file "$KEY" --quiet copy "$DB" >/dev/null
copy_s=$(echo "$(date +%s.%N) - $t0" | bc)
"${PSQL[@]}" -c "VACUUM ANALYZE"
M=(--db "$DB" --key-file "$KEY")

read -r uid user < <("${PSQL[@]}" -At -F ' ' -c \
    "SELECT u.id, u.username_key FROM users u JOIN totp_credentials c ON c.user_id = u.id
     WHERE c.state = 'enrolled' AND u.id >= $SIZE / 2 ORDER BY u.id LIMIT 1")
fid=$("${PSQL[@]}" -At -c "SELECT id FROM users WHERE username_key = '$FIXTURE_USER'")
partial=${user:2}

cols="u.id, u.username, u.name, u.email, u.status, u.failed_attempts, u.locked_at,
    u.locked_until, u.lock_reason, u.enrollment_required, u.exempt_reason, u.exempt_until,
    u.created_at, c.state FROM users u LEFT JOIN totp_credentials c ON c.user_id = u.id"
now="extract(epoch from now())::bigint"
SQL=$OUT/pg/sql
mkdir -p "$SQL"
cat >"$SQL/show.sql" <<SQL
SELECT $cols WHERE u.username_key = '$user';
SELECT remaining, length(code_hashes) / 32 FROM recovery_sets WHERE user_id = $uid;
SELECT count(*) FROM trusted_devices WHERE user_id = $uid AND expires_at > $now;
SQL
cat >"$SQL/status.sql" <<SQL
SELECT $cols WHERE u.username_key = '$user';
SELECT state, secret, algorithm, digits, period, last_step, created_at, confirmed_at
    FROM totp_credentials WHERE user_id = $uid;
SELECT remaining, length(code_hashes) / 32 FROM recovery_sets WHERE user_id = $uid;
SELECT count(*) FROM trusted_devices WHERE user_id = $uid AND expires_at > $now;
SQL
for kind in exact partial common; do
    case $kind in exact) needle=$user ;; partial) needle=$partial ;; common) needle=smith ;; esac
    cat >"$SQL/find-$kind.sql" <<SQL
SELECT $cols WHERE u.search_text LIKE '%$needle%' AND strpos(u.search_text, '$needle') > 0
    ORDER BY (u.username_key = '$needle') DESC, u.username_key LIMIT 50;
SQL
done
cat >"$SQL/audit.sql" <<SQL
SELECT id, at, actor, action, user_id, username, reason, details FROM audit_log
    ORDER BY id DESC LIMIT 50;
SQL
# One verify: what `mfa verify` runs, in one READ COMMITTED transaction.
verify_sql() { # USER_ID USERNAME
    cat <<SQL
SELECT value FROM meta WHERE key = 'key_check';
SELECT $cols WHERE u.username_key = '$2';
SELECT key, value FROM policy;
BEGIN;
SET LOCAL lock_timeout = 5000;
SELECT $cols WHERE u.id = $1;
SELECT state, secret, algorithm, digits, period, last_step FROM totp_credentials WHERE user_id = $1;
UPDATE totp_credentials SET last_step = $now / 30
    WHERE user_id = $1 AND (last_step IS NULL OR last_step < $now / 30);
UPDATE users SET failed_attempts = 0 WHERE id = $1;
SELECT seq, head FROM audit_chains WHERE chain = 1 + pg_backend_pid() % 8 FOR UPDATE;
INSERT INTO audit_log (at, actor, action, user_id, username, prev_hash, hash)
    VALUES ($now, 'bench', 'mfa.verify', $1, '$2', '\\x00', '\\x00');
UPDATE audit_chains SET seq = seq + 1, head = '\\x00' WHERE chain = 1 + pg_backend_pid() % 8;
COMMIT;
SQL
}
verify_sql "$fid" "$FIXTURE_USER" >"$SQL/verify.sql"

# Throughput: verifiers enrolled with one known secret, each verified once per run.
log "enrolling throughput users"
PER=$((SMOKE ? 2 : 25))
MAXC=32
"$BIN" "${M[@]}" --quiet policy set recovery_codes 1 >/dev/null
"$BIN" "${M[@]}" --quiet policy set lockout_threshold 100 >/dev/null
export BIN KEY DB FIXTURE_SECRET TOOL
seq 0 $((MAXC * PER - 1)) | xargs -P 2 -I{} bash -c '
    "$BIN" --db "$DB" --key-file "$KEY" --quiet user add "tp{}" >/dev/null &&
    "$BIN" --db "$DB" --key-file "$KEY" --quiet mfa enroll "tp{}" --secret "$FIXTURE_SECRET" >/dev/null 2>&1 &&
    "$BIN" --db "$DB" --key-file "$KEY" --quiet mfa confirm "tp{}" "$("$TOOL" totp "$FIXTURE_SECRET" | cut -d" " -f1)" >/dev/null'
# The floor works on a copy: its writes (fake audit rows) would break the tool's chain.
psql -X -q -d "$PGURL_SERVER" -c "CREATE DATABASE bench_floor TEMPLATE bench"
FLOOR=$(pgurl bench_floor)
PSQLF=(psql -X -q -v ON_ERROR_STOP=1 -d "$FLOOR")

TABLE=$OUT/pg/table.md
: >"$TABLE"
RUNS=20
((SMOKE)) && RUNS=1
# row NAME TARGET COMMAND FLOOR [PREPARE FLOOR_PREPARE]: one line of the table (medians).
row() {
    local name=$1 target=$2 cmd=$3 floor=$4 prep=${5:-} fprep=${6:-} slug
    slug=$(printf '%s' "$name" | tr -c 'a-zA-Z0-9' '_')
    log "$name"
    local a=(hyperfine -N --style none --runs "$RUNS" --warmup $((SMOKE ? 0 : 3)))
    local b=("${a[@]}")
    [[ -n $prep ]] && a+=(--prepare "$prep")
    [[ -n $fprep ]] && b+=(--prepare "$fprep")
    "${a[@]}" --export-json "$OUT/pg/$slug.json" "$cmd" >&2
    "${b[@]}" --export-json "$OUT/pg/$slug.floor.json" "$floor" >&2
    local m f
    m=$(jq '.results[0].median * 1000' "$OUT/pg/$slug.json")
    f=$(jq '.results[0].median * 1000' "$OUT/pg/$slug.floor.json")
    printf '| %s | %.1f ms | %.1f ms | %.2f× | %s |\n' "$name" "$m" "$f" \
        "$(echo "$m / $f" | bc -l)" "$target" >>"$TABLE"
}
{ command -v jq && command -v bc; } >/dev/null || { apt-get update -q >&2; apt-get install -y -q jq bc >&2; }
pq() { q "${PSQLF[@]}" -o /dev/null -f "$SQL/$1.sql"; }
rearm="$(q "${PSQL[@]}" -c "UPDATE totp_credentials SET last_step = NULL WHERE user_id = $fid")"
rearmf="$(q "${PSQLF[@]}" -c "UPDATE totp_credentials SET last_step = NULL WHERE user_id = $fid")"
row "user show" "≤ 2× floor" "$(q "$BIN" "${M[@]}" user show "$user")" "$(pq show)"
row "mfa status" "≤ 2× floor" "$(q "$BIN" "${M[@]}" mfa status "$user")" "$(pq status)"
row "user find (exact: $user)" "< 50 ms" "$(q "$BIN" "${M[@]}" user find "$user")" "$(pq find-exact)"
row "user find (substring: $partial)" "< 50 ms" "$(q "$BIN" "${M[@]}" user find "$partial")" "$(pq find-partial)"
row "user find (substring: smith)" "< 50 ms" "$(q "$BIN" "${M[@]}" user find smith)" "$(pq find-common)"
row "audit --limit 50" "≤ 2× floor" "$(q "$BIN" "${M[@]}" audit --limit 50)" "$(pq audit)"
read -r code _ < <("$TOOL" totp "$FIXTURE_SECRET") # valid for this step and the next (skew 1)
row "mfa verify (valid code)" "< 10 ms, ≤ 2× floor" \
    "$(q "$BIN" "${M[@]}" mfa verify "$FIXTURE_USER" "$code")" "$(pq verify)" "$rearm" "$rearmf"

rearm_all() { "${PSQL[@]}" -c "UPDATE totp_credentials SET last_step = NULL
    WHERE user_id IN (SELECT id FROM users WHERE username LIKE 'tp%')" >/dev/null; }
THRU=$OUT/pg/throughput.md
: >"$THRU"
tid_first=$("${PSQL[@]}" -At -c "SELECT min(id) FROM users WHERE username LIKE 'tp%'")
tid_last=$("${PSQL[@]}" -At -c "SELECT max(id) FROM users WHERE username LIKE 'tp%'")
cat >"$SQL/pgbench-verify.sql" <<SQL
\\set uid random($tid_first, $tid_last)
SELECT value FROM meta WHERE key = 'key_check';
SELECT $cols WHERE u.id = :uid;
SELECT key, value FROM policy;
BEGIN;
SELECT $cols WHERE u.id = :uid;
SELECT state, secret, algorithm, digits, period, last_step FROM totp_credentials WHERE user_id = :uid;
UPDATE totp_credentials SET last_step = last_step WHERE user_id = :uid;
UPDATE users SET failed_attempts = 0 WHERE id = :uid;
INSERT INTO audit_log (at, actor, action, user_id, username, prev_hash, hash)
    VALUES ($now, 'bench', 'mfa.verify', :uid, 'x', '\\x00', '\\x00');
COMMIT;
SQL
for c in 1 8 32; do
    rearm_all
    read -r code _ < <("$TOOL" totp "$FIXTURE_SECRET")
    log "mfa verify throughput, $c clients"
    t0=$(date +%s.%N)
    for w in $(seq 0 $((c - 1))); do
        (
            n=$(((MAXC * PER) / c))
            for i in $(seq $((w * n)) $((w * n + n - 1))); do
                "$BIN" "${M[@]}" --quiet mfa verify "tp$i" "$code" >/dev/null ||
                    echo "verify tp$i failed" >&2
            done
        ) &
    done
    wait
    el=$(echo "$(date +%s.%N) - $t0" | bc)
    mine=$(echo "$MAXC * $PER / $el" | bc -l)
    T=$((SMOKE ? 2 : 10))
    pb=$(pgbench -n -c "$c" -j "$((c < 2 ? c : 2))" -T "$T" -f "$SQL/pgbench-verify.sql" "$FLOOR" 2>/dev/null |
        awk '/^tps/ {print $3; exit}')
    pbc=$(pgbench -n -C -c "$c" -j "$((c < 2 ? c : 2))" -T "$T" -f "$SQL/pgbench-verify.sql" "$FLOOR" 2>/dev/null |
        awk '/^tps/ {print $3; exit}')
    printf '| %s | %.0f/s | %.0f/s | %.2f | %.0f/s | %.2f |\n' "$c" "$mine" "$pb" \
        "$(echo "$mine / $pb" | bc -l)" "$pbc" "$(echo "$mine / $pbc" | bc -l)" >>"$THRU"
done
"$BIN" "${M[@]}" audit verify >&2

((SMOKE)) && { cat "$TABLE" "$THRU"; exit 0; }
load=$(cut -d' ' -f1-3 /proc/loadavg)
{
    echo "Machine: $(nproc) cores, $(uname -sr); PostgreSQL $(postgres --version | awk '{print $3}') (private server, fsync on, default settings); $(date -u '+%Y-%m-%d %H:%M UTC'); load average $load at the end."
    echo
    echo "$SIZE users, copied from the SQLite benchmark store with \`mfa-admin copy\` in ${copy_s%.*} s."
    echo "Whole-process wall time, median of $RUNS runs (hyperfine), beside the floor: a fresh \`psql\` process running the same SQL on the same database."
    echo
    echo "| command | median | psql floor | ratio | target |"
    echo "|---|---:|---:|---:|---|"
    cat "$TABLE"
    echo
    echo "\`mfa verify\` throughput: $((MAXC * PER)) verifies of different users spread over N concurrent clients, one mfa-admin process per verify; beside pgbench running the same statements (without the audit-head lock) for ${T} s, with persistent connections and with a new connection per transaction (-C)."
    echo
    echo "| clients | mfa verify | pgbench | ratio | pgbench -C | ratio |"
    echo "|---:|---:|---:|---:|---:|---:|"
    cat "$THRU"
} >"$ROOT/bench/pg-results.md"
log "wrote bench/pg-results.md"
cat "$ROOT/bench/pg-results.md"
