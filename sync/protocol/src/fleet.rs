//! The fleet vocabulary: signed profile releases, their staged rollout, and terminal heartbeats.
//!
//! A fleet admin's terminal signs a complete kiosk profile for a group of terminals (hall, mode, tags) with
//! the admin's SM2 key and hands it to the server, which rolls it out in stages (5 % → 20 % → 100 % of the
//! group) and halts by itself when terminals report that they refused it. The server is trusted to choose
//! *which* signed release a terminal should run, never for the release's content: every terminal checks the
//! signature against the admin keys its installed profile trusts (`docs/operations.md`, "Fleet").
//!
//! Routes (all signed like every sync request; the admin ones only for terminals the server lists as fleet
//! admin terminals):
//!
//! | Route | Body → answer |
//! |---|---|
//! | `POST /fleet/v1/heartbeat` | [`Heartbeat`] → [`Assignment`] |
//! | `GET /fleet/v1/assignment?known=ID&wait_ms=W` | → [`Assignment`], held back up to `W` while it equals `known` |
//! | `GET /fleet/v1/rollouts` (admin) | → `Vec<`[`RolloutInfo`]`>`, newest first |
//! | `POST /fleet/v1/rollouts` (admin) | [`PublishRelease`] → [`RolloutInfo`] |
//! | `POST /fleet/v1/rollouts/{id}/advance` (admin) | → [`RolloutInfo`] |
//! | `POST /fleet/v1/rollouts/{id}/rollback` (admin) | → [`RolloutInfo`] |
//! | `GET /fleet/v1/terminals` (admin) | → [`FleetOverview`] |

use serde::{Deserialize, Serialize};

pub const HEARTBEAT_PATH: &str = "/fleet/v1/heartbeat";
pub const ASSIGNMENT_PATH: &str = "/fleet/v1/assignment";
pub const ROLLOUTS_PATH: &str = "/fleet/v1/rollouts";
pub const FLEET_TERMINALS_PATH: &str = "/fleet/v1/terminals";

/// `POST /fleet/v1/rollouts/{release_id}/advance`.
pub fn rollout_advance_path(release_id: &str) -> String {
    format!("{ROLLOUTS_PATH}/{release_id}/advance")
}

/// `POST /fleet/v1/rollouts/{release_id}/rollback`.
pub fn rollout_rollback_path(release_id: &str) -> String {
    format!("{ROLLOUTS_PATH}/{release_id}/rollback")
}

/// The rollout stages, in percent of the group's terminals.
pub const ROLLOUT_STAGES: [u8; 3] = [5, 20, 100];

/// Which terminals a release is for: all terminals of `mode`, in `hall_id` if set, carrying every tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TerminalGroup {
    #[serde(default)]
    pub hall_id: Option<String>,
    pub mode: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

impl TerminalGroup {
    /// Whether a terminal of `hall_id`, `mode` and `tags` belongs to the group.
    pub fn contains(&self, hall_id: &str, mode: &str, tags: &[String]) -> bool {
        self.mode == mode
            && self.hall_id.as_deref().is_none_or(|h| h == hall_id)
            && self.tags.iter().all(|t| tags.contains(t))
    }
}

/// A complete kiosk profile for a group, signed by a fleet admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedProfile {
    /// A UUID; also names the rollout.
    pub release_id: String,
    /// Grows by one per release of the same group.
    pub version: u64,
    pub group: TerminalGroup,
    /// The profile, as the admin wrote it. Each terminal keeps its own `[terminal]` id, label and hall.
    pub profile_toml: String,
    /// The signer's SM2 public key (hex SEC1 uncompressed).
    pub signer_key: String,
    /// SM2 signature (hex `r‖s`) of [`SignedProfile::signing_string`].
    pub signature: String,
}

impl SignedProfile {
    /// The exact bytes the admin signs: everything a terminal acts on.
    ///
    /// ```text
    /// BANSHI-PROFILE-V1\n{release_id}\n{version}\n{hall_id or *}\n{mode}\n{tags joined by ,}\n\n{profile_toml}
    /// ```
    pub fn signing_string(&self) -> String {
        signing_string(
            &self.release_id,
            self.version,
            &self.group,
            &self.profile_toml,
        )
    }
}

/// See [`SignedProfile::signing_string`].
pub fn signing_string(
    release_id: &str,
    version: u64,
    group: &TerminalGroup,
    profile_toml: &str,
) -> String {
    format!(
        "BANSHI-PROFILE-V1\n{release_id}\n{version}\n{}\n{}\n{}\n\n{profile_toml}",
        group.hall_id.as_deref().unwrap_or("*"),
        group.mode,
        group.tags.join(",")
    )
}

/// Admin → server: start rolling out a signed release at the first stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishRelease {
    pub release: SignedProfile,
    /// Refusals by terminals after which the rollout halts by itself; 0 never halts.
    #[serde(default = "default_halt_after_failures")]
    pub halt_after_failures: u32,
}

fn default_halt_after_failures() -> u32 {
    1
}

/// Where a rollout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RolloutState {
    /// Reaching `stage_percent` of the group; advanced by the admin.
    Rolling,
    /// Stopped by itself after terminals refused the release; only rollback goes on from here.
    Halted,
    /// Every terminal of the group is to run it.
    Complete,
    /// Withdrawn: its terminals go back to the release before it (or their installed profile).
    RolledBack,
}

/// One rollout as the admin sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutInfo {
    pub release: SignedProfile,
    pub stage_percent: u8,
    pub state: RolloutState,
    pub halt_after_failures: u32,
    pub halt_reason: Option<String>,
    /// The group's release that was current when this one was published.
    pub previous_release_id: Option<String>,
    pub created_ms: i64,
    /// Terminals of the group the server knows (from their heartbeats).
    pub target_count: u32,
    /// Terminals whose last heartbeat says they run this release.
    pub applied_count: u32,
    /// Terminals whose last heartbeat says they refused it.
    pub failed_count: u32,
}

/// Server → terminal: the release the terminal should run; `None`: its installed profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub release: Option<SignedProfile>,
}

impl Assignment {
    /// The assigned release's id, `""` for the installed profile (the `known` of a long-poll).
    pub fn release_id(&self) -> &str {
        self.release
            .as_ref()
            .map(|r| r.release_id.as_str())
            .unwrap_or("")
    }
}

/// A release a terminal runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedRelease {
    pub release_id: String,
    pub version: u64,
}

/// A release a terminal refused, and why (`fleet.bad_signature`, `fleet.untrusted_key`, `profile.invalid`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedRelease {
    pub release_id: String,
    pub version: u64,
    pub code: String,
    pub message: String,
}

/// One configured device's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceReport {
    /// The profile's device class, e.g. `ticket_printer`.
    pub class: String,
    /// `ok`, `degraded`, `offline`, `paper_low`, `paper_out` or `unknown`.
    pub status: String,
    pub detail: Option<String>,
}

/// An error the terminal met recently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReport {
    pub at_ms: i64,
    pub code: String,
    pub message: String,
}

/// Terminal → server, every `fleet.heartbeat_secs` and at once after a profile was applied or refused. Holds
/// no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heartbeat {
    pub mode: String,
    pub label: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub software_version: String,
    pub applied: Option<AppliedRelease>,
    pub refused: Option<RefusedRelease>,
    /// When the terminal last completed a sync pass (Unix ms).
    pub last_sync_ms: Option<i64>,
    #[serde(default)]
    pub devices: Vec<DeviceReport>,
    /// `ok`, `low`, `out` or `unknown` (the ticket printer's paper).
    pub paper: String,
    pub disk_free_mb: u64,
    pub disk_total_mb: u64,
    #[serde(default)]
    pub recent_errors: Vec<ErrorReport>,
}

/// One terminal in the admin's fleet view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetTerminal {
    pub id: String,
    pub hall_id: String,
    /// Revoked terminals stay listed, flagged.
    pub revoked: bool,
    /// When the server last heard a heartbeat (Unix ms); `None`: never.
    pub last_seen_ms: Option<i64>,
    pub heartbeat: Option<Heartbeat>,
}

/// Every enrolled terminal with its last heartbeat, and the server's clock for judging "offline".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetOverview {
    pub now_ms: i64,
    pub terminals: Vec<FleetTerminal>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_without_hall_or_tags_holds_every_terminal_of_its_mode() {
        let group = TerminalGroup {
            hall_id: None,
            mode: "queue-ticket".into(),
            tags: vec![],
        };
        assert!(group.contains("a", "queue-ticket", &[]));
        assert!(!group.contains("a", "window", &[]));
        let tagged = TerminalGroup {
            hall_id: Some("a".into()),
            mode: "queue-ticket".into(),
            tags: vec!["floor-1".into()],
        };
        assert!(tagged.contains("a", "queue-ticket", &["floor-1".into(), "x".into()]));
        assert!(!tagged.contains("b", "queue-ticket", &["floor-1".into()]));
        assert!(!tagged.contains("a", "queue-ticket", &[]));
    }

    #[test]
    fn the_signing_string_covers_group_version_and_profile() {
        let group = TerminalGroup {
            hall_id: None,
            mode: "window".into(),
            tags: vec!["a".into(), "b".into()],
        };
        assert_eq!(
            signing_string("r1", 3, &group, "mode = \"window\"\n"),
            "BANSHI-PROFILE-V1\nr1\n3\n*\nwindow\na,b\n\nmode = \"window\"\n"
        );
    }
}
