//! The month's running totals and the close report: what a month summary holds, the
//! close report's shape, the deferred-revenue roll-forward and the CFO's email text.

use super::*;

/// Running totals of a month (`period#<YYYY-MM>` / `summary`), updated with each posting.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PeriodSummary {
    pub period: String,
    /// Per currency, minor units.
    pub revenue_invoiced: BTreeMap<String, i64>,
    /// Revenue earned: point-in-time lines when invoiced, and deferred revenue released.
    #[serde(default)]
    pub revenue_recognised: BTreeMap<String, i64>,
    /// Invoiced revenue deferred (ratable and on-delivery lines).
    #[serde(default)]
    pub deferred_billed: BTreeMap<String, i64>,
    /// Deferred revenue released (earned this month).
    #[serde(default)]
    pub deferred_released: BTreeMap<String, i64>,
    /// Deferred revenue reversed by credit notes.
    #[serde(default)]
    pub deferred_credited: BTreeMap<String, i64>,
    pub tax_invoiced: BTreeMap<String, i64>,
    pub collected: BTreeMap<String, i64>,
    pub refunded: BTreeMap<String, i64>,
    pub credited: BTreeMap<String, i64>,
    /// Net change of receivables.
    pub ar_movement: BTreeMap<String, i64>,
    /// Base currency, minor units.
    pub expenses_by_category: BTreeMap<String, i64>,
    pub expenses_by_department: BTreeMap<String, i64>,
    /// Budget alerts already raised (`sales@90`, `sales@100`).
    pub alerts: Vec<String>,
    pub controls_checked: u32,
    pub controls_failed: u32,
    pub entries: u32,
    pub journal_lines: u32,
    pub closed: bool,
    pub version: u64,
}

/// Budget against actual for one department.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BudgetLine {
    pub department: String,
    pub budget: Money,
    pub actual: Money,
    /// actual − budget (positive = over).
    pub variance: Money,
    /// actual / budget in percent, one decimal; `None` without a budget.
    pub used_pct: Option<f64>,
}

/// The monthly close report (`close-report#<YYYY-MM>` / `report`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CloseReport {
    pub period: String,
    pub closed_on: NaiveDate,
    pub revenue_invoiced: Vec<Money>,
    /// Revenue earned in the month (ASC 606 / IFRS 15), per currency.
    #[serde(default)]
    pub revenue_recognised: Vec<Money>,
    /// The deferred-revenue roll-forward: opening + billed − released − credited = closing.
    #[serde(default)]
    pub deferred: DeferredRollForward,
    pub tax_invoiced: Vec<Money>,
    /// Payments less refunds.
    pub collected: Vec<Money>,
    pub credited: Vec<Money>,
    /// Outstanding receivables at month end (previous close + this month's movement).
    pub receivables: Vec<Money>,
    /// Billing's AR ageing snapshot as of the first day after the month, when there is one.
    pub ar_ageing: Option<ArAgeing>,
    pub expenses_by_category: BTreeMap<String, Money>,
    pub expenses_total: Money,
    pub budget_vs_actual: Vec<BudgetLine>,
    pub controls_checked: u32,
    pub controls_failed: u32,
    pub control_failures: Vec<String>,
    pub journal_lines: u32,
    /// The month's journal in the QuickBooks Online import layout.
    pub journal_csv: String,
}

/// The deferred-revenue balance of a month, per currency, and how it moved.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DeferredRollForward {
    pub opening: Vec<Money>,
    pub billed: Vec<Money>,
    pub released: Vec<Money>,
    pub credited: Vec<Money>,
    pub closing: Vec<Money>,
}

fn list(ms: &[Money]) -> String {
    if ms.is_empty() {
        "none".into()
    } else {
        ms.iter()
            .map(|m| m.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The close report as the text of the CFO's email.
pub fn render(r: &CloseReport) -> String {
    let mut out = format!("Close report {} (closed {})\n\n", r.period, r.closed_on);
    out.push_str(&format!(
        "Revenue invoiced: {}\n",
        list(&r.revenue_invoiced)
    ));
    out.push_str(&format!("Tax invoiced:     {}\n", list(&r.tax_invoiced)));
    out.push_str(&format!("Collected (net):  {}\n", list(&r.collected)));
    out.push_str(&format!("Credit notes:     {}\n", list(&r.credited)));
    out.push_str(&format!("Receivables:      {}\n\n", list(&r.receivables)));
    out.push_str(&format!("Expenses: {}\n", r.expenses_total));
    for (c, m) in &r.expenses_by_category {
        out.push_str(&format!("  {c}: {m}\n"));
    }
    out.push_str("\nBudget vs actual:\n");
    for b in &r.budget_vs_actual {
        out.push_str(&format!(
            "  {}: {} of {} ({}), variance {}\n",
            b.department,
            b.actual,
            b.budget,
            b.used_pct.map_or("no budget".into(), |p| format!("{p}%")),
            b.variance
        ));
    }
    out.push_str(&format!(
        "\nSOX controls: {} checked, {} failed\n",
        r.controls_checked, r.controls_failed
    ));
    for f in &r.control_failures {
        out.push_str(&format!("  FAILED {f}\n"));
    }
    out.push_str(&format!(
        "\nJournal: {} lines, QuickBooks CSV attached to the report record close-report#{}\n",
        r.journal_lines, r.period
    ));
    out
}
