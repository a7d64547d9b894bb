//! The QuickBooks Online adapter against the stub: the request as QuickBooks documents it,
//! rate limits and outages retried with the same `requestid`, refusals read, nothing created
//! twice; and the body's pure parts (accounts by id, exact amounts).

use super::*;
use crate::stub_quickbooks::{self, Fault, Shared};
use ascent_core::money::Money;
use chrono::NaiveDate;
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Pauses = Arc<Mutex<Vec<Duration>>>;

fn config(base_url: &str) -> QuickBooksConfig {
    QuickBooksConfig {
        base_url: base_url.into(),
        ..crate::FinanceConfig::default().quickbooks
    }
}

/// The adapter on the stub, its pauses recorded instead of slept.
fn adapter() -> (QuickBooks, Shared, Pauses) {
    let (base, qbo) = stub_quickbooks::start();
    let c = config(&base);
    let pauses: Pauses = Arc::default();
    let p = pauses.clone();
    let http = Http::bearer("eyJ-qbo-access", c.http).with_sleep(Arc::new(move |d| {
        p.lock().unwrap().push(d);
    }));
    let qb = QuickBooks::new(&c, "Accounts Receivable (A/R)", "eyJ-qbo-access").with_http(http);
    (qb, qbo, pauses)
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Invoice inv-D1 of 1,234.50 + 98.76 tax to customer A1, as Finance Controller posts it.
fn invoice_entry() -> JournalEntry {
    let line = |account: &str, debit: i64, credit: i64| crate::journal::JournalLine {
        account: account.into(),
        debit_minor: debit,
        credit_minor: credit,
        name: "A1".into(),
    };
    JournalEntry {
        entry_no: "2026-03-0001".into(),
        date: day("2026-03-02"),
        currency: "USD".into(),
        memo: "Invoice inv-D1".into(),
        source: "invoice inv-D1".into(),
        lines: vec![
            line("Accounts Receivable (A/R)", 133_326, 0),
            line("Sales", 0, 123_450),
            line("Sales Tax Payable", 0, 9_876),
        ],
    }
}

/// An approved travel claim of 412.30 paid to the employee.
fn expense_entry() -> JournalEntry {
    let mut e = JournalEntry::simple(
        day("2026-03-03"),
        &Money::usd(41_230),
        "Travel",
        "Employee Reimbursements Payable",
        "li.wei@ascent-xr.example",
        "Expense E-77 (travel)".into(),
        "expense E-77".into(),
    );
    e.entry_no = "2026-03-0002".into();
    e
}

#[test]
fn an_entry_is_created_as_a_journal_entry_with_its_request_id_token_and_exact_amounts() {
    let (qb, qbo, _) = adapter();
    let id = qb
        .export("ascent-je-2026-03-0001", &invoice_entry())
        .unwrap();
    let s = qbo.lock().unwrap();
    // A1 was not a customer yet: looked up by display name, then created.
    let paths: Vec<(&str, &str)> = s
        .requests
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    assert_eq!(
        paths,
        [
            ("GET", "/v3/company/9130357766453416/query"),
            ("POST", "/v3/company/9130357766453416/customer"),
            ("POST", "/v3/company/9130357766453416/journalentry"),
        ]
    );
    assert_eq!(
        s.requests[0].query["query"],
        "select Id from Customer where DisplayName = 'A1'"
    );
    assert_eq!(s.requests[1].body, json!({"DisplayName": "A1"}));
    let customer = s.customers.keys().next().unwrap().clone();
    let post = &s.requests[2];
    assert_eq!(post.authorization.as_deref(), Some("Bearer eyJ-qbo-access"));
    assert_eq!(post.query["requestid"], "ascent-je-2026-03-0001");
    assert_eq!(post.query["minorversion"], "75");
    assert_eq!(
        post.body,
        json!({
            "TxnDate": "2026-03-02",
            "DocNumber": "2026-03-0001",
            "PrivateNote": "Invoice inv-D1",
            "CurrencyRef": {"value": "USD"},
            "Line": [
                {"DetailType": "JournalEntryLineDetail", "Amount": 1333.26, "Description": "A1",
                 "JournalEntryLineDetail": {"PostingType": "Debit",
                    "AccountRef": {"value": "84", "name": "Accounts Receivable (A/R)"},
                    "Entity": {"Type": "Customer", "EntityRef": {"value": customer}}}},
                {"DetailType": "JournalEntryLineDetail", "Amount": 1234.5, "Description": "A1",
                 "JournalEntryLineDetail": {"PostingType": "Credit",
                    "AccountRef": {"value": "79", "name": "Sales"}}},
                {"DetailType": "JournalEntryLineDetail", "Amount": 98.76, "Description": "A1",
                 "JournalEntryLineDetail": {"PostingType": "Credit",
                    "AccountRef": {"value": "89", "name": "Sales Tax Payable"}}}
            ]
        })
    );
    assert_eq!(s.entries[&id]["DocNumber"], "2026-03-0001");
    drop(s);
    // The customer is remembered: the next entry on A1 asks nothing about it.
    let mut payment = invoice_entry();
    payment.entry_no = "2026-03-0003".into();
    payment.lines = vec![
        crate::journal::JournalLine {
            account: "Undeposited Funds".into(),
            debit_minor: 133_326,
            credit_minor: 0,
            name: "A1".into(),
        },
        crate::journal::JournalLine {
            account: "Accounts Receivable (A/R)".into(),
            debit_minor: 0,
            credit_minor: 133_326,
            name: "A1".into(),
        },
    ];
    qb.export("ascent-je-2026-03-0003", &payment).unwrap();
    assert_eq!(qbo.lock().unwrap().requests.len(), 4);
}

#[test]
fn a_known_customer_is_found_not_created() {
    let (qb, qbo, _) = adapter();
    qbo.lock()
        .unwrap()
        .customers
        .insert("58".into(), "A1".into());
    qb.export("ascent-je-2026-03-0001", &invoice_entry())
        .unwrap();
    let s = qbo.lock().unwrap();
    assert_eq!(s.customers.len(), 1);
    let post = s.entry_posts()[0];
    assert_eq!(
        post.body["Line"][0]["JournalEntryLineDetail"]["Entity"]["EntityRef"]["value"],
        "58"
    );
}

#[test]
fn a_429_waits_its_retry_after_and_a_5xx_is_retried_with_the_same_request_id() {
    let (qb, qbo, pauses) = adapter();
    qbo.lock()
        .unwrap()
        .script
        .extend([Fault::RateLimited(7), Fault::Unavailable]);
    let id = qb
        .export("ascent-je-2026-03-0002", &expense_entry())
        .unwrap();
    // 7 s as Retry-After asked, then the policy's first backoff of 0.5 s.
    assert_eq!(
        *pauses.lock().unwrap(),
        [Duration::from_secs(7), Duration::from_millis(500)]
    );
    let s = qbo.lock().unwrap();
    let posts = s.entry_posts();
    assert_eq!(posts.len(), 3);
    assert!(
        posts
            .iter()
            .all(|p| p.query["requestid"] == "ascent-je-2026-03-0002")
    );
    assert_eq!(s.entries.len(), 1);
    assert_eq!(s.entries[&id]["Line"][0]["Amount"], json!(412.3));
}

#[test]
fn a_lost_answer_and_a_later_retry_of_the_same_change_create_one_entry() {
    let (qb, qbo, _) = adapter();
    // Created, but the answer is lost (502): the retry gets QuickBooks' first answer.
    qbo.lock().unwrap().script.push_back(Fault::Lost);
    let first = qb
        .export("ascent-je-2026-03-0002", &expense_entry())
        .unwrap();
    // The same change sent again by a later run (its record lost): still the same entry.
    let again = qb
        .export("ascent-je-2026-03-0002", &expense_entry())
        .unwrap();
    assert_eq!(first, again);
    let s = qbo.lock().unwrap();
    assert_eq!(s.entry_posts().len(), 3);
    assert_eq!(s.entries.len(), 1);
}

#[test]
fn a_refusal_is_final_with_the_detail_quickbooks_gave() {
    let (qb, qbo, _) = adapter();
    qbo.lock().unwrap().inactive_accounts.push("58".into());
    let e = qb
        .export("ascent-je-2026-03-0002", &expense_entry())
        .unwrap_err();
    assert_eq!(
        e,
        IntegrationError::Refused {
            status: 400,
            message: "Invalid Reference Id : Accounts element id 58 not found".into()
        }
    );
    assert!(!e.is_transient());
    assert_eq!(qbo.lock().unwrap().entry_posts().len(), 1);
}

#[test]
fn an_unmapped_account_is_refused_before_anything_is_sent() {
    let (qb, qbo, _) = adapter();
    let mut e = invoice_entry();
    e.lines[1].account = "Consulting Income".into();
    let err = qb.export("ascent-je-2026-03-0001", &e).unwrap_err();
    assert_eq!(
        err.to_string(),
        "refused (0): account `Consulting Income` has no QuickBooks id in [finance.quickbooks] accounts"
    );
    assert!(!err.is_transient());
    assert!(qbo.lock().unwrap().requests.is_empty());
}

#[test]
fn an_expired_token_is_transient_and_says_what_to_renew() {
    let (qb, qbo, _) = adapter();
    qbo.lock().unwrap().script.push_back(Fault::Unauthorized);
    let e = qb
        .export("ascent-je-2026-03-0002", &expense_entry())
        .unwrap_err();
    assert!(e.is_transient());
    assert_eq!(
        e.to_string(),
        "unavailable after 1 attempts: authorisation refused (401): refused (401): Token expired; renew ASCENT_QUICKBOOKS_TOKEN"
    );
    assert!(qbo.lock().unwrap().entries.is_empty());
}

#[test]
fn amounts_are_the_exact_decimals_of_the_minor_units() {
    let text = |minor: i64, cur: &str| amount(minor, cur).unwrap().to_string();
    assert_eq!(text(123_450, "USD"), "1234.5");
    assert_eq!(text(133_326, "USD"), "1333.26");
    assert_eq!(text(1, "USD"), "0.01");
    assert_eq!(text(1_000_000, "JPY"), "1000000");
    assert_eq!(text(1_234, "KWD"), "1.234");
    // 9,999,999,999,999.99: fifteen digits, kept exactly.
    assert_eq!(text(999_999_999_999_999, "USD"), "9999999999999.99");
    assert_eq!(
        amount(1_000_000_000_000_000, "USD"),
        Err(Unexportable::TooLarge("10000000000000.00 USD".into()))
    );
}

#[test]
fn a_body_names_every_account_by_its_quickbooks_id_or_is_refused() {
    let accounts = crate::FinanceConfig::default().quickbooks.accounts;
    let customers: BTreeMap<String, String> = [("A1".to_string(), "58".to_string())].into();
    let body = journal_entry_body(
        &invoice_entry(),
        &accounts,
        "Accounts Receivable (A/R)",
        &customers,
    )
    .unwrap();
    let ids: Vec<&str> = body["Line"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["JournalEntryLineDetail"]["AccountRef"]["value"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(ids, ["84", "79", "89"]);
    // A receivable line whose customer has no id yet cannot be written.
    assert_eq!(
        journal_entry_body(
            &invoice_entry(),
            &accounts,
            "Accounts Receivable (A/R)",
            &BTreeMap::new()
        ),
        Err(Unexportable::UnknownCustomer("A1".into()))
    );
    let mut e = expense_entry();
    e.lines[0].account = "Petty Cash".into();
    assert_eq!(
        journal_entry_body(&e, &accounts, "Accounts Receivable (A/R)", &customers),
        Err(Unexportable::UnmappedAccount("Petty Cash".into()))
    );
}
