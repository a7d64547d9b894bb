//! Budgets: a warning then over budget, once each; expenses valued in the base currency.

use super::*;

#[test]
fn budget_warning_then_over_budget_once_each() {
    let t = twin();
    let src = "ascent.agent.expense-management";
    t.emit(src, expense("E1", "sales", 50_000, "2026-03-02"));
    assert!(t.emitted("ThresholdCrossed").is_empty());
    t.emit(src, expense("E2", "sales", 45_000, "2026-03-03")); // 95%
    t.emit(src, expense("E3", "sales", 10_000, "2026-03-04")); // 105%
    t.emit(src, expense("E4", "sales", 10_000, "2026-03-05")); // still over: no new alert
    let alerts: Vec<ThresholdCrossed> = t
        .emitted("ThresholdCrossed")
        .iter()
        .map(|e| match e.payload() {
            Payload::ThresholdCrossed(x) => x.clone(),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(alerts.len(), 2);
    assert_eq!(alerts[0].metric, "budget.sales.2026-03.used_pct");
    assert_eq!((alerts[0].threshold, alerts[0].value), (90.0, 95.0));
    assert_eq!((alerts[1].threshold, alerts[1].value), (100.0, 105.0));
    close(&t, "2026-04-03");
    let Payload::MonthClosed(m) = t.emitted("MonthClosed")[0].payload().clone() else {
        unreachable!()
    };
    assert_eq!(m.departments_over_budget, ["sales"]);
    assert_eq!(m.expenses, Money::usd(115_000));
}

#[test]
fn an_expense_not_valued_in_the_base_currency_is_refused() {
    let t = twin();
    let mut x = expense("E1", "sales", 1_000, "2026-03-02");
    x.amount_base = Money::new(1_000, "EUR");
    t.emit("ascent.agent.expense-management", x);
    let dead = t.runtime.dead_letters().unwrap();
    assert_eq!(dead.len(), 1);
    assert!(
        dead[0].reason.contains("budgets are kept in USD"),
        "{}",
        dead[0].reason
    );
}
