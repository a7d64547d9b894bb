//! The general journal: one balanced double-entry posting per financial event, in the
//! event's currency, and its export as CSV in the layout QuickBooks Online imports
//! (Settings → Import data → Journal entries).

use ascent_core::money::{FxRates, Money};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Account names of the chart of accounts (QuickBooks' default names where one exists).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartOfAccounts {
    pub receivables: String,
    pub revenue: String,
    pub sales_tax: String,
    pub cash: String,
    pub returns: String,
    /// The liability an overpayment is kept in as customer credit.
    pub customer_credits: String,
    /// The liability invoiced revenue waits in until it is earned (ASC 606 contract liability).
    pub deferred_revenue: String,
    pub reimbursements_payable: String,
    pub bank: String,
    /// Expense category → account; unknown categories post to `other_expense`.
    pub expense_accounts: BTreeMap<String, String>,
    pub other_expense: String,
}

impl ChartOfAccounts {
    /// Every account name of the chart (an account named twice comes twice).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        [
            &self.receivables,
            &self.revenue,
            &self.sales_tax,
            &self.cash,
            &self.returns,
            &self.customer_credits,
            &self.deferred_revenue,
            &self.reimbursements_payable,
            &self.bank,
            &self.other_expense,
        ]
        .into_iter()
        .chain(self.expense_accounts.values())
        .map(String::as_str)
    }

    pub fn expense_account(&self, category: &str) -> &str {
        self.expense_accounts
            .get(category)
            .map_or(&self.other_expense, |a| a)
    }
}

/// One line of an entry: a debit or a credit to an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalLine {
    pub account: String,
    pub debit_minor: i64,
    pub credit_minor: i64,
    /// Customer or employee the line concerns.
    pub name: String,
}

/// A balanced journal entry (`journal#<YYYY-MM>` / `<date>#<entry no>`, financial domain).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// `YYYY-MM-NNNN`, unique, at most 21 characters (QuickBooks' limit).
    pub entry_no: String,
    pub date: NaiveDate,
    pub currency: String,
    pub memo: String,
    /// What it records (`invoice inv-D1`), for tracing back.
    pub source: String,
    pub lines: Vec<JournalLine>,
}

impl JournalEntry {
    /// A two-line entry: debit one account, credit another, same amount.
    pub fn simple(
        date: NaiveDate,
        amount: &Money,
        debit: &str,
        credit: &str,
        name: &str,
        memo: String,
        source: String,
    ) -> Self {
        Self {
            entry_no: String::new(),
            date,
            currency: amount.currency.clone(),
            memo,
            source,
            lines: vec![
                JournalLine {
                    account: debit.into(),
                    debit_minor: amount.amount_minor,
                    credit_minor: 0,
                    name: name.into(),
                },
                JournalLine {
                    account: credit.into(),
                    debit_minor: 0,
                    credit_minor: amount.amount_minor,
                    name: name.into(),
                },
            ],
        }
    }

    /// Debits equal credits.
    pub fn is_balanced(&self) -> bool {
        let d: i64 = self.lines.iter().map(|l| l.debit_minor).sum();
        let c: i64 = self.lines.iter().map(|l| l.credit_minor).sum();
        d == c && d > 0
    }

    /// Net debit to an account (debits − credits).
    pub fn net(&self, account: &str) -> i64 {
        self.lines
            .iter()
            .filter(|l| l.account == account)
            .map(|l| l.debit_minor - l.credit_minor)
            .sum()
    }
}

/// A debit or credit cell: the amount with its currency's ISO 4217 decimals, empty for 0.
fn cell(minor: i64, currency: &str) -> String {
    if minor == 0 {
        return String::new();
    }
    Money::new(minor, currency).to_decimal_string()
}

/// The Exchange Rate cell: home (base) currency per one unit of the entry's currency on the
/// entry's date, as QuickBooks Online's multicurrency import expects; empty for the base
/// currency (and for a date without a rate, which QuickBooks then fills with its own).
fn exchange_rate(fx: &FxRates, currency: &str, on: NaiveDate) -> String {
    if currency == fx.base {
        return String::new();
    }
    match fx.rate_on(currency, on) {
        Ok(ppm) => {
            let text = format!("{}.{:06}", ppm / 1_000_000, ppm % 1_000_000);
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        }
        Err(_) => String::new(),
    }
}

fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The QuickBooks Online journal-entry import layout: one row per line, rows of an entry
/// share its Journal No; dates as MM/DD/YYYY; empty debit or credit cells; amounts with the
/// currency's decimals (ISO 4217: `1000000` yen, `1234.50` dollars, `1.234` dinars); and for
/// a foreign-currency entry its Currency Code and the Exchange Rate of its date (home currency
/// per unit, from `[currency]`).
pub fn quickbooks_csv(entries: &[JournalEntry], fx: &FxRates) -> String {
    let mut out = String::from(
        "Journal No,Journal Date,Currency Code,Exchange Rate,Account Name,Debits,Credits,Description,Name\n",
    );
    for e in entries {
        let rate = exchange_rate(fx, &e.currency, e.date);
        for l in &e.lines {
            let row = [
                e.entry_no.clone(),
                e.date.format("%m/%d/%Y").to_string(),
                e.currency.clone(),
                rate.clone(),
                l.account.clone(),
                cell(l.debit_minor, &e.currency),
                cell(l.credit_minor, &e.currency),
                e.memo.clone(),
                l.name.clone(),
            ];
            out.push_str(&row.iter().map(|f| field(f)).collect::<Vec<_>>().join(","));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_balance_and_export_in_quickbooks_layout() {
        let coa = crate::FinanceConfig::default().chart;
        let mut e = JournalEntry::simple(
            "2026-03-05".parse().unwrap(),
            &Money::usd(123_450),
            &coa.cash,
            &coa.receivables,
            "Boreal Aero, Inc.",
            "Payment P1 on inv-D1".into(),
            "payment P1".into(),
        );
        e.entry_no = "2026-03-0001".into();
        assert!(e.is_balanced());
        assert_eq!(e.net(&coa.receivables), -123_450);
        let csv = quickbooks_csv(&[e], &crate::FinanceConfig::default().fx);
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(
            rows[0],
            "Journal No,Journal Date,Currency Code,Exchange Rate,Account Name,Debits,Credits,Description,Name"
        );
        assert_eq!(
            rows[1],
            "2026-03-0001,03/05/2026,USD,,Undeposited Funds,1234.50,,Payment P1 on inv-D1,\"Boreal Aero, Inc.\""
        );
        assert_eq!(
            rows[2],
            "2026-03-0001,03/05/2026,USD,,Accounts Receivable (A/R),,1234.50,Payment P1 on inv-D1,\"Boreal Aero, Inc.\""
        );
    }

    /// Issue 22: decimals were hard-coded (a yen entry of ¥1,000,000 exported as 10000.00)
    /// and foreign-currency lines had no exchange rate.
    #[test]
    fn foreign_entries_export_with_their_decimals_and_the_rate_of_their_date() {
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        let rates = |jpy: i64, eur: i64| -> BTreeMap<String, i64> {
            [
                ("USD".to_string(), 1_000_000),
                ("JPY".to_string(), jpy),
                ("EUR".to_string(), eur),
            ]
            .into()
        };
        let fx = FxRates {
            base: "USD".into(),
            ppm: rates(6_700, 1_080_000),
            dated: vec![(day("2026-01-01"), rates(6_500, 1_050_000))],
            from: Some(day("2026-04-01")),
        };
        let entry = |date: &str, amount: Money| {
            let mut e = JournalEntry::simple(
                day(date),
                &amount,
                "Accounts Receivable (A/R)",
                "Sales",
                "A1",
                "Invoice".into(),
                "invoice".into(),
            );
            e.entry_no = "2026-03-0001".into();
            e
        };
        let csv = quickbooks_csv(
            &[
                entry("2026-03-31", Money::new(1_000_000, "JPY")),
                entry("2026-04-01", Money::new(123_450, "EUR")),
                entry("2026-04-01", Money::new(1_234, "KWD")),
            ],
            &fx,
        );
        let rows: Vec<&str> = csv.lines().collect();
        // ¥1,000,000 in whole yen at March's 0.0065 (the January table), not 10000.00.
        assert_eq!(
            rows[1],
            "2026-03-0001,03/31/2026,JPY,0.0065,Accounts Receivable (A/R),1000000,,Invoice,A1"
        );
        // EUR 1,234.50 at April's 1.08.
        assert_eq!(
            rows[3],
            "2026-03-0001,04/01/2026,EUR,1.08,Accounts Receivable (A/R),1234.50,,Invoice,A1"
        );
        // Three decimals for the dinar; no rate known: left for QuickBooks to fill.
        assert_eq!(
            rows[5],
            "2026-03-0001,04/01/2026,KWD,,Accounts Receivable (A/R),1.234,,Invoice,A1"
        );
    }

    #[test]
    fn unbalanced_or_empty_entries_are_detected() {
        let mut e = JournalEntry::simple(
            "2026-03-05".parse().unwrap(),
            &Money::usd(100),
            "A",
            "B",
            "",
            String::new(),
            String::new(),
        );
        e.lines[0].debit_minor = 99;
        assert!(!e.is_balanced());
        let z = JournalEntry::simple(
            "2026-03-05".parse().unwrap(),
            &Money::usd(0),
            "A",
            "B",
            "",
            String::new(),
            String::new(),
        );
        assert!(!z.is_balanced());
    }
}
