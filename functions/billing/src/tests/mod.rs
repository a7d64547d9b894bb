//! Billing tests, driven through an in-memory twin: the shared fixtures here, the cases by
//! topic in the submodules.

use super::*;
use ascent_core::agent::Domain;
use ascent_core::catalog::{
    CustomerSignedUp, DealClosedWon, DealLine, DealStage, DealStageChanged, DunningAction,
    PaymentReceived, PaymentRefunded,
};
use ascent_core::money::Money;
use ascent_core::records::{PROPOSAL_SK, Proposal, ProposalStatus, ar_ageing_sk, deal_pk};
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::sync::Arc;

mod approvals;
mod credit_notes;
mod dunning;
mod invoicing;
mod overpayment;
mod payments;
mod privacy;
mod refunds;
mod stripe_refunds;

fn t0() -> DateTime<Utc> {
    "2026-03-02T09:00:00Z".parse().unwrap()
}

fn twin() -> TestTwin {
    TestTwin::new(
        vec![
            Arc::new(Billing::default()),
            Arc::new(closing::Closing::default()),
        ],
        t0(),
    )
}

fn signup(account: &str, region: &str, terms: u32) -> CustomerSignedUp {
    CustomerSignedUp {
        account_id: account.into(),
        company: "Boreal Aero".into(),
        plan: "enterprise".into(),
        seats: 50,
        tax_region: region.into(),
        billing_email: "ap@boreal.aero".into(),
        payment_terms_days: terms,
        currency: "USD".into(),
        tax_locality: None,
        vat_id: None,
        tax_exemption_id: None,
    }
}

fn won(deal: &str, account: &str, amount: i64, proposal: Option<String>) -> DealClosedWon {
    DealClosedWon {
        deal_id: deal.into(),
        account_id: account.into(),
        owner: "rep@ascent-xr.example".into(),
        amount: Money::usd(amount),
        proposal_id: proposal,
        reason: None,
        lead_id: None,
    }
}

fn pay(id: &str, invoice: &str, amount: i64) -> PaymentReceived {
    PaymentReceived {
        payment_id: id.into(),
        invoice_id: invoice.into(),
        amount: Money::usd(amount),
        received_at: t0(),
        method: "card".into(),
    }
}

fn invoice(t: &TestTwin, id: &str) -> Invoice {
    serde_json::from_value(
        t.get(Domain::Financial, &format!("invoice#{id}"), "invoice")
            .unwrap(),
    )
    .unwrap()
}

fn payloads(t: &TestTwin, detail_type: &str) -> Vec<Payload> {
    t.emitted(detail_type)
        .iter()
        .map(|e| e.payload().clone())
        .collect()
}

fn credit(request: &str, invoice: &str, amount: i64) -> ascent_core::catalog::CreditNoteRequested {
    ascent_core::catalog::CreditNoteRequested {
        request_id: request.into(),
        invoice_id: invoice.into(),
        amount: Money::usd(amount),
        reason: "two headsets arrived damaged".into(),
        requested_by: "support.lead@ascent-xr.example".into(),
    }
}
