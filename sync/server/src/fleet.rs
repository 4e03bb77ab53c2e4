//! The fleet's config centre: signed profile releases rolled out in stages, heartbeats, the fleet view.
//!
//! The server decides *which* signed release each terminal should run; the release's content is the
//! admin's, signed with an SM2 key the terminals trust, and the server never changes or checks it (terminals
//! do, `banshi_terminal` `fleet_ops`). State lives in the storage's `fleet_items` as JSON:
//!
//! - `release/<release_id>`: a [`StoredRollout`] — the signed release, its stage and state;
//! - `heartbeat/<terminal_id>`: the terminal's last [`proto::Heartbeat`] with when it arrived;
//! - `admin/<terminal_id>`: the terminal may publish and steer rollouts (`banshi-server fleet admin add`).
//!
//! **Stages.** A rolling release reaches the first `ceil(N × stage %)` of its group's N terminals, ranked by
//! SM3 of release id and terminal id: a fixed, even spread that differs per release, and exactly 1, 4 and 20
//! terminals of a group of 20. The group is every enrolled, unrevoked terminal whose last heartbeat puts it
//! in the group. A terminal not reached runs the group's latest complete release, or its installed profile.
//!
//! **Halting.** When `halt_after_failures` terminals report in their heartbeat that they refused a rolling
//! release, it halts: no further terminal is given it; the admin rolls it back.
//!
//! **Push.** Terminals long-poll their assignment (`GET /fleet/v1/assignment?known=…&wait_ms=…`); every
//! change of a rollout is announced like a document save of the pseudo-scope [`FLEET_SCOPE`], on every node.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use banshi_sync_protocol::fleet as proto;
use banshi_sync_protocol::fleet::{
    Assignment, FleetOverview, FleetTerminal, Heartbeat, PublishRelease, RolloutInfo, RolloutState,
    SignedProfile, ROLLOUT_STAGES,
};
use serde::{Deserialize, Serialize};

use crate::app::{ApiError, AppState};
use crate::auth::AuthedTerminal;
use crate::storage::{ServerStorage, FLEET_SCOPE};

const RELEASE: &str = "release";
const HEARTBEAT: &str = "heartbeat";
const ADMIN: &str = "admin";

/// Largest profile a release may carry; profiles are a few kilobytes.
pub const MAX_PROFILE_BYTES: usize = 256 * 1024;
/// Longest an assignment long-poll is held.
pub const MAX_ASSIGNMENT_WAIT_MS: u64 = 25_000;

/// A release and its rollout, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredRollout {
    pub release: SignedProfile,
    /// Index into [`ROLLOUT_STAGES`].
    pub stage_index: usize,
    pub state: RolloutState,
    pub halt_after_failures: u32,
    pub halt_reason: Option<String>,
    pub previous_release_id: Option<String>,
    pub created_ms: i64,
}

impl StoredRollout {
    fn stage_percent(&self) -> u8 {
        ROLLOUT_STAGES[self.stage_index.min(ROLLOUT_STAGES.len() - 1)]
    }
}

/// A terminal's last heartbeat, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredHeartbeat {
    hall_id: String,
    received_ms: i64,
    heartbeat: Heartbeat,
}

/// What the rollout rules look at: every release and every terminal's last heartbeat.
#[derive(Debug, Default)]
pub struct FleetSnapshot {
    rollouts: Vec<StoredRollout>,
    /// Unrevoked terminals with a heartbeat: id → (hall, heartbeat).
    terminals: HashMap<String, (String, Heartbeat)>,
}

impl FleetSnapshot {
    async fn load(storage: &Arc<dyn ServerStorage>) -> Result<Self, ApiError> {
        let mut rollouts = Vec::new();
        for (id, body) in storage
            .fleet_list(RELEASE)
            .await
            .map_err(ApiError::storage)?
        {
            match serde_json::from_str::<StoredRollout>(&body) {
                Ok(r) => rollouts.push(r),
                Err(error) => tracing::error!(release = %id, %error, "unreadable release skipped"),
            }
        }
        rollouts.sort_by_key(|r| (r.created_ms, r.release.version));
        let revoked: std::collections::HashSet<String> = storage
            .terminals(None)
            .await
            .map_err(ApiError::storage)?
            .into_iter()
            .filter(|t| t.revoked)
            .map(|t| t.id)
            .collect();
        let mut terminals = HashMap::new();
        for (id, body) in storage
            .fleet_list(HEARTBEAT)
            .await
            .map_err(ApiError::storage)?
        {
            if revoked.contains(&id) {
                continue;
            }
            if let Ok(h) = serde_json::from_str::<StoredHeartbeat>(&body) {
                terminals.insert(id, (h.hall_id, h.heartbeat));
            }
        }
        Ok(Self {
            rollouts,
            terminals,
        })
    }

    /// The group's terminals in the release's rollout order.
    fn ranked_targets(&self, release: &SignedProfile) -> Vec<&str> {
        let mut targets: Vec<(String, &str)> = self
            .terminals
            .iter()
            .filter(|(_, (hall, h))| release.group.contains(hall, &h.mode, &h.tags))
            .map(|(id, _)| {
                let rank =
                    banshi_crypto::sm3_hex(format!("{}\n{}", release.release_id, id).as_bytes());
                (rank, id.as_str())
            })
            .collect();
        targets.sort();
        targets.into_iter().map(|(_, id)| id).collect()
    }

    /// Whether a rolling or halted release has reached `terminal_id` at its stage.
    fn reached(&self, rollout: &StoredRollout, terminal_id: &str) -> bool {
        let targets = self.ranked_targets(&rollout.release);
        let reach = (targets.len() * usize::from(rollout.stage_percent())).div_ceil(100);
        targets.iter().take(reach).any(|id| *id == terminal_id)
    }

    /// The release `terminal_id` (of `hall_id`, with its heartbeat's mode and tags) should run.
    pub fn assignment(&self, terminal_id: &str, hall_id: &str) -> Assignment {
        let Some((_, heartbeat)) = self.terminals.get(terminal_id) else {
            return Assignment { release: None };
        };
        let release = self
            .rollouts
            .iter()
            .rev()
            .filter(|r| {
                r.release
                    .group
                    .contains(hall_id, &heartbeat.mode, &heartbeat.tags)
            })
            .find(|r| match r.state {
                RolloutState::Complete => true,
                RolloutState::RolledBack => false,
                RolloutState::Rolling | RolloutState::Halted => self.reached(r, terminal_id),
            })
            .map(|r| r.release.clone());
        Assignment { release }
    }

    fn info(&self, rollout: &StoredRollout) -> RolloutInfo {
        let id = &rollout.release.release_id;
        let targets = self.ranked_targets(&rollout.release);
        let count = |f: &dyn Fn(&Heartbeat) -> bool| {
            self.terminals.values().filter(|(_, h)| f(h)).count() as u32
        };
        RolloutInfo {
            release: rollout.release.clone(),
            stage_percent: rollout.stage_percent(),
            state: rollout.state,
            halt_after_failures: rollout.halt_after_failures,
            halt_reason: rollout.halt_reason.clone(),
            previous_release_id: rollout.previous_release_id.clone(),
            created_ms: rollout.created_ms,
            target_count: targets.len() as u32,
            applied_count: count(&|h| h.applied.as_ref().is_some_and(|a| &a.release_id == id)),
            failed_count: count(&|h| h.refused.as_ref().is_some_and(|r| &r.release_id == id)),
        }
    }
}

fn bad_request(code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code, message)
}

fn conflict(code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, code, message)
}

/// Whether `terminal_id` is a fleet admin terminal (it may also publish the catalogue, see
/// [`crate::sync::SyncEngine::sync_doc`]).
pub async fn is_admin_terminal(
    storage: &dyn ServerStorage,
    terminal_id: &str,
) -> Result<bool, crate::storage::StorageError> {
    Ok(storage.fleet_get(ADMIN, terminal_id).await?.is_some())
}

async fn require_admin(state: &AppState, who: &AuthedTerminal) -> Result<(), ApiError> {
    let listed = is_admin_terminal(state.engine.storage().as_ref(), &who.id)
        .await
        .map_err(ApiError::storage)?;
    match listed {
        true => Ok(()),
        false => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "fleet.not_an_admin_terminal",
            format!(
                "terminal {} is not a fleet admin terminal (banshi-server fleet admin add)",
                who.id
            ),
        )),
    }
}

/// Let terminal `terminal_id` publish and steer rollouts (the `fleet admin add` command).
pub async fn add_admin_terminal(
    storage: &Arc<dyn ServerStorage>,
    terminal_id: &str,
) -> Result<(), crate::storage::StorageError> {
    storage.fleet_put(ADMIN, terminal_id, "{}", false).await
}

async fn save_rollout(storage: &Arc<dyn ServerStorage>, r: &StoredRollout) -> Result<(), ApiError> {
    let body = serde_json::to_string(r).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "fleet.internal",
            e.to_string(),
        )
    })?;
    storage
        .fleet_put(RELEASE, &r.release.release_id, &body, true)
        .await
        .map_err(ApiError::storage)
}

/// `POST /fleet/v1/heartbeat`: remember it, halt a rollout the terminal refused, answer its assignment.
pub async fn heartbeat(
    State(state): State<AppState>,
    Extension(who): Extension<AuthedTerminal>,
    body: Result<Json<Heartbeat>, JsonRejection>,
) -> Result<Json<Assignment>, ApiError> {
    let Json(heartbeat) = body?;
    if heartbeat.recent_errors.len() > 50 || heartbeat.devices.len() > 50 {
        return Err(bad_request(
            "fleet.bad_heartbeat",
            "a heartbeat lists at most 50 devices and 50 recent errors",
        ));
    }
    let storage = state.engine.storage();
    let stored = StoredHeartbeat {
        hall_id: who.hall_id.clone(),
        received_ms: state.clock.now_ms(),
        heartbeat: heartbeat.clone(),
    };
    let body = serde_json::to_string(&stored).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "fleet.internal",
            e.to_string(),
        )
    })?;
    storage
        .fleet_put(HEARTBEAT, &who.id, &body, false)
        .await
        .map_err(ApiError::storage)?;
    let mut snapshot = FleetSnapshot::load(storage).await?;
    if let Some(refused) = &heartbeat.refused {
        if halt_if_refused(storage, &snapshot, refused).await? {
            // The halt changes which terminals the release reaches; read it again only then.
            snapshot = FleetSnapshot::load(storage).await?;
        }
    }
    Ok(Json(snapshot.assignment(&who.id, &who.hall_id)))
}

/// Halt the refused release if it is rolling and enough terminals have now refused it; answers whether it
/// halted.
async fn halt_if_refused(
    storage: &Arc<dyn ServerStorage>,
    snapshot: &FleetSnapshot,
    refused: &proto::RefusedRelease,
) -> Result<bool, ApiError> {
    let Some(rollout) = snapshot
        .rollouts
        .iter()
        .find(|r| r.release.release_id == refused.release_id)
    else {
        return Ok(false);
    };
    let failed = snapshot.info(rollout).failed_count;
    if rollout.state != RolloutState::Rolling
        || rollout.halt_after_failures == 0
        || failed < rollout.halt_after_failures
    {
        return Ok(false);
    }
    let mut halted = rollout.clone();
    halted.state = RolloutState::Halted;
    halted.halt_reason = Some(format!(
        "{failed} terminal(s) refused version {}: {}: {}",
        refused.version, refused.code, refused.message
    ));
    tracing::warn!(release = %refused.release_id, failed, code = %refused.code, "rollout halted by terminal refusals");
    save_rollout(storage, &halted).await?;
    Ok(true)
}

#[derive(Debug, Deserialize)]
pub struct AssignmentQuery {
    #[serde(default)]
    known: String,
    #[serde(default)]
    wait_ms: Option<u64>,
}

/// `GET /fleet/v1/assignment?known=ID&wait_ms=W`: the terminal's assignment, held back while it is `known`.
pub async fn assignment(
    State(state): State<AppState>,
    Extension(who): Extension<AuthedTerminal>,
    query: Result<Query<AssignmentQuery>, QueryRejection>,
) -> Result<Json<Assignment>, ApiError> {
    let Query(q) = query?;
    let storage = state.engine.storage();
    let wait = std::time::Duration::from_millis(q.wait_ms.unwrap_or(0).min(MAX_ASSIGNMENT_WAIT_MS));
    // Wait first, read second: a change committed between the read and the wait still wakes us.
    let mut waiter = state.feed_waiters.wait_for(storage, FLEET_SCOPE);
    let mut stopping = state.stopping.subscribe();
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let current = FleetSnapshot::load(storage)
            .await?
            .assignment(&who.id, &who.hall_id);
        if current.release_id() != q.known || tokio::time::Instant::now() >= deadline {
            return Ok(Json(current));
        }
        tokio::select! {
            _ = waiter.changed() => {}
            _ = tokio::time::sleep_until(deadline) => {}
            _ = stopping.wait_for(|stopping| *stopping) => return Ok(Json(current)),
        }
    }
}

/// `GET /fleet/v1/rollouts` (admin): every rollout, newest first.
pub async fn rollouts(
    State(state): State<AppState>,
    Extension(who): Extension<AuthedTerminal>,
) -> Result<Json<Vec<RolloutInfo>>, ApiError> {
    require_admin(&state, &who).await?;
    let snapshot = FleetSnapshot::load(state.engine.storage()).await?;
    Ok(Json(
        snapshot
            .rollouts
            .iter()
            .rev()
            .map(|r| snapshot.info(r))
            .collect(),
    ))
}

fn check_release(release: &SignedProfile) -> Result<(), ApiError> {
    let id_ok = banshi_sync_protocol::valid_doc_id(&release.release_id);
    let mode_ok = !release.group.mode.is_empty() && release.group.mode.len() <= 32;
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    if !id_ok || !mode_ok {
        return Err(bad_request(
            "fleet.bad_release",
            "a release needs an id of 1 to 64 letters, digits and hyphens and a group mode",
        ));
    }
    if release.profile_toml.len() > MAX_PROFILE_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "fleet.too_large",
            format!("a profile may have at most {MAX_PROFILE_BYTES} bytes"),
        ));
    }
    if !hex(&release.signer_key, 130) || !hex(&release.signature, 128) {
        return Err(bad_request(
            "fleet.bad_release",
            "signer_key must be 130 hex characters and signature 128",
        ));
    }
    Ok(())
}

/// `POST /fleet/v1/rollouts` (admin): start rolling out a signed release at the first stage.
pub async fn publish(
    State(state): State<AppState>,
    Extension(who): Extension<AuthedTerminal>,
    body: Result<Json<PublishRelease>, JsonRejection>,
) -> Result<(StatusCode, Json<RolloutInfo>), ApiError> {
    require_admin(&state, &who).await?;
    let Json(publish) = body?;
    check_release(&publish.release)?;
    let storage = state.engine.storage();
    let snapshot = FleetSnapshot::load(storage).await?;
    let same_group = |r: &&StoredRollout| r.release.group == publish.release.group;
    if snapshot
        .rollouts
        .iter()
        .any(|r| r.release.release_id == publish.release.release_id)
    {
        return Err(conflict("fleet.release_exists", "this release id is taken"));
    }
    if let Some(busy) = snapshot
        .rollouts
        .iter()
        .filter(same_group)
        .find(|r| matches!(r.state, RolloutState::Rolling | RolloutState::Halted))
    {
        return Err(conflict(
            "fleet.rollout_in_progress",
            format!(
                "version {} of this group is still {:?}: complete or roll it back first",
                busy.release.version, busy.state
            ),
        ));
    }
    let newest = snapshot
        .rollouts
        .iter()
        .filter(same_group)
        .map(|r| r.release.version)
        .max()
        .unwrap_or(0);
    if publish.release.version <= newest {
        return Err(conflict(
            "fleet.stale_version",
            format!("this group is at version {newest}: a new release needs a higher one"),
        ));
    }
    let previous = snapshot
        .rollouts
        .iter()
        .rev()
        .filter(same_group)
        .find(|r| r.state == RolloutState::Complete)
        .map(|r| r.release.release_id.clone());
    let rollout = StoredRollout {
        release: publish.release,
        stage_index: 0,
        state: RolloutState::Rolling,
        halt_after_failures: publish.halt_after_failures,
        halt_reason: None,
        previous_release_id: previous,
        created_ms: state.clock.now_ms(),
    };
    save_rollout(storage, &rollout).await?;
    tracing::info!(release = %rollout.release.release_id, version = rollout.release.version, mode = %rollout.release.group.mode, by = %who.id, "rollout started");
    Ok((StatusCode::CREATED, Json(snapshot.info(&rollout))))
}

async fn change_rollout(
    state: &AppState,
    who: &AuthedTerminal,
    release_id: &str,
    change: impl FnOnce(&mut StoredRollout) -> Result<(), ApiError>,
) -> Result<Json<RolloutInfo>, ApiError> {
    require_admin(state, who).await?;
    let storage = state.engine.storage();
    let snapshot = FleetSnapshot::load(storage).await?;
    let mut rollout = snapshot
        .rollouts
        .iter()
        .find(|r| r.release.release_id == release_id)
        .cloned()
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "fleet.unknown_release",
                format!("no release {release_id}"),
            )
        })?;
    change(&mut rollout)?;
    save_rollout(storage, &rollout).await?;
    tracing::info!(release = %release_id, state = ?rollout.state, stage = rollout.stage_percent(), by = %who.id, "rollout changed");
    let snapshot = FleetSnapshot::load(storage).await?;
    Ok(Json(snapshot.info(&rollout)))
}

/// `POST /fleet/v1/rollouts/{id}/advance` (admin): the next stage; the last one completes the rollout.
pub async fn advance(
    State(state): State<AppState>,
    Extension(who): Extension<AuthedTerminal>,
    Path(release_id): Path<String>,
) -> Result<Json<RolloutInfo>, ApiError> {
    change_rollout(&state, &who, &release_id, |r| {
        if r.state != RolloutState::Rolling {
            return Err(conflict(
                "fleet.not_rolling",
                format!("the rollout is {:?}; only a rolling one advances", r.state),
            ));
        }
        r.stage_index = (r.stage_index + 1).min(ROLLOUT_STAGES.len() - 1);
        if r.stage_percent() == 100 {
            r.state = RolloutState::Complete;
        }
        Ok(())
    })
    .await
}

/// `POST /fleet/v1/rollouts/{id}/rollback` (admin): withdraw the release everywhere.
pub async fn rollback(
    State(state): State<AppState>,
    Extension(who): Extension<AuthedTerminal>,
    Path(release_id): Path<String>,
) -> Result<Json<RolloutInfo>, ApiError> {
    change_rollout(&state, &who, &release_id, |r| {
        if r.state == RolloutState::RolledBack {
            return Err(conflict(
                "fleet.already_rolled_back",
                "this release is already rolled back",
            ));
        }
        r.state = RolloutState::RolledBack;
        Ok(())
    })
    .await
}

/// `GET /fleet/v1/terminals` (admin): every enrolled terminal with its last heartbeat.
pub async fn terminals(
    State(state): State<AppState>,
    Extension(who): Extension<AuthedTerminal>,
) -> Result<Json<FleetOverview>, ApiError> {
    require_admin(&state, &who).await?;
    let storage = state.engine.storage();
    let mut heartbeats: HashMap<String, StoredHeartbeat> = storage
        .fleet_list(HEARTBEAT)
        .await
        .map_err(ApiError::storage)?
        .into_iter()
        .filter_map(|(id, body)| Some((id, serde_json::from_str(&body).ok()?)))
        .collect();
    let terminals = storage
        .terminals(None)
        .await
        .map_err(ApiError::storage)?
        .into_iter()
        .filter(|t| t.role == crate::storage::TerminalRole::Terminal)
        .map(|t| {
            let beat = heartbeats.remove(&t.id);
            FleetTerminal {
                last_seen_ms: beat.as_ref().map(|b| b.received_ms),
                heartbeat: beat.map(|b| b.heartbeat),
                id: t.id,
                hall_id: t.hall_id,
                revoked: t.revoked,
            }
        })
        .collect();
    Ok(Json(FleetOverview {
        now_ms: state.clock.now_ms(),
        terminals,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use banshi_sync_protocol::fleet::TerminalGroup;

    fn heartbeat(mode: &str) -> Heartbeat {
        Heartbeat {
            mode: mode.into(),
            label: "t".into(),
            tags: vec![],
            software_version: "0".into(),
            applied: None,
            refused: None,
            last_sync_ms: None,
            devices: vec![],
            paper: "unknown".into(),
            disk_free_mb: 0,
            disk_total_mb: 0,
            recent_errors: vec![],
        }
    }

    fn release(id: &str, version: u64) -> SignedProfile {
        SignedProfile {
            release_id: id.into(),
            version,
            group: TerminalGroup {
                hall_id: None,
                mode: "queue-ticket".into(),
                tags: vec![],
            },
            profile_toml: String::new(),
            signer_key: String::new(),
            signature: String::new(),
        }
    }

    fn rollout(id: &str, version: u64, stage_index: usize, state: RolloutState) -> StoredRollout {
        StoredRollout {
            release: release(id, version),
            stage_index,
            state,
            halt_after_failures: 1,
            halt_reason: None,
            previous_release_id: None,
            created_ms: version as i64,
        }
    }

    fn fleet_of_20(rollouts: Vec<StoredRollout>) -> FleetSnapshot {
        let mut terminals = HashMap::new();
        for i in 0..20 {
            let hall = if i < 10 { "a" } else { "b" };
            terminals.insert(
                format!("t{i:02}"),
                (hall.to_string(), heartbeat("queue-ticket")),
            );
        }
        terminals.insert("w".into(), ("a".into(), heartbeat("window")));
        FleetSnapshot {
            rollouts,
            terminals,
        }
    }

    fn running(snapshot: &FleetSnapshot, id: &str) -> usize {
        snapshot
            .terminals
            .iter()
            .filter(|(t, (hall, _))| snapshot.assignment(t, hall).release_id() == id)
            .count()
    }

    #[test]
    fn the_stages_reach_exactly_one_four_and_all_twenty_terminals_of_the_group() {
        for (stage, expected) in [(0, 1), (1, 4), (2, 20)] {
            let snapshot = fleet_of_20(vec![rollout("r1", 1, stage, RolloutState::Rolling)]);
            assert_eq!(running(&snapshot, "r1"), expected, "stage {stage}");
            let window = snapshot.assignment("w", "a");
            assert_eq!(window.release_id(), "", "a window is not in the group");
        }
    }

    #[test]
    fn a_later_stage_keeps_the_terminals_of_the_earlier_one() {
        let first = fleet_of_20(vec![rollout("r1", 1, 0, RolloutState::Rolling)]);
        let second = fleet_of_20(vec![rollout("r1", 1, 1, RolloutState::Rolling)]);
        for (t, (hall, _)) in &first.terminals {
            if first.assignment(t, hall).release_id() == "r1" {
                assert_eq!(second.assignment(t, hall).release_id(), "r1");
            }
        }
    }

    #[test]
    fn terminals_outside_the_stage_run_the_last_complete_release_and_a_rollback_returns_to_it() {
        let snapshot = fleet_of_20(vec![
            rollout("r1", 1, 2, RolloutState::Complete),
            rollout("r2", 2, 0, RolloutState::Rolling),
        ]);
        assert_eq!(running(&snapshot, "r2"), 1);
        assert_eq!(running(&snapshot, "r1"), 19);
        let halted = fleet_of_20(vec![
            rollout("r1", 1, 2, RolloutState::Complete),
            rollout("r2", 2, 0, RolloutState::Halted),
        ]);
        assert_eq!(
            running(&halted, "r2"),
            1,
            "a halt stops the rollout where it is"
        );
        let rolled_back = fleet_of_20(vec![
            rollout("r1", 1, 2, RolloutState::Complete),
            rollout("r2", 2, 2, RolloutState::RolledBack),
        ]);
        assert_eq!(running(&rolled_back, "r1"), 20);
        let none_left = fleet_of_20(vec![rollout("r1", 1, 2, RolloutState::RolledBack)]);
        assert_eq!(
            running(&none_left, ""),
            21,
            "back to the installed profiles"
        );
    }

    #[test]
    fn a_terminal_never_heard_from_gets_no_release() {
        let snapshot = fleet_of_20(vec![rollout("r1", 1, 2, RolloutState::Complete)]);
        assert_eq!(snapshot.assignment("unknown", "a").release_id(), "");
    }
}
