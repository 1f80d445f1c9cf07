#!/usr/bin/env bash
# The benchmark harness; method, targets and caveats in bench/README.md.
#
#   bench/run.sh                 every size: 10,000 / 100,000 / 1,000,000 users
#   bench/run.sh 10000000        ten million users (hours and about 8 GB; see bench/README.md)
#   bench/run.sh 10000 [...]     only these sizes (other sizes' rows stay in the report)
#   bench/run.sh --smoke         every command once at 10,000 users; asserts only that each
#                                succeeds (CI); writes bench/out/smoke-results.md, not the report
#
# Writes bench/results.json and bench/results.md. Generated stores, import files and raw
# hyperfine output are cached under bench/out/ (gitignored), keyed by size and by a hash
# of the code that shapes them.
set -euo pipefail
shopt -s inherit_errexit

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/bench/out
SELF=$ROOT/bench/run.sh

# ---------------------------------------------------------------------------------------
# Prepare hooks: hyperfine runs `run.sh --hook NAME ...` before each timed run. Not timed.
# ---------------------------------------------------------------------------------------
# sqlite3 as the tool runs SQLite: no checkpoint (and WAL deletion) when it closes, which
# would otherwise make the next measured process recreate the WAL and rebuild its index.
SQLITE=(sqlite3 -cmd '.dbconfig no_ckpt_on_close on')

if [[ ${1:-} == --hook ]]; then
    hook=$2
    shift 2
    case $hook in
    rearm-verify) # DB USER: forget the replay guard, so the same valid code verifies again
        "${SQLITE[@]}" "$1" "UPDATE totp_credentials SET last_step = NULL
                      WHERE user_id = (SELECT id FROM users WHERE username_key = '$2');
                      PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
        ;;
    rearm-recovery) # DB USER: un-use the user's recovery codes and clear the failure counter
        "${SQLITE[@]}" "$1" "UPDATE recovery_sets SET used_mask = 0,
                          remaining = length(code_hashes) / 32
                      WHERE user_id = (SELECT id FROM users WHERE username_key = '$2');
                      UPDATE users SET failed_attempts = 0 WHERE username_key = '$2';
                      PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
        ;;
    restore-users) # DB CACHE LIST: put back the MFA rows of the listed users from the cache
        "${SQLITE[@]}" "$1" >/dev/null <<SQL
ATTACH '$2' AS cache;
CREATE TEMP TABLE listed (username TEXT);
.import $3 listed
CREATE TEMP TABLE target AS
    SELECT u.id FROM listed l JOIN main.users u ON u.username_key = lower(l.username);
BEGIN IMMEDIATE;
DELETE FROM main.totp_credentials WHERE user_id IN target;
DELETE FROM main.recovery_sets WHERE user_id IN target;
DELETE FROM main.trusted_devices WHERE user_id IN target;
INSERT INTO main.totp_credentials SELECT * FROM cache.totp_credentials WHERE user_id IN target;
INSERT INTO main.recovery_sets SELECT * FROM cache.recovery_sets WHERE user_id IN target;
INSERT INTO main.trusted_devices SELECT * FROM cache.trusted_devices WHERE user_id IN target;
UPDATE main.users SET enrollment_required =
    (SELECT c.enrollment_required FROM cache.users c WHERE c.id = users.id)
    WHERE id IN target;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
        ;;
    fresh) # DB SOURCE: replace DB (and its key) with a copy of SOURCE
        rm -f "$1" "$1-wal" "$1-shm"
        cp "$2" "$1"
        cp "$2.key" "$1.key"
        ;;
    *)
        echo "run.sh: unknown hook $hook" >&2
        exit 2
        ;;
    esac
    exit 0
fi

# ---------------------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------------------
SMOKE=0
SIZES=()
for arg in "$@"; do
    case $arg in
    --smoke) SMOKE=1 ;;
    -h | --help)
        sed -n '2,12p' "$SELF" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *[!0-9]* | '')
        echo "run.sh: unknown argument $arg (sizes are numbers of users; see --help)" >&2
        exit 2
        ;;
    *) SIZES+=("$arg") ;;
    esac
done
if ((SMOKE)); then
    SIZES=(10000)
elif ((${#SIZES[@]} == 0)); then
    SIZES=(10000 100000 1000000)
fi

log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }

# ---------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------
missing=()
command -v hyperfine >/dev/null || missing+=(hyperfine)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
[[ -x /usr/bin/time ]] || missing+=(time)
if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    if ! apt-get install -y -q "${missing[@]}" >&2; then
        apt-get update -q >&2
        apt-get install -y -q "${missing[@]}" >&2
    fi
fi

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
log "building (release)"
cd "$ROOT"
# The example first: it builds with dev-dependencies' features, and the binary measured must
# be the plain `cargo build --release` one, which the second command leaves in place.
cargo build --release --quiet --example bench
cargo build --release --quiet --bin mfa-admin
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target} # where cargo puts the build
BIN=$TARGET_DIR/release/mfa-admin
TOOL=$TARGET_DIR/release/examples/bench
eval "$("$TOOL" fixture)" # FIXTURE_USER, FIXTURE_SECRET, FIXTURE_CODE

# Stores depend on the schema and the generator: a change to either makes new ones.
FP=$( (cat src/store/sqlite/migrations.rs src/commands/sample.rs && "$TOOL" fixture) | sha256sum | cut -c1-12)
mkdir -p "$OUT/raw" "$OUT/sql" "$OUT/work"
# Batch sizes of the bulk resets (each run where at most a tenth of the store is listed).
BATCHES="1000 100000 1000000"

# The physical floor of bulk writes: what this disk writes per second when made durable.
DISK_MBPS=""
if ((!SMOKE)); then
    DISK_MBPS=$(dd if=/dev/zero of="$OUT/work/dd" bs=1M count=1000 conv=fdatasync 2>&1 |
        awk -F', ' '/copied/ { split($3, t, " "); printf "%.0f", $1 / t[1] / 1e6 }')
    rm -f "$OUT/work/dd"
    log "disk: $DISK_MBPS MB/s (dd bs=1M count=1000 conv=fdatasync)"
fi
export DISK_MBPS

if ((SMOKE)); then
    RUNS_FAST=1 WARM_FAST=0 RUNS_SLOW=1 WARM_SLOW=0 RUNS_SLOWEST=1
    TSV=$OUT/smoke.tsv
    : >"$TSV"
else
    RUNS_FAST=20 WARM_FAST=3 RUNS_SLOW=5 WARM_SLOW=1 RUNS_SLOWEST=3
    TSV=$OUT/measurements.tsv
    touch "$TSV"
    for size in "${SIZES[@]}"; do # drop earlier figures of the sizes measured now
        awk -F'\t' -v s="$size" '$2 != s' "$TSV" >"$TSV.new" && mv "$TSV.new" "$TSV"
    done
fi

q() { printf '%q ' "$@"; } # one shell-quoted command line, for hyperfine -N and eval

# The FTS5 query users::search builds: every distinct trigram of the needle, quoted.
trigrams() {
    local s=$1 out="" t i
    local -A seen=()
    for ((i = 0; i + 3 <= ${#s}; i++)); do
        t=${s:i:3}
        [[ -n ${seen[$t]:-} ]] && continue
        seen[$t]=1
        out+="\"$t\" "
    done
    printf '%s' "${out% }"
}

# written PREPARE COMMAND: the bytes COMMAND writes (wchar of /proc/PID/io: every write
# call, to the WAL, the main file at the checkpoint and any temporary file), after PREPARE
# (not counted). A child's I/O counts are added to its parent's when it is reaped, so a
# shell that runs the command and then reads its own counters sees exactly the command's.
# Not write_bytes: it counts page-cache folios turned dirty, so one 4 KiB write into a
# large clean folio counts the whole folio (a 1,000-user reset: 44 MB written, 22 MB or
# 213 MB of write_bytes depending on what was written back before).
written() {
    [[ -n $1 ]] && eval "$1" >/dev/null
    bash -c "$2 >/dev/null 2>&1 || exit 1; awk '/^wchar/ {print \$2}' /proc/\$\$/io" ||
        { echo "run.sh: failed: $2" >&2; exit 1; }
}

# measure NAME SIZE TARGET NOTE SPEED PREPARE COMMAND FLOOR_PREPARE FLOOR_COMMAND [BYTES]
#   SPEED fast|slow|slowest picks the run counts; PREPARE/FLOOR_PREPARE may be empty; a
#   command that exits non-zero fails the harness. BYTES=bytes also records the bytes each
#   writes (one more run of each, last: the stores are left as the command leaves them).
#   Records one line in $TSV.
measure() {
    local name=$1 size=$2 target=$3 note=$4 speed=$5 prep=$6 cmd=$7 fprep=$8 fcmd=$9
    local bytes=${10:-} wrote="" fwrote=""
    local slug runs warm
    slug=$(printf '%s-%s-%s' "$name" "$note" "$size" | tr -c 'a-zA-Z0-9\n' '_')
    case $speed in
    fast) runs=$RUNS_FAST warm=$WARM_FAST ;;
    slow) runs=$RUNS_SLOW warm=$WARM_SLOW ;;
    *) runs=$RUNS_SLOWEST warm=0 ;; # a minute a run: three runs, no warm-up
    esac
    log "$name${note:+ ($note)} at $size users"
    local one=(hyperfine -N --style basic --runs "$runs" --warmup "$warm")
    ((SMOKE)) && one=(hyperfine -N --style none --runs 1 --warmup 0)
    local a=("${one[@]}" --export-json "$OUT/raw/$slug.json")
    [[ -n $prep ]] && a+=(--prepare "$prep")
    "${a[@]}" "$cmd" >&2
    [[ -n $prep ]] && eval "$prep" >/dev/null
    eval "/usr/bin/time -f %M -o $(q "$OUT/raw/$slug.rss") $cmd" >/dev/null 2>&1 ||
        { echo "run.sh: failed: $cmd" >&2; exit 1; }
    local b=("${one[@]}" --export-json "$OUT/raw/$slug.floor.json")
    [[ -n $fprep ]] && b+=(--prepare "$fprep")
    "${b[@]}" "$fcmd" >&2
    [[ -n $fprep ]] && eval "$fprep" >/dev/null
    eval "/usr/bin/time -f %M -o $(q "$OUT/raw/$slug.floor.rss") $fcmd" >/dev/null 2>&1 ||
        { echo "run.sh: floor failed: $fcmd" >&2; exit 1; }
    if [[ $bytes == bytes ]]; then
        fwrote=$(written "$fprep" "$fcmd")
        wrote=$(written "$prep" "$cmd")
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$size" \
        "$OUT/raw/$slug.json" "$OUT/raw/$slug.floor.json" \
        "$(tail -1 "$OUT/raw/$slug.rss")" "$(tail -1 "$OUT/raw/$slug.floor.rss")" \
        "$target" "$note" "$wrote" "$fwrote" >>"$TSV"
}

# store_for SIZE: the cached generated store of SIZE users (generated on first use).
store_for() {
    local size=$1 db=$OUT/store-$1-$FP.db
    if [[ ! -f $db ]]; then
        log "generating a store of $size users (cached as $db)"
        rm -f "$db.tmp" "$db.tmp.key" "$db.tmp-wal" "$db.tmp-shm"
        local t0=$SECONDS
        "$TOOL" store "$db.tmp" "$size"
        sqlite3 "$db.tmp" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null # one self-contained file
        mv "$db.tmp.key" "$db.key"
        mv "$db.tmp" "$db"
        log "generated in $((SECONDS - t0)) s"
    fi
    printf '%s' "$db"
}

# A fresh, empty store (what `init` makes) to import into.
EMPTY=$OUT/empty-$FP.db
if [[ ! -f $EMPTY ]]; then
    rm -f "$EMPTY" "$EMPTY.key"
    "$BIN" --db "$EMPTY" --quiet init >/dev/null
    sqlite3 "$EMPTY" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
fi

for size in "${SIZES[@]}"; do
    cache=$(store_for "$size")
    sqldir=$OUT/sql/$size
    mkdir -p "$sqldir"
    tool=$OUT/work/tool.db   # what mfa-admin works on
    floor=$OUT/work/floor.db # what the sqlite3 floor works on (its writes break the chain)
    "$SELF" --hook fresh "$tool" "$cache"
    "$SELF" --hook fresh "$floor" "$cache"

    # Whom to look at: an enrolled user in the middle of the store, and another to reset.
    read -r uid user < <(sqlite3 -separator ' ' "$cache" \
        "SELECT u.id, u.username_key FROM users u JOIN totp_credentials c ON c.user_id = u.id
         WHERE c.state = 'enrolled' AND u.id >= $size / 2 ORDER BY u.id LIMIT 1;")
    read -r rid ruser < <(sqlite3 -separator ' ' "$cache" \
        "SELECT u.id, u.username_key FROM users u JOIN totp_credentials c ON c.user_id = u.id
         WHERE c.state = 'enrolled' AND u.id > $uid ORDER BY u.id LIMIT 1;")
    fid=$(sqlite3 "$cache" "SELECT id FROM users WHERE username_key = '$FIXTURE_USER';")
    partial=${user:2} # e.g. "ivia.smith12" for olivia.smith12
    printf '%s\n' "$ruser" >"$sqldir/list-1.txt"
    for n in $BATCHES; do
        ((n * 4 <= size)) || continue # about 40% are enrolled: batches of a tenth or less
        # A spread-out, repeatable choice of enrolled users (not the fixture, not the one
        # looked at): what a reset after a lost batch of phones or a breach looks like.
        sqlite3 "$cache" "SELECT u.username FROM users u JOIN totp_credentials c ON c.user_id = u.id
            WHERE c.state = 'enrolled' AND u.username_key NOT IN ('$FIXTURE_USER', '$user')
            ORDER BY (u.id * 2654435761) % 4294967296 LIMIT $n;" >"$sqldir/list-$n.txt"
    done

    cols="u.id, u.username, u.name, u.email, u.status, u.failed_attempts, u.locked_at,
        u.locked_until, u.lock_reason, u.enrollment_required, u.exempt_reason, u.exempt_until,
        u.created_at, c.state FROM users u LEFT JOIN totp_credentials c ON c.user_id = u.id"
    cat >"$sqldir/show.sql" <<SQL
SELECT $cols WHERE u.username_key = '$user';
SELECT remaining, length(code_hashes) / 32 FROM recovery_sets WHERE user_id = $uid;
SELECT count(*) FROM trusted_devices WHERE user_id = $uid AND expires_at > unixepoch();
SQL
    cat >"$sqldir/status.sql" <<SQL
SELECT $cols WHERE u.username_key = '$user';
SELECT user_id, state, secret, algorithm, digits, period, last_step, created_at, confirmed_at
    FROM totp_credentials WHERE user_id = $uid;
SELECT remaining, length(code_hashes) / 32 FROM recovery_sets WHERE user_id = $uid;
SELECT count(*) FROM trusted_devices WHERE user_id = $uid AND expires_at > unixepoch();
SQL
    # user find: the statements users::search runs. With the trigram index (schema 2) it
    # counts the candidates, then sorts them (up to 50,000) or walks the user-name index.
    has_fts=$(sqlite3 "$cache" "SELECT count(*) FROM sqlite_master WHERE name = 'users_search';")
    for kind in exact partial common; do
        case $kind in exact) needle=$user ;; partial) needle=$partial ;; common) needle=smith ;; esac
        if ((has_fts)); then
            match=$(trigrams "$needle")
            count="SELECT (SELECT count(*) FROM (SELECT 1 FROM users_search
                    WHERE users_search MATCH '$match' LIMIT 50001))
                + (SELECT count(*) FROM users_search_stale)"
            candidates=$(sqlite3 "$cache" "$count;")
            if ((candidates <= 50000)); then
                cat >"$sqldir/find-$kind.sql" <<SQL
$count;
WITH ids AS (SELECT h.id, h.username_key FROM users h INDEXED BY users_id_name
    WHERE h.id IN (SELECT rowid FROM users_search WHERE users_search MATCH '$match'
                   UNION ALL SELECT s.id FROM users_search_stale s WHERE instr(
                       (SELECT t.search_text FROM users t WHERE t.id = s.id), '$needle') > 0)
    ORDER BY (h.username_key = '$needle') DESC, h.username_key LIMIT 114)
SELECT $cols JOIN ids ON ids.id = u.id WHERE instr(u.search_text, '$needle') > 0
    ORDER BY (ids.username_key = '$needle') DESC, ids.username_key LIMIT 50;
SQL
            else
                cat >"$sqldir/find-$kind.sql" <<SQL
$count;
SELECT $cols WHERE u.username_key = '$needle' AND instr(u.search_text, '$needle') > 0;
SELECT $cols WHERE instr(u.search_text, '$needle') > 0 AND u.username_key <> '$needle'
    ORDER BY u.username_key LIMIT 50;
SQL
            fi
        else
            cat >"$sqldir/find-$kind.sql" <<SQL
SELECT $cols WHERE instr(u.search_text, '$needle') > 0
    ORDER BY (u.username_key = '$needle') DESC, u.username_key LIMIT 50;
SQL
        fi
    done
    cat >"$sqldir/audit.sql" <<SQL
SELECT id, at, actor, action, user_id, username, reason, details FROM audit_log
    ORDER BY id DESC LIMIT 50;
SQL
    cat >"$sqldir/doctor.sql" <<SQL
PRAGMA quick_check;
SELECT count(*), sum(length(secret)) FROM totp_credentials;
SELECT u.id, u.username, length(s.code_hashes) / 32 FROM recovery_sets s
    JOIN users u ON u.id = s.user_id
    WHERE NOT EXISTS (SELECT 1 FROM totp_credentials c WHERE c.user_id = s.user_id)
    AND length(s.code_hashes) > 0 ORDER BY u.id;
SELECT u.id, u.username, count(*) FROM trusted_devices d JOIN users u ON u.id = d.user_id
    WHERE NOT EXISTS (SELECT 1 FROM totp_credentials c WHERE c.user_id = d.user_id)
    GROUP BY u.id ORDER BY u.id;
SELECT u.id, u.username FROM users u JOIN totp_credentials c ON c.user_id = u.id
    WHERE c.state = 'enrolled' AND u.enrollment_required = 1 ORDER BY u.id;
SELECT id, username FROM users WHERE exempt_reason IS NOT NULL AND exempt_until <= unixepoch();
SELECT u.id, u.username, count(*) FROM trusted_devices d JOIN users u ON u.id = d.user_id
    WHERE d.expires_at <= unixepoch() GROUP BY u.id ORDER BY u.id;
SELECT u.id, u.username FROM users u LEFT JOIN totp_credentials c ON c.user_id = u.id
    WHERE (c.state IS NULL OR c.state = 'pending') AND u.enrollment_required = 0
    AND NOT (u.exempt_reason IS NOT NULL AND (u.exempt_until IS NULL OR u.exempt_until > unixepoch()))
    ORDER BY u.id;
SELECT count(*), sum(length(actor) + length(action) + coalesce(length(username), 0)
    + coalesce(length(details), 0) + length(prev_hash) + length(hash))
    FROM (SELECT * FROM audit_log ORDER BY id);
SQL
    append_audit="SELECT seq, head FROM audit_chains WHERE chain = 1;
INSERT INTO audit_log (at, actor, action, user_id, username, details, prev_hash, hash)"
    move_head="UPDATE audit_chains SET seq = seq + 1, head = randomblob(32) WHERE chain = 1;"
    cat >"$sqldir/verify.sql" <<SQL
SELECT $cols WHERE u.username_key = '$FIXTURE_USER';
SELECT * FROM totp_credentials WHERE user_id = $fid;
SELECT value FROM meta WHERE key = 'key_check';
SELECT key, value FROM policy;
BEGIN IMMEDIATE;
SELECT $cols WHERE u.id = $fid;
SELECT * FROM totp_credentials WHERE user_id = $fid;
UPDATE totp_credentials SET last_step = unixepoch() / 30
    WHERE user_id = $fid AND (last_step IS NULL OR last_step < unixepoch() / 30);
UPDATE users SET failed_attempts = 0 WHERE id = $fid;
$append_audit VALUES (unixepoch(), 'bench', 'mfa.verify', $fid, '$FIXTURE_USER', NULL,
    zeroblob(32), randomblob(32));
$move_head
COMMIT;
SQL
    cat >"$sqldir/recovery.sql" <<SQL
SELECT $cols WHERE u.username_key = '$FIXTURE_USER';
SELECT salt, scheme, issued_at FROM recovery_sets WHERE user_id = $fid;
SELECT key, value FROM policy;
BEGIN IMMEDIATE;
SELECT $cols WHERE u.id = $fid;
SELECT salt, scheme, issued_at FROM recovery_sets WHERE user_id = $fid;
SELECT code_hashes, used_mask FROM recovery_sets WHERE user_id = $fid;
UPDATE recovery_sets SET used_mask = used_mask | 1, remaining = remaining - 1
    WHERE user_id = $fid AND used_mask & 1 = 0;
UPDATE users SET failed_attempts = 0 WHERE id = $fid;
$append_audit VALUES (unixepoch(), 'bench', 'recovery.use', $fid, '$FIXTURE_USER',
    '{"remaining":9}', zeroblob(32), randomblob(32));
$move_head
COMMIT;
SQL
    # The tool folds the WAL of a large write into the file before it exits (no command
    # pays for the previous one); so does the floor, where the tool would.
    fold_wal() { if (($1 >= 100000)); then echo 'PRAGMA wal_checkpoint(TRUNCATE);'; fi; }
    # mfa reset of a list: resolve, inspect, delete, flag, audit and notify, in one transaction.
    for n in 1 $BATCHES; do
        [[ -f $sqldir/list-$n.txt ]] || continue
        cat >"$sqldir/reset-$n.sql" <<SQL
CREATE TEMP TABLE listed (username TEXT);
.import $sqldir/list-$n.txt listed
BEGIN IMMEDIATE;
CREATE TEMP TABLE target AS SELECT u.id, u.username FROM listed l
    JOIN users u ON u.username_key = lower(l.username);
CREATE TEMP TABLE had AS SELECT id, username FROM target t
    WHERE EXISTS (SELECT 1 FROM totp_credentials WHERE user_id = t.id)
       OR EXISTS (SELECT 1 FROM recovery_sets WHERE user_id = t.id)
       OR EXISTS (SELECT 1 FROM trusted_devices WHERE user_id = t.id);
DELETE FROM totp_credentials WHERE user_id IN (SELECT id FROM target);
DELETE FROM recovery_sets WHERE user_id IN (SELECT id FROM target);
DELETE FROM trusted_devices WHERE user_id IN (SELECT id FROM target);
UPDATE users SET enrollment_required = 1 WHERE id IN (SELECT id FROM target);
INSERT INTO audit_log (at, actor, action, user_id, username, reason, details, prev_hash, hash)
    SELECT unixepoch(), 'bench', 'mfa.reset', id, username, 'benchmark',
        '{"credential":"enrolled","recovery_codes":10,"devices":0}', zeroblob(32), randomblob(32)
    FROM had;
INSERT INTO notifications (user_id, kind, message, created_at)
    SELECT id, 'mfa.reset', 'Your two-factor authentication was reset by an administrator.',
        unixepoch() FROM had;
$move_head
COMMIT;
$(fold_wal "$n")
SQL
    done
    cat >"$sqldir/import.sql" <<SQL
CREATE TEMP TABLE csv (username TEXT, name TEXT, email TEXT);
.import --csv --skip 1 $OUT/import-$((size < 1000000 ? size : 1000000))-g$GENERATOR.csv csv
BEGIN IMMEDIATE;
SELECT value FROM policy WHERE key = 'require_mfa';
INSERT INTO users (username, username_key, name, email, search_text, created_at,
                   enrollment_required)
    SELECT username, lower(username), name, email,
        lower(username) || char(10) || lower(name) || char(10) || lower(email), unixepoch(), 1
    FROM csv WHERE true ON CONFLICT (username_key) DO NOTHING;
$append_audit VALUES (unixepoch(), 'bench', 'user.import', NULL, NULL, '{"count":1}',
    zeroblob(32), randomblob(32));
$move_head
COMMIT;
$(fold_wal $((size < 1000000 ? size : 1000000)))
SQL

    db=(--db "$tool")
    # The targets (bench/README.md, "Targets"), at the sizes they are set for.
    at() { # at SIZE... -- TARGET: TARGET when this size is one of SIZE...
        local s t=${*: -1}
        for s in "${@:1:$#-2}"; do
            if ((size == s)); then printf '%s' "$t"; fi
        done
    }
    per_call=$(at 1000000 10000000 -- 'ratio<=1.5')
    find_ms=$(at 1000000 -- 'ms<50')$(at 10000000 -- 'ms<100')
    sq() { q "${SQLITE[@]}" "$1" ".read $sqldir/$2.sql"; } # a floor command
    measure "--version" "$size" "" "startup" fast "" "$(q "$BIN" --version)" "" "$(q sqlite3 -version)"
    measure "user show" "$size" "$per_call" "" fast "" "$(q "$BIN" "${db[@]}" user show "$user")" \
        "" "$(sq "$floor" show)"
    measure "mfa status" "$size" "$per_call" "" fast "" "$(q "$BIN" "${db[@]}" mfa status "$user")" \
        "" "$(sq "$floor" status)"
    measure "user find" "$size" "" "exact: $user" fast "" "$(q "$BIN" "${db[@]}" user find "$user")" \
        "" "$(sq "$floor" find-exact)"
    measure "user find" "$size" "$find_ms" "substring: $partial" fast "" \
        "$(q "$BIN" "${db[@]}" user find "$partial")" "" "$(sq "$floor" find-partial)"
    measure "user find" "$size" "$find_ms" "substring: smith" fast "" \
        "$(q "$BIN" "${db[@]}" user find smith)" "" "$(sq "$floor" find-common)"
    measure "audit --limit 50" "$size" "" "" fast "" "$(q "$BIN" "${db[@]}" audit --limit 50)" \
        "" "$(sq "$floor" audit)"
    measure "doctor" "$size" "$(at 1000000 -- 'ms<3000')" "" slow "" "$(q "$BIN" "${db[@]}" doctor)" \
        "" "$(sq "$floor" doctor)"

    # mfa verify with a VALID code: the one code of this time step, accepted again on every run
    # because the prepare hook forgets the replay guard (last_step) before each run.
    read -r code left < <("$TOOL" totp "$FIXTURE_SECRET")
    if ((left < 20)); then
        sleep $((left + 1))
        read -r code left < <("$TOOL" totp "$FIXTURE_SECRET")
    fi
    measure "mfa verify" "$size" "ms<10" "valid code" fast \
        "$(q "$SELF" --hook rearm-verify "$tool" "$FIXTURE_USER")" \
        "$(q "$BIN" "${db[@]}" mfa verify "$FIXTURE_USER" "$code")" \
        "$(q "$SELF" --hook rearm-verify "$floor" "$FIXTURE_USER")" "$(sq "$floor" verify)"
    # recovery check with a VALID code: consumed each run, un-used again by the prepare hook.
    measure "recovery check" "$size" "ms<250" "valid code" fast \
        "$(q "$SELF" --hook rearm-recovery "$tool" "$FIXTURE_USER")" \
        "$(q "$BIN" "${db[@]}" recovery check "$FIXTURE_USER" "$FIXTURE_CODE")" \
        "$(q "$SELF" --hook rearm-recovery "$floor" "$FIXTURE_USER")" "$(sq "$floor" recovery)"

    # mfa reset: the prepare hook puts the users' MFA rows back from the cached store.
    measure "mfa reset" "$size" "" "1 user" fast \
        "$(q "$SELF" --hook restore-users "$tool" "$cache" "$sqldir/list-1.txt")" \
        "$(q "$BIN" "${db[@]}" --yes mfa reset "$ruser")" \
        "$(q "$SELF" --hook restore-users "$floor" "$cache" "$sqldir/list-1.txt")" \
        "$(sq "$floor" reset-1)"
    for n in $BATCHES; do
        [[ -f $sqldir/list-$n.txt ]] || continue
        target="" speed=fast
        ((n >= 100000)) && speed=slow
        ((n >= 1000000)) && speed=slowest
        ((n == 100000 && size == 1000000)) && target="ms<1000;rss_mb<100"
        ((n == 1000000 && size == 10000000)) && target="ms<15000;rss_mb<100"
        measure "mfa reset --from-file" "$size" "$target" "$n users" $speed \
            "$(q "$SELF" --hook restore-users "$tool" "$cache" "$sqldir/list-$n.txt")" \
            "$(q "$BIN" "${db[@]}" --yes mfa reset --from-file "$sqldir/list-$n.txt")" \
            "$(q "$SELF" --hook restore-users "$floor" "$cache" "$sqldir/list-$n.txt")" \
            "$(sq "$floor" reset-$n)" bytes
    done
    # Per-call commands right after the largest reset (the stores are as it left them): no
    # command may pay for the previous one's write. The floor is the same statements on the
    # floor's store with its WAL folded in, i.e. what a call costs on a clean store.
    largest=0
    for n in $BATCHES; do
        if [[ -f $sqldir/list-$n.txt ]]; then largest=$n; fi
    done
    if ((largest >= 100000)); then
        "${SQLITE[@]}" "$floor" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
        after="after a $largest-user reset"
        measure "user show" "$size" "$(at 1000000 10000000 -- 'ratio<=2')" "$after" fast "" \
            "$(q "$BIN" "${db[@]}" user show "$user")" "" "$(sq "$floor" show)"
        measure "mfa status" "$size" "$(at 1000000 10000000 -- 'ratio<=2')" "$after" fast "" \
            "$(q "$BIN" "${db[@]}" mfa status "$user")" "" "$(sq "$floor" status)"
    fi

    # user import of as many rows as the store size (at most a million), into a fresh store
    # each run.
    rows=$((size < 1000000 ? size : 1000000))
    [[ -f $OUT/import-$rows-g$GENERATOR.csv ]] || "$TOOL" csv "$OUT/import-$rows-g$GENERATOR.csv" "$rows"
    fresh_tool=$OUT/work/import.db
    fresh_floor=$OUT/work/import-floor.db
    speed=slow
    ((rows >= 1000000)) && speed=slowest
    measure "user import" "$size" "$(at 1000000 10000000 -- 'ms<5000')" "$rows rows, fresh store" $speed \
        "$(q "$SELF" --hook fresh "$fresh_tool" "$EMPTY")" \
        "$(q "$BIN" --db "$fresh_tool" user import "$OUT/import-$rows-g$GENERATOR.csv")" \
        "$(q "$SELF" --hook fresh "$fresh_floor" "$EMPTY")" "$(sq "$fresh_floor" import)" bytes
    # Per-call commands right after the import, on an imported user.
    if ((rows >= 100000)); then
        "${SQLITE[@]}" "$fresh_floor" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
        iuser=$(sed -n '2{s/,.*//;p}' "$OUT/import-$rows-g$GENERATOR.csv")
        iid=$(sqlite3 "$fresh_floor" "SELECT id FROM users WHERE username_key = lower('$iuser');")
        sed "s/'$user'/lower('$iuser')/; s/= $uid\b/= $iid/g" "$sqldir/show.sql" >"$sqldir/show-import.sql"
        sed "s/'$user'/lower('$iuser')/; s/= $uid\b/= $iid/g" "$sqldir/status.sql" >"$sqldir/status-import.sql"
        after="after a $rows-row import"
        measure "user show" "$size" "$(at 1000000 10000000 -- 'ratio<=2')" "$after" fast "" \
            "$(q "$BIN" --db "$fresh_tool" user show "$iuser")" "" "$(sq "$fresh_floor" show-import)"
        measure "mfa status" "$size" "$(at 1000000 10000000 -- 'ratio<=2')" "$after" fast "" \
            "$(q "$BIN" --db "$fresh_tool" mfa status "$iuser")" "" "$(sq "$fresh_floor" status-import)"
    fi

    rm -f "$OUT"/work/*
done

load_end=$(cut -d' ' -f1-3 /proc/loadavg)
machine="Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'),"
machine+=" $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM, $(uname -sr);"
machine+=" $("$BIN" --version), SQLite shell $(sqlite3 -version | cut -d' ' -f1),"
machine+=" $(hyperfine --version); $(date -u '+%Y-%m-%d %H:%M UTC'); load average $load_start at the"
machine+=" start, $load_end at the end (other work on the machine inflates wall times, not CPU)."
[[ -n $DISK_MBPS ]] && machine+=" Disk: $DISK_MBPS MB/s written and made durable (\`dd bs=1M count=1000 conv=fdatasync\`)."
if ((SMOKE)); then
    "$TOOL" report "$TSV" "$OUT/smoke-results.json" "$OUT/smoke-results.md" "$machine"
    log "smoke run passed: every measured command succeeded ($(wc -l <"$TSV") commands)"
else
    "$TOOL" report "$TSV" "$ROOT/bench/results.json" "$ROOT/bench/results.md" "$machine"
    # Commands are recorded relative to the repository: no paths of this machine in the repo.
    sed -i "s#$ROOT/##g" "$ROOT/bench/results.json" "$ROOT/bench/results.md"
    "$TOOL" readme "$ROOT/bench/results.md" "$ROOT/README.md" # the block between its markers
    log "wrote bench/results.md, bench/results.json and the README's performance table"
    cat "$ROOT/bench/results.md"
fi
