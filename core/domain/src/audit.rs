//! The audit trail: who did what, when, on which terminal and to which record, as a hash chain.
//!
//! Every change to a record and every opening of personal data is an audit event (issue 7, brief §3.5).
//! Each terminal numbers its events from 1 and links each to the one before by hash: event `n` stores the hash
//! of event `n - 1` (`prev_hash`; 64 zeros for event 1) and its own hash over [`canonical_bytes`]. Removing,
//! changing or reordering an event therefore breaks the chain where it happened, and [`verify_chain`] says where
//! and how. The chain alone cannot notice the newest events being cut off, nor a whole tail rewritten with fresh
//! hashes; the terminal ships its events to the server in [`AuditBatch`] records, and the server's copy is what a
//! local chain is held against for that.
//!
//! This module is pure: the hash function is passed in (the store uses SM3 from `banshi-crypto`), so the
//! domain keeps no crypto dependency.
//!
//! Audit events carry **no personal data**: `detail` says what happened in words and codes (a category, a
//! count, a reason), never an ID number, name or phone number, and `record_id` is a record's UUID, not a
//! person's identifier. So audit rows can stay unencrypted, be synced to any scope and be verified without the
//! data key.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::ErrorCode;

/// Record kind of [`AuditBatch`].
pub const AUDIT_BATCH_KIND: &str = "audit-batch";
pub const AUDIT_BATCH_SCHEMA_VERSION: u32 = 1;

/// `prev_hash` of a terminal's first event (seq 1): 64 zeros, as long as a hex SM3 digest.
pub const GENESIS_PREV_HASH: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// The actor of events done by a resident at a self-service screen.
pub const ACTOR_RESIDENT: &str = "resident";
/// The actor of events the terminal does on its own (and of record writes nobody was named for).
pub const ACTOR_TERMINAL: &str = "terminal";

/// The actor of events done with a kiosk's admin PIN: whoever holds it is not otherwise identified.
pub const ACTOR_KIOSK_ADMIN: &str = "kiosk-admin";

/// The actor of events done by a signed-in member of staff: `staff:<id>`.
pub fn staff_actor(staff_id: &str) -> String {
    format!("staff:{staff_id}")
}

/// What happened. The strings of [`AuditAction::as_str`] are part of the hashed bytes: never rename one, only
/// add new actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    RecordCreated,
    RecordUpdated,
    /// Personal data was shown on a screen (a card read, an application opened).
    PersonalDataOpened,
    /// Personal data left the terminal on paper (a receipt or notice with a name on it).
    PersonalDataPrinted,
    StaffLogin,
    StaffLoginFailed,
    StaffLogout,
    /// Too many failed logins: the account is locked.
    StaffLocked,
    /// A locked account was unlocked by an administrator.
    StaffUnlocked,
    /// A staff account was created, or its roles or credentials changed.
    StaffChanged,
    KeyRotated,
    ExportBundle,
    ImportBundle,
    /// A fleet admin signed a profile and started its rollout.
    ProfilePublished,
    /// A fleet admin advanced or rolled back a rollout.
    RolloutChanged,
    /// A pushed profile was applied (or the terminal went back to its installed one).
    ProfileApplied,
    /// A pushed profile was refused (bad signature, untrusted key, invalid profile).
    ProfileRefused,
    /// The admin PIN was entered at a locked kiosk and the kiosk app closed.
    KioskExit,
    /// A wrong admin PIN at a locked kiosk, or any PIN while too many wrong ones keep it locked.
    KioskExitRefused,
}

impl AuditAction {
    pub const ALL: [AuditAction; 19] = [
        AuditAction::RecordCreated,
        AuditAction::RecordUpdated,
        AuditAction::PersonalDataOpened,
        AuditAction::PersonalDataPrinted,
        AuditAction::StaffLogin,
        AuditAction::StaffLoginFailed,
        AuditAction::StaffLogout,
        AuditAction::StaffLocked,
        AuditAction::StaffUnlocked,
        AuditAction::StaffChanged,
        AuditAction::KeyRotated,
        AuditAction::ExportBundle,
        AuditAction::ImportBundle,
        AuditAction::ProfilePublished,
        AuditAction::RolloutChanged,
        AuditAction::ProfileApplied,
        AuditAction::ProfileRefused,
        AuditAction::KioskExit,
        AuditAction::KioskExitRefused,
    ];

    /// The stable name, as serde writes it and as it is hashed and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::RecordCreated => "record_created",
            AuditAction::RecordUpdated => "record_updated",
            AuditAction::PersonalDataOpened => "personal_data_opened",
            AuditAction::PersonalDataPrinted => "personal_data_printed",
            AuditAction::StaffLogin => "staff_login",
            AuditAction::StaffLoginFailed => "staff_login_failed",
            AuditAction::StaffLogout => "staff_logout",
            AuditAction::StaffLocked => "staff_locked",
            AuditAction::StaffUnlocked => "staff_unlocked",
            AuditAction::StaffChanged => "staff_changed",
            AuditAction::KeyRotated => "key_rotated",
            AuditAction::ExportBundle => "export_bundle",
            AuditAction::ImportBundle => "import_bundle",
            AuditAction::ProfilePublished => "profile_published",
            AuditAction::RolloutChanged => "rollout_changed",
            AuditAction::ProfileApplied => "profile_applied",
            AuditAction::ProfileRefused => "profile_refused",
            AuditAction::KioskExit => "kiosk_exit",
            AuditAction::KioskExitRefused => "kiosk_exit_refused",
        }
    }

    /// The action named `name` (an [`AuditAction::as_str`] string), if there is one.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a caller reports; the store adds the terminal, the sequence number and the hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When it happened, Unix milliseconds.
    pub at_ms: i64,
    /// `resident`, `staff:<id>`, `kiosk-admin` or `terminal` (see [`ACTOR_RESIDENT`], [`staff_actor`],
    /// [`ACTOR_KIOSK_ADMIN`], [`ACTOR_TERMINAL`]).
    pub actor: String,
    pub action: AuditAction,
    pub record_kind: Option<String>,
    pub record_id: Option<String>,
    /// Free text for people reading the trail. Never personal data (see the module documentation).
    pub detail: String,
}

impl AuditEntry {
    /// An entry about no particular record.
    pub fn new(
        at_ms: i64,
        actor: impl Into<String>,
        action: AuditAction,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            at_ms,
            actor: actor.into(),
            action,
            record_kind: None,
            record_id: None,
            detail: detail.into(),
        }
    }

    /// The same entry about the record `kind`/`id`.
    pub fn on_record(mut self, kind: impl Into<String>, id: impl Into<String>) -> Self {
        self.record_kind = Some(kind.into());
        self.record_id = Some(id.into());
        self
    }
}

/// One link of a terminal's audit chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct AuditEvent {
    /// 1, 2, 3 … per terminal, without gaps.
    pub seq: u64,
    /// The terminal that recorded the event.
    pub terminal: String,
    pub at_ms: i64,
    pub actor: String,
    pub action: AuditAction,
    pub record_kind: Option<String>,
    pub record_id: Option<String>,
    pub detail: String,
    /// `hash` of event `seq - 1` ([`GENESIS_PREV_HASH`] for seq 1).
    pub prev_hash: String,
    /// Lower-case hex hash of [`canonical_bytes`] of this event.
    pub hash: String,
}

impl AuditEvent {
    /// Event `seq` of `terminal`, following the event whose hash is `prev_hash`, hashed with `hash`.
    pub fn seal(
        seq: u64,
        terminal: &str,
        prev_hash: &str,
        entry: AuditEntry,
        hash: impl Fn(&[u8]) -> String,
    ) -> Self {
        let digest = hash(&canonical_bytes(prev_hash, seq, terminal, &entry));
        Self {
            seq,
            terminal: terminal.to_string(),
            at_ms: entry.at_ms,
            actor: entry.actor,
            action: entry.action,
            record_kind: entry.record_kind,
            record_id: entry.record_id,
            detail: entry.detail,
            prev_hash: prev_hash.to_string(),
            hash: digest,
        }
    }

    /// The caller-reported part of the event.
    pub fn entry(&self) -> AuditEntry {
        AuditEntry {
            at_ms: self.at_ms,
            actor: self.actor.clone(),
            action: self.action,
            record_kind: self.record_kind.clone(),
            record_id: self.record_id.clone(),
            detail: self.detail.clone(),
        }
    }

    /// The hash this event must carry, recomputed from its fields.
    fn expected_hash(&self, hash: &impl Fn(&[u8]) -> String) -> String {
        hash(&canonical_bytes(
            &self.prev_hash,
            self.seq,
            &self.terminal,
            &self.entry(),
        ))
    }
}

/// A run of one terminal's audit events, synced to the server as one immutable record so the trail outlives
/// the terminal and a local chain can be checked against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct AuditBatch {
    pub terminal: String,
    pub first_seq: u64,
    pub last_seq: u64,
    pub events: Vec<AuditEvent>,
}

/// The bytes an event's hash covers. **Stable forever**: changing them breaks every stored chain.
///
/// Layout, in this order:
/// 1. the domain tag `banshi.audit.v1`, then `prev_hash`, as strings;
/// 2. `seq` as 8 bytes, unsigned big-endian;
/// 3. `terminal`, as a string;
/// 4. `at_ms` as 8 bytes, two's-complement big-endian;
/// 5. `actor` and the action's [`AuditAction::as_str`], as strings;
/// 6. `record_kind` and `record_id`, each as one byte `0` when absent or `1` followed by the string;
/// 7. `detail`, as a string.
///
/// A string is its UTF-8 length as 8 bytes unsigned big-endian, then its UTF-8 bytes. The length prefixes make
/// the encoding unambiguous: no two different events share their bytes (`"ab" + "c"` is not `"a" + "bc"`).
pub fn canonical_bytes(prev_hash: &str, seq: u64, terminal: &str, entry: &AuditEntry) -> Vec<u8> {
    fn string(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&(s.len() as u64).to_be_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    fn optional(out: &mut Vec<u8>, s: Option<&str>) {
        match s {
            None => out.push(0),
            Some(s) => {
                out.push(1);
                string(out, s);
            }
        }
    }
    let mut out = Vec::with_capacity(160 + entry.detail.len());
    string(&mut out, "banshi.audit.v1");
    string(&mut out, prev_hash);
    out.extend_from_slice(&seq.to_be_bytes());
    string(&mut out, terminal);
    out.extend_from_slice(&entry.at_ms.to_be_bytes());
    string(&mut out, &entry.actor);
    string(&mut out, entry.action.as_str());
    optional(&mut out, entry.record_kind.as_deref());
    optional(&mut out, entry.record_id.as_deref());
    string(&mut out, &entry.detail);
    out
}

/// What a sound chain holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainSummary {
    /// How many events were checked.
    pub events: u64,
    /// The newest event's seq (0 for an empty chain).
    pub last_seq: u64,
    /// The newest event's hash ([`GENESIS_PREV_HASH`] for an empty chain); compare it with the server's copy
    /// to notice a cut-off tail.
    pub last_hash: String,
}

/// How a chain is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakKind {
    /// An event is not there: the sequence jumps over it.
    Missing,
    /// An event's fields do not match its hash, or no longer match the hash its successor links to.
    Altered,
    /// Events are present and intact but in the wrong order.
    OutOfOrder,
}

impl BreakKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakKind::Missing => "missing",
            BreakKind::Altered => "altered",
            BreakKind::OutOfOrder => "out_of_order",
        }
    }
}

impl std::fmt::Display for BreakKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where and how an audit chain is broken: the first break found, reading from the oldest event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("audit chain broken at event {at_seq} ({kind}): {message}")]
pub struct ChainBreak {
    /// Missing: the first absent seq. Altered: the event whose content no longer matches. OutOfOrder: the
    /// event found in the wrong place.
    pub at_seq: u64,
    pub kind: BreakKind,
    pub message: String,
}

impl ErrorCode for ChainBreak {
    fn code(&self) -> &'static str {
        match self.kind {
            BreakKind::Missing => "audit.missing_event",
            BreakKind::Altered => "audit.altered_event",
            BreakKind::OutOfOrder => "audit.out_of_order",
        }
    }
}

/// Check one terminal's whole chain, `events` in the order they are stored (oldest first), recomputing every
/// hash with `hash`. Returns the first break.
///
/// For each event, in this order (so each tampering is named for what it is):
/// 1. its seq must be the previous one + 1 (1 for the first). A smaller seq, or a larger one while a smaller
///    seq still comes later, is **OutOfOrder**; a larger one with nothing smaller later is **Missing** (the
///    skipped seq).
/// 2. a `prev_hash` that is not the previous event's hash but is the hash of a *later* event is
///    **OutOfOrder**: the event stands before one it was written after (rows whose contents were swapped
///    between seqs look like this).
/// 3. its own hash must match its fields, else **Altered** (this event).
/// 4. its `prev_hash` must be the previous event's hash. The event itself is intact, so what changed is the
///    previous event, rewritten with a fresh hash: **Altered** (the previous event; this event for the first,
///    whose `prev_hash` must be [`GENESIS_PREV_HASH`]).
pub fn verify_chain(
    events: &[AuditEvent],
    hash: impl Fn(&[u8]) -> String,
) -> Result<ChainSummary, ChainBreak> {
    // Smallest seq at or after each position, and the last position of each hash: what "later" means above.
    let mut min_seq_from = vec![u64::MAX; events.len() + 1];
    for (i, e) in events.iter().enumerate().rev() {
        min_seq_from[i] = min_seq_from[i + 1].min(e.seq);
    }
    let last_position_of_hash: std::collections::HashMap<&str, usize> = events
        .iter()
        .enumerate()
        .map(|(i, e)| (e.hash.as_str(), i))
        .collect();

    let mut prev: Option<&AuditEvent> = None;
    for (i, event) in events.iter().enumerate() {
        let expected_seq = prev.map_or(1, |p| p.seq + 1);
        let expected_prev = prev.map_or(GENESIS_PREV_HASH, |p| p.hash.as_str());
        let broken = |at_seq, kind, message: String| ChainBreak {
            at_seq,
            kind,
            message,
        };
        if event.seq < expected_seq || (event.seq > expected_seq && min_seq_from[i + 1] < event.seq)
        {
            return Err(broken(
                event.seq,
                BreakKind::OutOfOrder,
                format!(
                    "event {} stands where event {expected_seq} belongs",
                    event.seq
                ),
            ));
        }
        if event.seq > expected_seq {
            let message = if expected_seq + 1 == event.seq {
                format!("event {expected_seq} is missing")
            } else {
                format!("events {expected_seq} to {} are missing", event.seq - 1)
            };
            return Err(broken(expected_seq, BreakKind::Missing, message));
        }
        if event.prev_hash != expected_prev {
            if let Some(&later) = last_position_of_hash.get(event.prev_hash.as_str()) {
                if later > i {
                    return Err(broken(
                        event.seq,
                        BreakKind::OutOfOrder,
                        format!(
                            "event {} follows the event stored at position {} (seq {}), which comes after it",
                            event.seq,
                            later + 1,
                            events[later].seq
                        ),
                    ));
                }
            }
        }
        if event.expected_hash(&hash) != event.hash {
            return Err(broken(
                event.seq,
                BreakKind::Altered,
                format!("event {} does not match its hash", event.seq),
            ));
        }
        if event.prev_hash != expected_prev {
            return Err(match prev {
                Some(p) => broken(
                    p.seq,
                    BreakKind::Altered,
                    format!(
                        "event {} was changed after event {} linked to it",
                        p.seq, event.seq
                    ),
                ),
                None => broken(
                    event.seq,
                    BreakKind::Altered,
                    format!("event {} does not start the chain", event.seq),
                ),
            });
        }
        prev = Some(event);
    }
    Ok(ChainSummary {
        events: events.len() as u64,
        last_seq: prev.map_or(0, |p| p.seq),
        last_hash: prev.map_or_else(|| GENESIS_PREV_HASH.to_string(), |p| p.hash.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in hash for the pure tests (the store uses SM3): FNV-1a, 64 bits twice, as hex.
    fn test_hash(bytes: &[u8]) -> String {
        let fnv = |seed: u64| {
            bytes.iter().fold(seed, |h, b| {
                (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
            })
        };
        format!(
            "{:016x}{:016x}{:032x}",
            fnv(0xcbf2_9ce4_8422_2325),
            fnv(0x8422_2325_cbf2_9ce4),
            0
        )
    }

    fn chain(n: u64) -> Vec<AuditEvent> {
        let mut out: Vec<AuditEvent> = Vec::new();
        for seq in 1..=n {
            let prev = out
                .last()
                .map_or(GENESIS_PREV_HASH.to_string(), |e| e.hash.clone());
            let entry = AuditEntry::new(
                1_700_000_000_000 + seq as i64,
                staff_actor("s-7"),
                AuditAction::RecordUpdated,
                format!("step {seq}"),
            )
            .on_record("ticket", format!("id-{seq}"));
            out.push(AuditEvent::seal(seq, "qm-01", &prev, entry, test_hash));
        }
        out
    }

    fn break_of(events: &[AuditEvent]) -> (BreakKind, u64) {
        let err = verify_chain(events, test_hash).expect_err("the chain must be broken");
        (err.kind, err.at_seq)
    }

    #[test]
    fn a_valid_chain_verifies_and_summarises_its_end() {
        let events = chain(5);
        let summary = verify_chain(&events, test_hash).expect("valid");
        assert_eq!(
            summary,
            ChainSummary {
                events: 5,
                last_seq: 5,
                last_hash: events[4].hash.clone()
            }
        );
    }

    #[test]
    fn an_empty_chain_is_valid() {
        let summary = verify_chain(&[], test_hash).expect("valid");
        assert_eq!((summary.events, summary.last_seq), (0, 0));
        assert_eq!(summary.last_hash, GENESIS_PREV_HASH);
    }

    #[test]
    fn a_deleted_middle_event_is_missing() {
        let mut events = chain(5);
        events.remove(2);
        assert_eq!(break_of(&events), (BreakKind::Missing, 3));
    }

    #[test]
    fn a_deleted_first_event_is_missing() {
        let mut events = chain(3);
        events.remove(0);
        assert_eq!(break_of(&events), (BreakKind::Missing, 1));
    }

    #[test]
    fn edited_detail_actor_or_time_is_altered_at_that_event() {
        let edits: [fn(&mut AuditEvent); 4] = [
            |e| e.detail.push('!'),
            |e| e.actor = staff_actor("s-8"),
            |e| e.at_ms += 1,
            |e| e.record_id = None,
        ];
        for edit in edits {
            let mut events = chain(4);
            edit(&mut events[1]);
            assert_eq!(break_of(&events), (BreakKind::Altered, 2));
        }
    }

    #[test]
    fn an_edited_event_given_a_fresh_hash_is_altered_where_its_successor_links() {
        let mut events = chain(4);
        events[1].detail = "nothing to see".into();
        events[1].hash = events[1].expected_hash(&test_hash);
        assert_eq!(break_of(&events), (BreakKind::Altered, 2));
    }

    #[test]
    fn a_first_event_not_linked_to_the_genesis_hash_is_altered() {
        let mut events = chain(2);
        events[0].prev_hash = "f".repeat(64);
        events[0].hash = events[0].expected_hash(&test_hash);
        assert_eq!(break_of(&events), (BreakKind::Altered, 1));
    }

    #[test]
    fn two_swapped_events_are_out_of_order() {
        let mut events = chain(5);
        events.swap(1, 2);
        assert_eq!(break_of(&events), (BreakKind::OutOfOrder, 3));
        let mut events = chain(5);
        events.swap(0, 4);
        assert_eq!(break_of(&events), (BreakKind::OutOfOrder, 5));
    }

    #[test]
    fn contents_swapped_between_seqs_are_out_of_order() {
        // What swapping two rows' columns (all but the seq key) in a table looks like.
        let mut events = chain(5);
        let (a, b) = (events[1].clone(), events[2].clone());
        events[1] = AuditEvent { seq: 2, ..b };
        events[2] = AuditEvent { seq: 3, ..a };
        assert_eq!(break_of(&events), (BreakKind::OutOfOrder, 2));
    }

    #[test]
    fn a_repeated_event_is_out_of_order() {
        let mut events = chain(3);
        events.insert(2, events[1].clone());
        assert_eq!(break_of(&events), (BreakKind::OutOfOrder, 2));
    }

    #[test]
    fn canonical_bytes_separate_fields_unambiguously() {
        let a = AuditEntry::new(1, "ab", AuditAction::StaffLogin, "c");
        let b = AuditEntry::new(1, "a", AuditAction::StaffLogin, "bc");
        assert_ne!(
            canonical_bytes(GENESIS_PREV_HASH, 1, "t", &a),
            canonical_bytes(GENESIS_PREV_HASH, 1, "t", &b)
        );
        let none = AuditEntry::new(1, "a", AuditAction::StaffLogin, "");
        let empty = AuditEntry {
            record_kind: Some(String::new()),
            ..none.clone()
        };
        assert_ne!(
            canonical_bytes(GENESIS_PREV_HASH, 1, "t", &none),
            canonical_bytes(GENESIS_PREV_HASH, 1, "t", &empty)
        );
    }

    #[test]
    fn canonical_bytes_layout_is_fixed() {
        let entry = AuditEntry::new(2, "r", AuditAction::KeyRotated, "d").on_record("k", "i");
        let mut expected = Vec::new();
        for part in [&b"banshi.audit.v1"[..], b"p"] {
            expected.extend_from_slice(&(part.len() as u64).to_be_bytes());
            expected.extend_from_slice(part);
        }
        expected.extend_from_slice(&7u64.to_be_bytes());
        expected.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1, b't']);
        expected.extend_from_slice(&2i64.to_be_bytes());
        expected.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1, b'r']);
        expected.extend_from_slice(&11u64.to_be_bytes());
        expected.extend_from_slice(b"key_rotated");
        expected.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 1, b'k']);
        expected.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 1, b'i']);
        expected.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1, b'd']);
        assert_eq!(canonical_bytes("p", 7, "t", &entry), expected);
    }

    #[test]
    fn action_names_round_trip_and_match_serde() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
            let json = serde_string(action);
            assert_eq!(json, format!("\"{}\"", action.as_str()));
        }
        assert_eq!(AuditAction::parse("record_deleted"), None);
    }

    fn serde_string(action: AuditAction) -> String {
        // toml is the serde format this crate already has; a bare value serialises as a quoted string.
        toml::Value::try_from(action)
            .expect("serialise")
            .to_string()
    }
}
