//! The daily receivables reconciliation, the handler side of [`crate::receivables`]: the
//! ledger's A/R per customer and currency is kept as a running balance by every posting
//! (`ar#<customer>` / `<currency>`, listed while not zero under `gsi1` [`AR_BALANCES`]); once a
//! day, at `[finance] receivables_check_at` (company time) on the hourly schedule, it is
//! compared with Billing's open invoices (read as the core's shared `OpenInvoice`).
//!
//! The two agents see each event independently, so a payment one has booked and the other not
//! yet is a difference for a moment (a reconciling item in transit). A difference is raised as
//! `ExceptionRaised` when the next day's run finds it again with the same figures; the run's
//! result (customers compared, every difference) is kept (`reconciliation#receivables` /
//! `<date>`) for the auditor. Writes are bounded (the result and at most
//! [`EXCEPTIONS_PER_RUN`] exceptions, one more naming how many were left out); reads page
//! through both indexes.

use crate::FinanceController;
use crate::receivables::{ReceivableDifference, reconcile_receivables};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{ExceptionRaised, ScheduleTick, Severity};
use ascent_core::context::Ctx;
use ascent_core::money::Money;
use ascent_core::ports::{Condition, Query};
use ascent_core::records::{OPEN_INVOICES, OpenInvoice};
use chrono::{NaiveDate, Timelike};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `gsi1` partition of the customers with a ledger receivable, sorted `<customer>#<currency>`.
pub const AR_BALANCES: &str = "ar#balances";
/// Exceptions one run raises; more are counted in one further exception.
pub const EXCEPTIONS_PER_RUN: usize = 10;
/// Differences kept in a run's result (the item stays far below DynamoDB's 400 KB).
pub const DIFFERENCES_KEPT: usize = 200;
const RESULT_PK: &str = "reconciliation#receivables";

/// A customer's receivable in the ledger in one currency (`ar#<customer>` / `<currency>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerReceivable {
    pub account_id: String,
    pub currency: String,
    /// Debits − credits of the customer's A/R lines.
    pub balance_minor: i64,
    pub version: u64,
}

/// One difference as kept in a run's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptDifference {
    pub account_id: String,
    pub currency: String,
    pub ledger_minor: i64,
    pub billing_minor: i64,
}

impl From<&ReceivableDifference> for KeptDifference {
    fn from(d: &ReceivableDifference) -> Self {
        Self {
            account_id: d.account_id.clone(),
            currency: d.currency.clone(),
            ledger_minor: d.ledger_minor,
            billing_minor: d.billing_minor,
        }
    }
}

/// A run's result (`reconciliation#receivables` / `<date>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconciliationResult {
    pub as_of: NaiveDate,
    /// Customer-currency pairs compared (on either side).
    pub compared: usize,
    /// Ledger A/R and Billing's outstanding per currency (control totals).
    pub ledger_totals: BTreeMap<String, i64>,
    pub billing_totals: BTreeMap<String, i64>,
    /// Every difference found (the first [`DIFFERENCES_KEPT`]).
    pub differences: Vec<KeptDifference>,
    /// How many differences there were in all.
    pub difference_count: usize,
    /// Differences also found, with the same figures, by the previous run: raised.
    pub raised: usize,
}

/// The differences to raise today: those the previous run found with the same figures (a
/// timing difference clears within a day; one that stays is an error to investigate).
pub fn persisting<'a>(
    today: &'a [ReceivableDifference],
    previous: Option<&ReconciliationResult>,
) -> Vec<&'a ReceivableDifference> {
    let Some(previous) = previous else {
        return Vec::new();
    };
    today
        .iter()
        .filter(|d| previous.differences.contains(&KeptDifference::from(*d)))
        .collect()
}

fn balance_pk(account_id: &str) -> String {
    format!("ar#{account_id}")
}

impl FinanceController {
    /// Applies the A/R movements of a posting to the customers' running balances (`deltas`:
    /// (customer, currency) → debit − credit). Each balance is written once, conditional on
    /// the version read.
    pub(crate) async fn move_receivables(
        &self,
        ctx: &mut Ctx<'_>,
        deltas: BTreeMap<(String, String), i64>,
    ) -> Result<(), AgentError> {
        for ((account_id, currency), delta) in deltas {
            if delta == 0 {
                continue;
            }
            let pk = balance_pk(&account_id);
            let current: Option<CustomerReceivable> =
                ctx.get_as(Domain::Financial, &pk, &currency).await?;
            let previous = current.as_ref().map(|c| c.version);
            let mut b = current.unwrap_or(CustomerReceivable {
                account_id: account_id.clone(),
                currency: currency.clone(),
                balance_minor: 0,
                version: 0,
            });
            b.balance_minor += delta;
            b.version += 1;
            // Listed while not zero: the run reads only customers that owe (or are owed).
            let index = (b.balance_minor != 0)
                .then(|| (AR_BALANCES.to_string(), format!("{account_id}#{currency}")));
            ctx.put_record(
                Domain::Financial,
                &pk,
                &currency,
                &b,
                index,
                Condition::version(previous),
            )?;
        }
        Ok(())
    }

    /// The hourly tick: the reconciliation runs on the tick of `receivables_check_at`.
    pub(crate) async fn on_hourly(
        &self,
        ctx: &mut Ctx<'_>,
        tick: &ScheduleTick,
    ) -> Result<(), AgentError> {
        // The journal's export to the external ledger (when the agent has one), every hour.
        self.export_run(ctx, tick.at).await?;
        let local = tick.at.with_timezone(&self.config.company.zone());
        if local.hour() != self.config.receivables_check_at.hour() {
            return Ok(());
        }
        self.reconcile(ctx, local.date_naive()).await
    }

    /// Reconciles the ledger's receivables with Billing's open invoices as of `today`.
    pub async fn reconcile(&self, ctx: &mut Ctx<'_>, today: NaiveDate) -> Result<(), AgentError> {
        if ctx
            .get(Domain::Financial, RESULT_PK, &today.to_string())
            .await?
            .is_some()
        {
            return Ok(()); // run once a day
        }
        let open: Vec<OpenInvoice> = ctx
            .query_as(Domain::Financial, &Query::gsi1(OPEN_INVOICES))
            .await?;
        let balances: Vec<CustomerReceivable> = ctx
            .query_as(Domain::Financial, &Query::gsi1(AR_BALANCES))
            .await?;
        let mut ledger_totals: BTreeMap<String, i64> = BTreeMap::new();
        let ledger: BTreeMap<(String, String), i64> = balances
            .into_iter()
            .map(|b| {
                *ledger_totals.entry(b.currency.clone()).or_default() += b.balance_minor;
                ((b.account_id, b.currency), b.balance_minor)
            })
            .collect();
        let outstanding: Vec<(String, Money)> = open
            .iter()
            .map(|i| (i.account_id.clone(), i.outstanding()))
            .collect();
        let mut billing_totals: BTreeMap<String, i64> = BTreeMap::new();
        for (_, m) in &outstanding {
            *billing_totals.entry(m.currency.clone()).or_default() += m.amount_minor;
        }
        let mut compared: Vec<(&str, &str)> = ledger
            .keys()
            .map(|(a, c)| (a.as_str(), c.as_str()))
            .chain(
                outstanding
                    .iter()
                    .map(|(a, m)| (a.as_str(), m.currency.as_str())),
            )
            .collect();
        compared.sort();
        compared.dedup();
        let diffs = reconcile_receivables(&ledger, &outstanding);
        let yesterday = today.pred_opt().expect("a day before");
        let previous: Option<ReconciliationResult> = ctx
            .get_as(Domain::Financial, RESULT_PK, &yesterday.to_string())
            .await?;
        let raise = persisting(&diffs, previous.as_ref());
        for d in raise.iter().take(EXCEPTIONS_PER_RUN) {
            ctx.emit(d.exception(crate::NAME))?;
        }
        if raise.len() > EXCEPTIONS_PER_RUN {
            ctx.emit(ExceptionRaised {
                agent: crate::NAME.into(),
                subject: format!("receivables reconciliation {today}"),
                reason: format!(
                    "{} more customers' ledger receivables differ from Billing's open invoices \
                     for two days; see reconciliation#receivables / {today}",
                    raise.len() - EXCEPTIONS_PER_RUN
                ),
                severity: Severity::High,
            })?;
        }
        let result = ReconciliationResult {
            as_of: today,
            compared: compared.len(),
            ledger_totals,
            billing_totals,
            differences: diffs
                .iter()
                .take(DIFFERENCES_KEPT)
                .map(KeptDifference::from)
                .collect(),
            difference_count: diffs.len(),
            raised: raise.len(),
        };
        ctx.put_record(
            Domain::Financial,
            RESULT_PK,
            &today.to_string(),
            &result,
            None,
            Condition::NotExists,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(account: &str, ledger: i64, billing: i64) -> ReceivableDifference {
        ReceivableDifference {
            account_id: account.into(),
            currency: "USD".into(),
            ledger_minor: ledger,
            billing_minor: billing,
        }
    }

    fn result(as_of: &str, diffs: &[ReceivableDifference]) -> ReconciliationResult {
        ReconciliationResult {
            as_of: as_of.parse().unwrap(),
            compared: 3,
            ledger_totals: BTreeMap::new(),
            billing_totals: BTreeMap::new(),
            differences: diffs.iter().map(KeptDifference::from).collect(),
            difference_count: diffs.len(),
            raised: 0,
        }
    }

    #[test]
    fn a_first_sighting_is_not_raised_a_difference_that_stays_is() {
        // Given yesterday A1 differed by 50.25 (150.25 vs 100.00) and A2 by 20.00
        let yesterday = result(
            "2026-03-09",
            &[diff("A1", 15_025, 10_000), diff("A2", 2_000, 0)],
        );
        // When today A1 still differs with the same figures, A2's payment has reached both
        // sides (gone), A2's figures moved (another amount) and A3 is new
        let today = [
            diff("A1", 15_025, 10_000),
            diff("A3", 7_000, 0),
            diff("A4", 1_000, 500),
        ];
        // Then only A1 is raised
        let raised: Vec<&str> = persisting(&today, Some(&yesterday))
            .iter()
            .map(|d| d.account_id.as_str())
            .collect();
        assert_eq!(raised, vec!["A1"]);
        // And nothing is raised on the first run
        assert!(persisting(&today, None).is_empty());
    }

    #[test]
    fn the_same_customer_with_other_figures_is_a_new_difference() {
        // Given yesterday A1: ledger 150.25, Billing 100.00; today Billing 90.00
        let yesterday = result("2026-03-09", &[diff("A1", 15_025, 10_000)]);
        let today = [diff("A1", 15_025, 9_000)];
        // Then it is not raised yet (it may be another item in transit)
        assert!(persisting(&today, Some(&yesterday)).is_empty());
    }
}
