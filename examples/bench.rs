//! The benchmark harness's helper (`bench/run.sh` builds and calls it; see bench/README.md).
//!
//! `store PATH USERS` generates a store of USERS users through the library — the same
//! `Store::create_or_migrate`, key creation and key check value as `init`, then
//! `init --sample` generator with audit history in one transaction — plus one fixture
//! user enrolled with a known secret and known recovery codes, so the harness can present
//! valid codes. `csv PATH ROWS` writes an import file; `totp SECRET` prints the current
//! code; `fixture` prints the fixture's names as shell assignments; `report` turns the
//! measurements into bench/results.json and bench/results.md.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Value, json};

use mfa_admin::bench;
use mfa_admin::totp::{self, Secret, TotpParams};

/// Bump when `store` generates something different: cached benchmark stores are keyed on it.
const GENERATOR: u32 = 3;

/// The enrolled user whose secret and recovery codes the harness knows.
const FIXTURE_USER: &str = "bench.fixture";
/// RFC 6238's SHA1 seed ("12345678901234567890"), 160 bits.
const FIXTURE_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
/// Ten fixed recovery codes (normalized form); the harness presents the first.
const FIXTURE_CODES: [&str; 10] = [
    "2222333344445555",
    "6666777788889999",
    "aaaabbbbccccdddd",
    "eeeeffffgggghhhh",
    "iiiijjjjkkkkmmmm",
    "nnnnppppqqqqrrrr",
    "ssssttttuuuuvvvv",
    "wwwwxxxxyyyyzzzz",
    "2345678923456789",
    "abcdefghijkmnpqr",
];

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["store", path, users] => generate_store(Path::new(path), users.parse()?),
        ["csv", path, rows] => write_csv(Path::new(path), rows.parse()?),
        ["totp", secret] => print_code(secret),
        ["fixture"] => {
            let mut out = std::io::stdout().lock();
            writeln!(out, "GENERATOR={GENERATOR}")?;
            writeln!(out, "FIXTURE_USER={FIXTURE_USER}")?;
            writeln!(out, "FIXTURE_SECRET={FIXTURE_SECRET}")?;
            writeln!(out, "FIXTURE_CODE={}", FIXTURE_CODES[0])?;
            Ok(())
        }
        ["report", tsv, json_out, md_out, machine] => report(
            Path::new(tsv),
            Path::new(json_out),
            Path::new(md_out),
            machine,
        ),
        ["readme", md, readme] => fill_readme(Path::new(md), Path::new(readme)),
        _ => bail!(
            "usage: bench store PATH USERS | csv PATH ROWS | totp BASE32 | fixture | report TSV JSON MD MACHINE | readme MD README"
        ),
    }
}

/// Creates a store exactly as `init --sample` would, with history and the fixture user.
fn generate_store(path: &Path, count: u32) -> Result<()> {
    bench::generate_bench_store(
        path,
        count,
        &bench::Fixture {
            username: FIXTURE_USER,
            secret_base32: FIXTURE_SECRET,
            recovery_codes: &FIXTURE_CODES,
        },
    )
}

/// An import file of `rows` new users, none of which exists in a generated store: people's
/// names from many countries (accents, apostrophes, hyphens), user names `first.last` with a
/// number once a pair repeats, e-mail addresses at a handful of company domains, rows in no
/// particular order of user name (as an HR export arrives).
fn write_csv(path: &Path, rows: u32) -> Result<()> {
    const FIRST: &[&str] = &[
        "Ada",
        "Björn",
        "Chidi",
        "Dana",
        "Élodie",
        "Farid",
        "Gita",
        "Hiro",
        "Ines",
        "Jonas",
        "Kofi",
        "Lena",
        "Marta",
        "Nikolai",
        "Oksana",
        "Pablo",
        "Quinn",
        "Rania",
        "Stefan",
        "Tariq",
        "Ulla",
        "Valentina",
        "Wanjiru",
        "Xavier",
        "Yasmin",
        "Zeynep",
        "Aarav",
        "Beatriz",
        "Ciarán",
        "Dmitri",
        "Esther",
        "François",
        "Giulia",
        "Hamid",
        "Isla",
        "Jun",
        "Kateřina",
        "Lars",
        "Maëlle",
        "Nadia",
    ];
    const LAST: &[&str] = &[
        "Archer",
        "Berg",
        "Chen",
        "Dubois",
        "Eze",
        "Fontaine",
        "García",
        "Haas",
        "Ito",
        "Jensen",
        "Kaur",
        "Lindqvist",
        "Moreau",
        "Nowak",
        "O'Connor",
        "Papadopoulos",
        "Quispe",
        "Reyes",
        "Sánchez",
        "Takahashi",
        "Umarov",
        "Van der Berg",
        "Walsh",
        "Xu",
        "Yamamoto",
        "Zimmermann",
        "Abiodun",
        "Bianchi",
        "Castillo",
        "Dvořák",
        "Ekström",
        "Fernandes",
        "Gupta",
        "Hoffmann",
        "Ivanova",
        "Jovanović",
        "Kowalczyk",
        "Larsen",
        "Mwangi",
        "Nieminen",
        "Oyelaran",
        "Perić",
        "Rasmussen",
        "Sokolov",
        "Tanaka",
        "Uçar",
        "Virtanen",
        "Wójcik",
        "Yıldız",
        "Zhou",
        "Al-Masri",
        "Brennan",
        "Da Silva",
        "Eriksen",
        "Fitzgerald",
        "Gallagher",
        "Horvat",
        "Ibrahim",
        "Jaramillo",
        "Kim-Park",
    ];
    const DOMAINS: &[&str] = &[
        "corp.example",
        "mail.corp.example",
        "emea.corp.example",
        "apac.corp.example",
        "contractors.example",
    ];
    let mut out = BufWriter::with_capacity(
        1 << 20,
        fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
    );
    writeln!(out, "username,name,email")?;
    let pairs = (FIRST.len() * LAST.len()) as u64;
    for i in 0..u64::from(rows) {
        // A permutation of 0..rows (the multiplier is odd and not a multiple of 5, so it is
        // prime to every power of ten): person p, written in scrambled order.
        let p = i.wrapping_mul(2_654_435_761) % u64::from(rows);
        let first = FIRST[(p % FIRST.len() as u64) as usize];
        let last = LAST[((p / FIRST.len() as u64) % LAST.len() as u64) as usize];
        let round = p / pairs;
        let base = format!("{}.{}", fold(first), fold(last));
        let user = if round == 0 {
            base
        } else {
            format!("{base}{round}")
        };
        let domain = DOMAINS[(p % 7 % DOMAINS.len() as u64) as usize];
        let name = format!("{first} {last}").replace('"', "\"\"");
        writeln!(out, "{user},\"{name}\",{user}@{domain}")?;
    }
    out.flush()?;
    Ok(())
}

/// Lower case, accents and punctuation dropped, spaces as hyphens: a user name or the
/// local part of an e-mail address.
fn fold(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c {
            'é' | 'É' | 'ë' | 'è' => Some('e'),
            'ö' | 'ó' | 'ø' => Some('o'),
            'í' | 'ı' => Some('i'),
            'á' | 'ä' | 'å' => Some('a'),
            'ç' | 'č' | 'ć' => Some('c'),
            'ř' => Some('r'),
            'š' => Some('s'),
            'ş' => Some('s'),
            'ğ' => Some('g'),
            'ü' => Some('u'),
            'ñ' => Some('n'),
            'ł' => Some('l'),
            'ě' => Some('e'),
            '\'' => None,
            ' ' => Some('-'),
            c => Some(c.to_ascii_lowercase()),
        })
        .collect()
}

/// The code for now and the seconds left before it moves on.
fn print_code(secret: &str) -> Result<()> {
    let secret = Secret::parse_base32(secret).map_err(|e| anyhow::anyhow!("{e}"))?;
    let params = TotpParams::default();
    let now = bench::now();
    let step = totp::time_step(now, params.period);
    let code = totp::code_at_step(&secret, params, step);
    let left = params.period as i64 - now.rem_euclid(params.period as i64);
    writeln!(std::io::stdout().lock(), "{} {left}", code.as_str())?;
    Ok(())
}

/// One measured command, as `run.sh` records it (one tab-separated line each).
struct Measurement {
    name: String,
    size: u64,
    command: Option<Value>,
    floor: Option<Value>,
    rss_kb: Option<u64>,
    floor_rss_kb: Option<u64>,
    target: String,
    note: String,
    /// Bytes the command and the floor made the kernel write (bulk writes only).
    written: Option<u64>,
    floor_written: Option<u64>,
}

fn read_hyperfine(path: &str) -> Result<Option<Value>> {
    if path.is_empty() || path == "-" {
        return Ok(None);
    }
    let text = fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?;
    let value: Value = serde_json::from_str(&text)?;
    Ok(value["results"].get(0).cloned())
}

fn ms(result: &Value, key: &str) -> Option<f64> {
    result[key].as_f64().map(|s| s * 1000.0)
}

/// Checks a target such as `ratio<=2`, `ms<100` or `ms<1000;rss_mb<100` (all must hold).
fn meets(
    target: &str,
    median_ms: Option<f64>,
    ratio: Option<f64>,
    rss_kb: Option<u64>,
) -> Option<bool> {
    if target.is_empty() {
        return None;
    }
    let mut ok = true;
    for clause in target.split(';') {
        let (what, limit, inclusive) = if let Some((w, l)) = clause.split_once("<=") {
            (w, l, true)
        } else if let Some((w, l)) = clause.split_once('<') {
            (w, l, false)
        } else {
            return None;
        };
        let limit: f64 = limit.parse().ok()?;
        let value = match what {
            "ms" => median_ms?,
            "ratio" => ratio?,
            "rss_mb" => rss_kb? as f64 / 1024.0,
            _ => return None,
        };
        ok &= if inclusive {
            value <= limit
        } else {
            value < limit
        };
    }
    Some(ok)
}

fn describe_target(target: &str) -> String {
    target
        .split(';')
        .filter(|c| !c.is_empty())
        .map(|c| {
            c.replace("ratio<=", "≤ ")
                .replace("ms<", "< ")
                .replace("rss_mb<", "< ")
                + if c.starts_with("ratio") {
                    "× floor"
                } else if c.starts_with("ms") {
                    " ms"
                } else {
                    " MB peak"
                }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn fmt_ms(v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(v) if v >= 1000.0 => format!("{:.2} s", v / 1000.0),
        Some(v) if v >= 100.0 => format!("{v:.0} ms"),
        Some(v) => format!("{v:.1} ms"),
    }
}

fn fmt_mb(kb: Option<u64>) -> String {
    kb.map_or("–".into(), |kb| format!("{:.1} MB", kb as f64 / 1024.0))
}

/// Bytes written, and how long the disk takes to write them durably (the physical floor).
fn fmt_written(bytes: Option<u64>, disk_mbps: Option<f64>) -> String {
    let Some(bytes) = bytes else {
        return "–".into();
    };
    let mb = bytes as f64 / 1e6;
    match disk_mbps {
        Some(speed) => format!("{mb:.0} MB ({})", fmt_ms(Some(mb / speed * 1000.0))),
        None => format!("{mb:.0} MB"),
    }
}

fn report(tsv: &Path, json_out: &Path, md_out: &Path, machine: &str) -> Result<()> {
    // The disk's durable write speed, measured by run.sh (none in a smoke run).
    let disk_mbps: Option<f64> = std::env::var("DISK_MBPS").ok().and_then(|v| v.parse().ok());
    let text = fs::read_to_string(tsv).with_context(|| format!("cannot read {}", tsv.display()))?;
    let mut rows = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        ensure!(f.len() >= 7, "bad measurement line: {line:?}");
        rows.push(Measurement {
            name: f[0].to_owned(),
            size: f[1].parse()?,
            command: read_hyperfine(f[2])?,
            floor: read_hyperfine(f[3])?,
            rss_kb: f[4].parse().ok(),
            floor_rss_kb: f[5].parse().ok(),
            target: f[6].to_owned(),
            note: f.get(7).copied().unwrap_or("").to_owned(),
            written: f.get(8).and_then(|v| v.parse().ok()),
            floor_written: f.get(9).and_then(|v| v.parse().ok()),
        });
    }
    let mut json_rows = Vec::new();
    let mut md = String::new();
    writeln!(md, "# mfa-admin benchmark results\n")?;
    writeln!(md, "{machine}\n")?;
    writeln!(
        md,
        "Whole-process wall time (hyperfine, median of the runs, spread = min–max) and peak \
         RSS (`/usr/bin/time -f %M`), beside the floor: a fresh `sqlite3` shell process running \
         the equivalent SQL on the same store. For bulk writes, the bytes each wrote (`wchar` \
         of /proc/PID/io: WAL, main file, temporary files) and, in brackets, how long this \
         disk takes to write that many bytes durably: the physical floor. Generated by `bench/run.sh`; see \
         bench/README.md.\n"
    )?;
    writeln!(
        md,
        "| command | users | median | spread | runs | floor median | ratio | peak RSS | floor RSS | written | floor written | target |"
    )?;
    writeln!(
        md,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    )?;
    let mut misses = Vec::new();
    for m in &rows {
        let median = m.command.as_ref().and_then(|r| ms(r, "median"));
        let (min, max) = (
            m.command.as_ref().and_then(|r| ms(r, "min")),
            m.command.as_ref().and_then(|r| ms(r, "max")),
        );
        let runs = m
            .command
            .as_ref()
            .and_then(|r| r["times"].as_array().map(Vec::len));
        let floor = m.floor.as_ref().and_then(|r| ms(r, "median"));
        let ratio = median.zip(floor).map(|(a, b)| a / b);
        let met = meets(&m.target, median, ratio, m.rss_kb);
        if met == Some(false) {
            misses.push(format!("{} at {} users", m.name, m.size));
        }
        // Each clause on its own: "< 1000 ms: **missed**, < 100 MB peak: met".
        let target_text = m
            .target
            .split(';')
            .filter(|c| !c.is_empty())
            .map(|clause| match meets(clause, median, ratio, m.rss_kb) {
                None => describe_target(clause),
                Some(true) => format!("{}: met", describe_target(clause)),
                Some(false) => format!("{}: **missed**", describe_target(clause)),
            })
            .collect::<Vec<_>>()
            .join(", ");
        writeln!(
            md,
            "| {}{} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            m.name,
            if m.note.is_empty() {
                String::new()
            } else {
                format!(" ({})", m.note)
            },
            m.size,
            fmt_ms(median),
            match (min, max) {
                (Some(a), Some(b)) => format!("{}–{}", fmt_ms(Some(a)), fmt_ms(Some(b))),
                _ => "–".into(),
            },
            runs.map_or("–".into(), |n| n.to_string()),
            fmt_ms(floor),
            ratio.map_or("–".into(), |r| format!("{r:.2}×")),
            fmt_mb(m.rss_kb),
            fmt_mb(m.floor_rss_kb),
            fmt_written(m.written, disk_mbps),
            fmt_written(m.floor_written, disk_mbps),
            target_text
        )?;
        let mut obj = BTreeMap::new();
        obj.insert("command", json!(m.name));
        obj.insert("note", json!(m.note));
        obj.insert("users", json!(m.size));
        obj.insert("median_ms", json!(median));
        obj.insert(
            "mean_ms",
            json!(m.command.as_ref().and_then(|r| ms(r, "mean"))),
        );
        obj.insert(
            "stddev_ms",
            json!(m.command.as_ref().and_then(|r| ms(r, "stddev"))),
        );
        obj.insert("min_ms", json!(min));
        obj.insert("max_ms", json!(max));
        obj.insert("runs", json!(runs));
        obj.insert("floor_median_ms", json!(floor));
        obj.insert(
            "floor_min_ms",
            json!(m.floor.as_ref().and_then(|r| ms(r, "min"))),
        );
        obj.insert(
            "floor_max_ms",
            json!(m.floor.as_ref().and_then(|r| ms(r, "max"))),
        );
        obj.insert("ratio", json!(ratio));
        obj.insert("peak_rss_kb", json!(m.rss_kb));
        obj.insert("floor_peak_rss_kb", json!(m.floor_rss_kb));
        obj.insert("written_bytes", json!(m.written));
        obj.insert("floor_written_bytes", json!(m.floor_written));
        obj.insert("target", json!(m.target));
        obj.insert("target_met", json!(met));
        obj.insert(
            "shell_command",
            json!(m.command.as_ref().map(|r| r["command"].clone())),
        );
        obj.insert(
            "floor_command",
            json!(m.floor.as_ref().map(|r| r["command"].clone())),
        );
        json_rows.push(obj);
    }
    writeln!(md)?;
    if misses.is_empty() {
        writeln!(md, "Every target measured here is met.")?;
    } else {
        writeln!(md, "Missed targets: {}.", misses.join("; "))?;
    }
    fs::write(md_out, md)?;
    let doc = json!({ "machine": machine, "results": json_rows });
    fs::write(json_out, serde_json::to_string_pretty(&doc)? + "\n")?;
    Ok(())
}

/// Puts the report (without its title) between the README's `<!-- bench:begin -->` and
/// `<!-- bench:end -->` markers; a README without them is left alone.
fn fill_readme(md: &Path, readme: &Path) -> Result<()> {
    const BEGIN: &str = "<!-- bench:begin -->";
    const END: &str = "<!-- bench:end -->";
    let table = fs::read_to_string(md)?;
    let body = table
        .lines()
        .skip_while(|l| l.starts_with("# ") || l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    let text = fs::read_to_string(readme)?;
    let (Some(start), Some(end)) = (text.find(BEGIN), text.find(END)) else {
        return Ok(());
    };
    if end < start {
        bail!("{}: {END} comes before {BEGIN}", readme.display());
    }
    let filled = format!(
        "{}{BEGIN}\n{}\n{}",
        &text[..start],
        body.trim_end(),
        &text[end..]
    );
    if filled != text {
        fs::write(readme, filled)?;
    }
    Ok(())
}
