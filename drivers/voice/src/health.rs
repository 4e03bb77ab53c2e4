//! Health as the terminal reports it: a status from the device layer's vocabulary plus a detail line.
//!
//! Voice only ever needs three of the device statuses (`ok`, `degraded`, `offline`), so it has its own
//! small enum with the same snake_case names; the integrator maps it onto `banshi_devices::DeviceStatus`.

/// Status of the voice device, named as `banshi_devices::DeviceStatus` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum VoiceStatus {
    /// Clips complete and an output that can play them.
    Ok,
    /// Calls still sound, but a clip set failed to load (its language falls back to zh-CN).
    Degraded,
    /// Nothing can be heard: no audio output, or no usable clip set at all.
    Offline,
}

impl VoiceStatus {
    /// `ok` / `degraded` / `offline`, as in the device API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Degraded => "degraded",
            Self::Offline => "offline",
        }
    }
}

/// A status with the human detail that explains it (`None` when all is well).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    pub status: VoiceStatus,
    pub detail: Option<String>,
}

impl Health {
    pub fn ok() -> Self {
        Self {
            status: VoiceStatus::Ok,
            detail: None,
        }
    }

    pub fn degraded(detail: impl Into<String>) -> Self {
        Self {
            status: VoiceStatus::Degraded,
            detail: Some(detail.into()),
        }
    }

    pub fn offline(detail: impl Into<String>) -> Self {
        Self {
            status: VoiceStatus::Offline,
            detail: Some(detail.into()),
        }
    }

    /// The worse of two healths (offline beats degraded beats ok); details of equal status are joined.
    pub fn worst(self, other: Health) -> Health {
        match self.status.cmp(&other.status) {
            std::cmp::Ordering::Less => other,
            std::cmp::Ordering::Greater => self,
            std::cmp::Ordering::Equal => Health {
                status: self.status,
                detail: match (self.detail, other.detail) {
                    (Some(a), Some(b)) => Some(format!("{a}; {b}")),
                    (a, b) => a.or(b),
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_keeps_the_more_serious_status_and_its_detail() {
        let h = Health::ok().worst(Health::degraded("ug clips missing"));
        assert_eq!(h, Health::degraded("ug clips missing"));
        let h = Health::offline("no player").worst(Health::degraded("ug"));
        assert_eq!(h, Health::offline("no player"));
        let h = Health::degraded("a").worst(Health::degraded("b"));
        assert_eq!(h.detail.as_deref(), Some("a; b"));
    }
}
