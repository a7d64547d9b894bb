//! The campaign lifecycle, pure: planned → live ⇄ paused → ended, each transition checked.
//!
//! | from \ to | planned | live | paused | ended |
//! | --- | --- | --- | --- | --- |
//! | (none) | `CampaignPlanned` | `CampaignLaunched` (no goal) | — | — |
//! | planned | replanned | `CampaignLaunched` | — | `CampaignEnded` |
//! | live | — | (again: nothing) | `CampaignPaused` | `CampaignEnded` |
//! | paused | — | `CampaignResumed` | (again: nothing) | `CampaignEnded` |
//! | ended | — | — | — | (again: nothing) |
//!
//! A repeat of the state a campaign is in changes nothing (a CRM resend); anything else not in
//! the table is refused with the transition named, and the event is dead-lettered.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a campaign is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Planned,
    Live,
    Paused,
    Ended,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Planned => "planned",
            Status::Live => "live",
            Status::Paused => "paused",
            Status::Ended => "ended",
        })
    }
}

/// What an input event asks of a campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Plan,
    Launch,
    Pause,
    Resume,
    End,
}

impl Action {
    /// The status the action leads to.
    pub fn target(self) -> Status {
        match self {
            Action::Plan => Status::Planned,
            Action::Launch | Action::Resume => Status::Live,
            Action::Pause => Status::Paused,
            Action::End => Status::Ended,
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Action::Plan => "planned",
            Action::Launch => "launched",
            Action::Pause => "paused",
            Action::Resume => "resumed",
            Action::End => "ended",
        }
    }
}

/// What a valid action does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// The campaign moves (or is created) to this status.
    To(Status),
    /// A replan of a planned campaign: its plan is replaced, still planned.
    Replan,
    /// It is already there: nothing to do.
    Unchanged,
}

/// A transition the lifecycle refuses.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("campaign {id} is unknown: it cannot be {verb} before it is planned or launched")]
    Unknown { id: String, verb: &'static str },
    #[error(
        "campaign {id} is ended: it cannot be {verb} (an ended campaign never goes live again)"
    )]
    Ended { id: String, verb: &'static str },
    #[error("campaign {id} is {from}: {from} → {to} is not a transition of the lifecycle ({hint})")]
    Refused {
        id: String,
        from: Status,
        to: Status,
        hint: &'static str,
    },
}

/// Checks `action` on campaign `id`, which is in `current` (`None`: unknown).
pub fn transition(
    id: &str,
    current: Option<Status>,
    action: Action,
) -> Result<Change, TransitionError> {
    use Action::*;
    use Status::*;
    let refused = |from, hint| TransitionError::Refused {
        id: id.into(),
        from,
        to: action.target(),
        hint,
    };
    match (current, action) {
        (None, Plan) => Ok(Change::To(Planned)),
        (None, Launch) => Ok(Change::To(Live)),
        (None, _) => Err(TransitionError::Unknown {
            id: id.into(),
            verb: action.verb(),
        }),
        (Some(Ended), End) => Ok(Change::Unchanged),
        (Some(Ended), _) => Err(TransitionError::Ended {
            id: id.into(),
            verb: action.verb(),
        }),
        (Some(_), End) => Ok(Change::To(Ended)),
        (Some(Planned), Plan) => Ok(Change::Replan),
        (Some(Planned), Launch) => Ok(Change::To(Live)),
        (Some(Planned), Pause) => Err(refused(Planned, "only a live campaign pauses")),
        (Some(Planned), Resume) => Err(refused(Planned, "a planned campaign is launched")),
        (Some(Live), Launch | Resume) => Ok(Change::Unchanged),
        (Some(Live), Pause) => Ok(Change::To(Paused)),
        (Some(Paused), Pause) => Ok(Change::Unchanged),
        (Some(Paused), Resume) => Ok(Change::To(Live)),
        (Some(Paused), Launch) => Err(refused(Paused, "a paused campaign is resumed")),
        (Some(from @ (Live | Paused)), Plan) => Err(refused(
            from,
            "a campaign is planned once, before it goes live",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use Status::*;

    #[test]
    fn the_lifecycle_runs_planned_live_paused_live_ended() {
        assert_eq!(transition("C1", None, Plan), Ok(Change::To(Planned)));
        assert_eq!(
            transition("C1", Some(Planned), Launch),
            Ok(Change::To(Live))
        );
        assert_eq!(transition("C1", Some(Live), Pause), Ok(Change::To(Paused)));
        assert_eq!(transition("C1", Some(Paused), Resume), Ok(Change::To(Live)));
        assert_eq!(transition("C1", Some(Live), End), Ok(Change::To(Ended)));
        // Ended straight from planned or paused too.
        assert_eq!(transition("C1", Some(Planned), End), Ok(Change::To(Ended)));
        assert_eq!(transition("C1", Some(Paused), End), Ok(Change::To(Ended)));
        // A launch of a campaign never planned creates it live.
        assert_eq!(transition("C9", None, Launch), Ok(Change::To(Live)));
    }

    #[test]
    fn repeats_change_nothing_and_a_planned_campaign_may_be_replanned() {
        assert_eq!(transition("C1", Some(Live), Launch), Ok(Change::Unchanged));
        assert_eq!(transition("C1", Some(Live), Resume), Ok(Change::Unchanged));
        assert_eq!(transition("C1", Some(Paused), Pause), Ok(Change::Unchanged));
        assert_eq!(transition("C1", Some(Ended), End), Ok(Change::Unchanged));
        assert_eq!(transition("C1", Some(Planned), Plan), Ok(Change::Replan));
    }

    #[test]
    fn an_ended_campaign_never_goes_live_again() {
        for a in [Launch, Resume, Pause, Plan] {
            let e = transition("C1", Some(Ended), a).unwrap_err();
            assert!(matches!(e, TransitionError::Ended { .. }), "{a:?}");
        }
        assert_eq!(
            transition("C1", Some(Ended), Launch)
                .unwrap_err()
                .to_string(),
            "campaign C1 is ended: it cannot be launched (an ended campaign never goes live again)"
        );
    }

    #[test]
    fn bad_transitions_are_named() {
        assert_eq!(
            transition("C1", Some(Planned), Pause)
                .unwrap_err()
                .to_string(),
            "campaign C1 is planned: planned → paused is not a transition of the lifecycle \
             (only a live campaign pauses)"
        );
        assert_eq!(
            transition("C1", Some(Paused), Launch)
                .unwrap_err()
                .to_string(),
            "campaign C1 is paused: paused → live is not a transition of the lifecycle \
             (a paused campaign is resumed)"
        );
        assert!(matches!(
            transition("C1", Some(Live), Plan),
            Err(TransitionError::Refused {
                from: Live,
                to: Planned,
                ..
            })
        ));
        assert_eq!(
            transition("C7", None, Pause).unwrap_err().to_string(),
            "campaign C7 is unknown: it cannot be paused before it is planned or launched"
        );
        assert!(transition("C7", None, End).is_err());
        assert!(transition("C7", None, Resume).is_err());
    }
}
