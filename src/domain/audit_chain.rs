//! The audit trail's chain, as the domain defines it: what a row's MAC covers (its format),
//! the printed head of every chain, and the verification of a trail, fed the stored rows in
//! order. Pure: the store reads the rows and the recorded heads (`store::audit`) and hands
//! them here; nothing here knows SQL.
//!
//! Format: a keyed row's MAC is `HMAC-SHA256(audit key, "mfa-admin/audit/v2" || chain ||
//! seq || prev || content)` with the content's fields length-prefixed; a row from before
//! the trail was keyed (schema 3 and earlier) is `SHA-256("mfa-admin/audit/v1" || prev ||
//! content)`. Each keyed chain's first row links to the last legacy hash.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use crate::clock::UnixTime as Now;
use crate::crypto::{AuditKey, ct_eq};
use crate::domain::audit::Action;

pub(crate) fn to_32(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    if bytes.len() == 32 {
        out.copy_from_slice(bytes);
    }
    out
}

/// What a row's MAC covers.
pub(crate) struct Content<'a> {
    pub(crate) at: Now,
    pub(crate) actor: &'a str,
    pub(crate) action: &'a str,
    pub(crate) user_id: Option<i64>,
    pub(crate) username: Option<&'a str>,
    pub(crate) reason: Option<&'a str>,
    pub(crate) details: Option<&'a str>,
}

impl<'a> Content<'a> {
    /// What a new row records of `entry`, as the MAC covers it.
    pub(crate) fn of(at: Now, entry: &'a Entry<'_>) -> Content<'a> {
        Content {
            at,
            actor: entry.actor,
            action: entry.action.as_str(),
            user_id: entry.user_id,
            username: entry.username,
            reason: entry.reason,
            details: entry.details.as_deref(),
        }
    }
}

/// Length-prefixed fields, so no two different rows encode the same bytes.
fn encode_content(out: &mut Vec<u8>, c: &Content<'_>) {
    fn field(out: &mut Vec<u8>, value: Option<&[u8]>) {
        match value {
            None => out.push(0),
            Some(bytes) => {
                out.push(1);
                out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
                out.extend_from_slice(bytes);
            }
        }
    }
    field(out, Some(&c.at.to_be_bytes()));
    field(out, Some(c.actor.as_bytes()));
    field(out, Some(c.action.as_bytes()));
    field(
        out,
        c.user_id.map(i64::to_be_bytes).as_ref().map(|b| &b[..]),
    );
    field(out, c.username.map(str::as_bytes));
    field(out, c.reason.map(str::as_bytes));
    field(out, c.details.map(str::as_bytes));
}

/// The legacy (schema ≤ 3) row hash: SHA-256, no key.
pub(crate) fn legacy_hash(prev: &[u8; 32], c: &Content<'_>) -> [u8; 32] {
    let mut message = Vec::with_capacity(256);
    message.extend_from_slice(b"mfa-admin/audit/v1");
    message.extend_from_slice(prev);
    encode_content(&mut message, c);
    Sha256::digest(&message).into()
}

/// A keyed row's MAC: its chain, position, link and content under the audit key.
pub(crate) fn row_mac(
    key: &AuditKey,
    chain: i64,
    seq: i64,
    prev: &[u8; 32],
    c: &Content<'_>,
) -> [u8; 32] {
    let mut message = Vec::with_capacity(256);
    message.extend_from_slice(b"mfa-admin/audit/v2");
    message.extend_from_slice(&chain.to_be_bytes());
    message.extend_from_slice(&seq.to_be_bytes());
    message.extend_from_slice(prev);
    encode_content(&mut message, c);
    key.mac(&message)
}

/// What `audit verify` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Every row chains; `head` is what [`Head::render`] prints, worth recording elsewhere.
    Intact { rows: i64, head: String },
    /// The first row that does not chain, and why.
    Broken { row: Option<i64>, why: String },
}

/// The heads of every chain: `CHAIN:SEQ:MAC` per chain (MAC in hex), joined by `,`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Head(pub(crate) Vec<(i64, i64, [u8; 32])>);

impl Head {
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        for (i, (chain, seq, mac)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                "{chain}:{seq}:{}",
                data_encoding::HEXLOWER.encode(&mac[..])
            );
        }
        out
    }

    /// Parses a head printed earlier by `audit head`.
    pub(crate) fn parse(text: &str) -> Result<Head, String> {
        let bad = || {
            format!(
                "--expect {text:?} is not an audit head (CHAIN:SEQ:MAC[,...], as `mfa-admin audit head` prints it)"
            )
        };
        let mut heads = Vec::new();
        for part in text.trim().split(',') {
            let mut fields = part.split(':');
            let (Some(chain), Some(seq), Some(mac), None) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                return Err(bad());
            };
            let chain: i64 = chain.parse().map_err(|_| bad())?;
            let seq: i64 = seq.parse().map_err(|_| bad())?;
            let mac = data_encoding::HEXLOWER_PERMISSIVE
                .decode(mac.as_bytes())
                .map_err(|_| bad())?;
            if mac.len() != 32 || seq < 1 {
                return Err(bad());
            }
            heads.push((chain, seq, to_32(&mac)));
        }
        Ok(Head(heads))
    }
}

/// One stored audit row as `verify` reads it.
pub(crate) struct StoredRow {
    pub(crate) id: i64,
    pub(crate) seq: Option<i64>,
    pub(crate) prev: Vec<u8>,
    pub(crate) hash: Vec<u8>,
    pub(crate) content: RowContent,
}

/// An audit row's content as read back, for recomputing its MAC.
pub(crate) struct RowContent {
    pub(crate) at: Now,
    pub(crate) actor: String,
    pub(crate) action: String,
    pub(crate) user_id: Option<i64>,
    pub(crate) username: Option<String>,
    pub(crate) reason: Option<String>,
    pub(crate) details: Option<String>,
}

impl RowContent {
    pub(crate) fn as_content(&self) -> Content<'_> {
        Content {
            at: self.at,
            actor: &self.actor,
            action: &self.action,
            user_id: self.user_id,
            username: self.username.as_deref(),
            reason: self.reason.as_deref(),
            details: self.details.as_deref(),
        }
    }
}

/// One audit row to append. Never put a secret, code or token in any field.
#[derive(Clone, Debug)]
pub(crate) struct Entry<'a> {
    pub(crate) actor: &'a str,
    pub(crate) action: Action,
    pub(crate) user_id: Option<i64>,
    pub(crate) username: Option<&'a str>,
    pub(crate) reason: Option<&'a str>,
    /// Compact JSON with non-secret facts (counts, parameters).
    pub(crate) details: Option<String>,
}

fn broken(row: i64, why: &str) -> Verdict {
    Verdict::Broken {
        row: Some(row),
        why: why.to_owned(),
    }
}

const LINK_BROKEN: &str =
    "its link to the previous row does not match (a row before it was deleted, inserted or edited)";

/// Checks the rows from before the trail was keyed, fed in id order.
#[derive(Default)]
pub(crate) struct LegacyWalk {
    prev: [u8; 32],
    count: i64,
}

impl LegacyWalk {
    /// The next row; a verdict when it does not chain.
    pub(crate) fn check(&mut self, row: &StoredRow) -> Option<Verdict> {
        if row.prev != self.prev {
            return Some(broken(row.id, LINK_BROKEN));
        }
        let hash = legacy_hash(&self.prev, &row.content.as_content());
        if row.hash != hash {
            return Some(broken(
                row.id,
                "its content does not match its hash (the row was edited or forged)",
            ));
        }
        self.prev = hash;
        self.count += 1;
        None
    }

    /// Against the recorded legacy head (row count, last hash): the rows checked and the
    /// hash every keyed chain's first row links to.
    pub(crate) fn finish(&self, recorded: (i64, [u8; 32])) -> Result<(i64, [u8; 32]), Verdict> {
        let (count, prev) = recorded;
        if count != self.count || prev != self.prev {
            return Err(Verdict::Broken {
                row: None,
                why: format!(
                    "the log has {} rows from before the trail was keyed but its head records {count} (rows were deleted or the head was edited)",
                    self.count
                ),
            });
        }
        Ok((self.count, self.prev))
    }
}

/// Checks one keyed chain, fed its rows in seq order: each row's position, link and MAC,
/// and (with an expected head) that the row the head recorded at a position is still there.
pub(crate) struct ChainWalk<'k> {
    key: &'k AuditKey,
    chain: i64,
    seq: i64,
    prev: [u8; 32],
    expect: Option<&'k Head>,
    /// (chain, seq, MAC) of every row, when there is an expected head to hold them to.
    pub(crate) seen: Vec<(i64, i64, [u8; 32])>,
}

impl<'k> ChainWalk<'k> {
    pub(crate) fn new(
        key: &'k AuditKey,
        chain: i64,
        anchor: [u8; 32],
        expect: Option<&'k Head>,
    ) -> ChainWalk<'k> {
        ChainWalk {
            key,
            chain,
            seq: 0,
            prev: anchor,
            expect,
            seen: Vec::new(),
        }
    }

    /// The next row; a verdict when it does not chain.
    pub(crate) fn check(&mut self, row: &StoredRow) -> Option<Verdict> {
        if row.seq != Some(self.seq + 1) {
            return Some(broken(
                row.id,
                "a row before it in its chain is missing (deleted) or it was inserted",
            ));
        }
        if !ct_eq(&row.prev, &self.prev) {
            return Some(broken(row.id, LINK_BROKEN));
        }
        let seq = self.seq + 1;
        let mac = row_mac(
            self.key,
            self.chain,
            seq,
            &self.prev,
            &row.content.as_content(),
        );
        if !ct_eq(&row.hash, &mac) {
            return Some(broken(
                row.id,
                "its content does not match its MAC (the row was edited or forged)",
            ));
        }
        if let Some(expect) = self.expect {
            if let Some((_, _, want)) = expect
                .0
                .iter()
                .find(|(c, s, _)| *c == self.chain && *s == seq)
                && !ct_eq(want, &mac)
            {
                return Some(broken(
                    row.id,
                    "it is not the row the expected head recorded at this position (the trail was rolled back and rewritten)",
                ));
            }
            self.seen.push((self.chain, seq, mac));
        }
        self.seq = seq;
        self.prev = mac;
        None
    }

    /// Against the chain's recorded head (seq, MAC): the chain's head as verified.
    pub(crate) fn finish(
        &self,
        recorded: Option<(i64, Vec<u8>)>,
    ) -> Result<(i64, i64, [u8; 32]), Verdict> {
        let (chain, seq) = (self.chain, self.seq);
        match recorded {
            Some((rseq, rhead)) if rseq == seq && ct_eq(&rhead, &self.prev) => {
                Ok((chain, seq, self.prev))
            }
            Some((rseq, _)) => Err(Verdict::Broken {
                row: None,
                why: format!(
                    "chain {chain} has {seq} rows but its head records {rseq} (rows at the end were deleted or the head was edited)"
                ),
            }),
            None => Err(Verdict::Broken {
                row: None,
                why: format!(
                    "chain {chain} has {seq} rows but no recorded head (the head was deleted)"
                ),
            }),
        }
    }
}

/// With an expected head: every position it recorded must still be in the trail (`seen`),
/// or the trail was truncated or rolled back. `head` is the trail's head now.
pub(crate) fn missing_expected(
    expect: &Head,
    seen: &[(i64, i64, [u8; 32])],
    head: &Head,
) -> Option<Verdict> {
    let (chain, seq, _) = expect
        .0
        .iter()
        .find(|(chain, seq, _)| !seen.iter().any(|(c, s, _)| c == chain && s == seq))?;
    let now = head.0.iter().find(|(c, ..)| c == chain).map_or(0, |h| h.1);
    Some(Verdict::Broken {
        row: None,
        why: format!(
            "the expected head has {seq} rows in chain {chain} but the trail has {now} (rows were deleted: the trail was truncated or rolled back)"
        ),
    })
}
