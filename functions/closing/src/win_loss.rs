//! Win/loss analysis: objections a rep logs are kept on the deal; a won or lost deal's
//! outcome is recorded with its reason (normalised to `[closing] outcome_reasons`) and the
//! objections raised, and tallied per quarter of the close.

use crate::Closing;
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::ObjectionLogged;
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Query, SortKey};
use ascent_core::records::deal_pk;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a deal ended (`deal#<id>` / `outcome`, customer domain).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DealOutcome {
    pub deal_id: String,
    pub won: bool,
    /// Normalised category.
    pub reason: String,
    /// As the rep wrote it.
    pub reason_text: Option<String>,
    /// Objection categories raised during the deal.
    pub objections: Vec<String>,
}

/// Win/loss tallies of a quarter (`win-loss#<YYYY-Qn>` / `tally`, performance domain).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WinLossTally {
    pub won: BTreeMap<String, u32>,
    pub lost: BTreeMap<String, u32>,
    /// Objection categories seen in lost deals.
    pub objections_in_lost: BTreeMap<String, u32>,
    pub objections_in_won: BTreeMap<String, u32>,
    pub version: u64,
}

/// `YYYY-Qn` of `day`.
pub fn quarter_of(day: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}-Q{}", day.year(), (day.month() - 1) / 3 + 1)
}

impl Closing {
    pub(crate) fn on_objection(
        &self,
        ctx: &mut Ctx<'_>,
        o: &ObjectionLogged,
    ) -> Result<(), AgentError> {
        ctx.put_record(
            Domain::Customer,
            &deal_pk(&o.deal_id),
            &format!("objection#{}", o.objection_id),
            o,
            None,
            Condition::Always,
        )
    }

    fn normalise(&self, reason: Option<&str>) -> String {
        let Some(r) = reason else {
            return "unstated".into();
        };
        let key = r.trim().to_lowercase().replace([' ', '-'], "_");
        self.config
            .outcome_reasons
            .iter()
            .find(|c| {
                key == **c || key.starts_with(&format!("{c}_")) || key.starts_with(&format!("{c}:"))
            })
            .cloned()
            .unwrap_or_else(|| "other".into())
    }

    pub(crate) async fn on_outcome(
        &self,
        ctx: &mut Ctx<'_>,
        deal_id: &str,
        won: bool,
        reason: Option<&str>,
    ) -> Result<(), AgentError> {
        let pk = deal_pk(deal_id);
        if ctx.get(Domain::Customer, &pk, "outcome").await?.is_some() {
            return Ok(());
        }
        let mut objections: Vec<String> = ctx
            .query(
                Domain::Customer,
                &Query::table(&pk).sort(SortKey::BeginsWith("objection#".into())),
            )
            .await?
            .iter()
            .map(|i| i.parse::<ObjectionLogged>().map(|o| o.category))
            .collect::<Result<_, _>>()?;
        objections.sort();
        objections.dedup();
        let outcome = DealOutcome {
            deal_id: deal_id.into(),
            won,
            reason: self.normalise(reason),
            reason_text: reason.map(str::to_string),
            objections: objections.clone(),
        };
        ctx.put_record(
            Domain::Customer,
            &pk,
            "outcome",
            &outcome,
            None,
            Condition::NotExists,
        )?;
        // The quarter the deal was closed in, not the one it is processed in.
        let qpk = format!("win-loss#{}", quarter_of(ctx.cause().time.date_naive()));
        let mut tally: WinLossTally = ctx
            .get_as(Domain::Performance, &qpk, "tally")
            .await?
            .unwrap_or_default();
        let condition = if tally.version == 0 {
            Condition::NotExists
        } else {
            Condition::version(Some(tally.version))
        };
        let (reasons, seen) = if won {
            (&mut tally.won, &mut tally.objections_in_won)
        } else {
            (&mut tally.lost, &mut tally.objections_in_lost)
        };
        *reasons.entry(outcome.reason.clone()).or_default() += 1;
        for o in objections {
            *seen.entry(o).or_default() += 1;
        }
        tally.version += 1;
        ctx.put_record(Domain::Performance, &qpk, "tally", &tally, None, condition)
    }
}
