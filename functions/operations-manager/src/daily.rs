//! The daily run (schedule `daily`) for the company's day before the run's date: each KPI
//! checked against its bounds (a crossing raised once as `ThresholdCrossed` and mailed to
//! operations), then the operations report gathered, kept (`ops-manager#report#<day>`) and
//! mailed. A day is reported once. Bounded: four KPI states, four figures, one page of at most
//! [`CAPACITY_PAGE`] agents.

use crate::clocks::{CAPACITY_PK, GAUGES_PK, KeptRecommendation, day_pk};
use crate::kpi::{self, DayCounts, Gauges, Kpi, Standing};
use crate::report::{CapacityLine, KpiLine, OperationsReport, SlaLine};
use crate::sla::{DayFigures, Process};
use crate::{OperationsManager, PREFIX};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{Direction, ThresholdCrossed};
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Mail, Query};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Agents listed in the report's capacity section at most (the ecosystem has 24).
pub const CAPACITY_PAGE: usize = 40;
const KPI_PK: &str = "ops-manager#kpi";

/// Where a KPI stood at the last daily run.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct KpiState {
    standing: Standing,
    value: Option<f64>,
    day: Option<NaiveDate>,
    version: u32,
}

pub fn report_pk(day: NaiveDate) -> String {
    format!("{PREFIX}report#{day}")
}

impl OperationsManager {
    pub(crate) async fn daily(
        &self,
        ctx: &mut Ctx<'_>,
        at: DateTime<Utc>,
    ) -> Result<(), AgentError> {
        // The company's day before the run's (as Reporting's): whole days only.
        let day = self.day_of(at) - Duration::days(1);
        if ctx
            .get(Domain::Performance, &report_pk(day), "report")
            .await?
            .is_some()
        {
            return Ok(());
        }
        let kpis = self.check_kpis(ctx, day).await?;
        let mut sla = Vec::new();
        for p in Process::ALL {
            let f: DayFigures = ctx
                .get_as(
                    Domain::Performance,
                    &day_pk(day),
                    &format!("sla#{}", p.as_str()),
                )
                .await?
                .unwrap_or_default();
            sla.push(SlaLine::of(p, self.config.sla.of(p).target_minutes, &f));
        }
        let kept: Vec<KeptRecommendation> = ctx
            .query_as(
                Domain::Performance,
                &Query::table(CAPACITY_PK).limit(CAPACITY_PAGE),
            )
            .await?;
        let applied = &self.config.capacity.maximum_concurrency;
        let capacity = kept
            .into_iter()
            .map(|k| {
                let r = k.recommendation;
                CapacityLine {
                    applied: applied.get(&r.agent).copied(),
                    agent: r.agent,
                    recommended: r.recommended,
                    busy_workers: r.busy_workers,
                    depth: r.depth,
                }
            })
            .collect();
        let report = OperationsReport {
            day,
            sla,
            kpis,
            capacity,
        };
        ctx.send_mail(Mail {
            to: self.config.operations_email.clone(),
            subject: report.subject(),
            text: report.text(),
            ..Default::default()
        })?;
        ctx.put_record(
            Domain::Performance,
            &report_pk(day),
            "report",
            &report,
            None,
            Condition::version::<u32>(None),
        )
    }

    /// Each KPI of `day` against its bounds; a crossing raised and mailed once.
    async fn check_kpis(
        &self,
        ctx: &mut Ctx<'_>,
        day: NaiveDate,
    ) -> Result<Vec<KpiLine>, AgentError> {
        let counts: DayCounts = ctx
            .get_as(Domain::Performance, &day_pk(day), "counts")
            .await?
            .unwrap_or_default();
        let gauges: Gauges = ctx
            .get_as(Domain::Performance, GAUGES_PK, "now")
            .await?
            .unwrap_or_default();
        let mut lines = Vec::new();
        for (k, value) in kpi::values(&counts, &gauges) {
            let bounds = k.bounds(&self.config.kpis);
            let state: KpiState = ctx
                .get_as(Domain::Performance, KPI_PK, k.as_str())
                .await?
                .unwrap_or_default();
            // No value (no deal closed): where it stood still holds.
            let standing = value.map_or(state.standing, |v| kpi::standing(v, bounds));
            if let (Some(v), Some((direction, threshold))) =
                (value, kpi::crossing(state.standing, standing, bounds))
            {
                self.raise_kpi(ctx, k, v, threshold, direction, day)?;
            }
            if standing != state.standing || value.is_some() {
                let previous = (state.version > 0).then_some(state.version);
                let next = KpiState {
                    standing,
                    value,
                    day: Some(day),
                    version: state.version + 1,
                };
                ctx.put_record(
                    Domain::Performance,
                    KPI_PK,
                    k.as_str(),
                    &next,
                    None,
                    Condition::version(previous),
                )?;
            }
            lines.push(KpiLine {
                kpi: k,
                value,
                standing,
                bounds,
            });
        }
        Ok(lines)
    }

    fn raise_kpi(
        &self,
        ctx: &mut Ctx<'_>,
        k: Kpi,
        value: f64,
        threshold: f64,
        direction: Direction,
        day: NaiveDate,
    ) -> Result<(), AgentError> {
        let side = match direction {
            Direction::Above => "above its maximum",
            Direction::Below => "below its minimum",
        };
        ctx.emit(ThresholdCrossed {
            metric: format!("kpi.{}", k.as_str()),
            value,
            threshold,
            direction,
        })?;
        ctx.send_mail(Mail {
            to: self.config.operations_email.clone(),
            subject: format!("KPI {} is {side}: {value} on {day}", k.as_str()),
            text: format!(
                "{} was {value} on {day}, {side} of {threshold}.\nYou hear of it once, until it is back within bounds.\n",
                k.as_str()
            ),
            ..Default::default()
        })
    }
}
