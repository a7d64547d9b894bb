//! The general journal: one balanced double-entry posting per financial event, in the
//! event's currency, and its export as CSV in the layout QuickBooks Online imports
//! (Settings → Import data → Journal entries).

use ascent_core::money::Money;
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
    pub reimbursements_payable: String,
    pub bank: String,
    /// Expense category → account; unknown categories post to `other_expense`.
    pub expense_accounts: BTreeMap<String, String>,
    pub other_expense: String,
}

impl ChartOfAccounts {
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

fn decimal(minor: i64) -> String {
    if minor == 0 {
        return String::new();
    }
    format!("{}.{:02}", minor / 100, minor % 100)
}

fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The QuickBooks Online journal-entry import layout: one row per line, rows of an entry
/// share its Journal No; dates as MM/DD/YYYY; empty debit or credit cells.
pub fn quickbooks_csv(entries: &[JournalEntry]) -> String {
    let mut out = String::from(
        "Journal No,Journal Date,Currency Code,Account Name,Debits,Credits,Description,Name\n",
    );
    for e in entries {
        for l in &e.lines {
            let row = [
                e.entry_no.clone(),
                e.date.format("%m/%d/%Y").to_string(),
                e.currency.clone(),
                l.account.clone(),
                decimal(l.debit_minor),
                decimal(l.credit_minor),
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
        let csv = quickbooks_csv(&[e]);
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(
            rows[0],
            "Journal No,Journal Date,Currency Code,Account Name,Debits,Credits,Description,Name"
        );
        assert_eq!(
            rows[1],
            "2026-03-0001,03/05/2026,USD,Undeposited Funds,1234.50,,Payment P1 on inv-D1,\"Boreal Aero, Inc.\""
        );
        assert_eq!(
            rows[2],
            "2026-03-0001,03/05/2026,USD,Accounts Receivable (A/R),,1234.50,Payment P1 on inv-D1,\"Boreal Aero, Inc.\""
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
