//! The event catalog on disk: one sample per event type in `events/`, one JSON Schema per
//! event type in `events/schemas/` generated from the Rust types (schemars), scenarios in
//! `events/scenarios/`. Proves samples parse and validate, and schemas are up to date.
//!
//! `ASCENT_UPDATE_EVENTS=1 cargo test -p ascent-flows --test catalog` rewrites the schemas
//! and writes samples for event types that have none yet.

use ascent_core::catalog::{CATALOG, Category};
use ascent_core::event::Event;
use serde_json::{Value, json};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn updating() -> bool {
    std::env::var("ASCENT_UPDATE_EVENTS").is_ok_and(|v| v == "1")
}

fn schema_path(detail_type: &str, version: u32) -> PathBuf {
    root().join(format!(
        "events/schemas/{detail_type}.v{version}.schema.json"
    ))
}

fn sample_path(detail_type: &str) -> PathBuf {
    root().join(format!("events/{detail_type}.json"))
}

/// A realistic payload per event type (used to write missing samples).
fn sample_payload(detail_type: &str) -> Value {
    let usd = |m: i64| json!({"amount_minor": m, "currency": "USD"});
    let line = json!({"sku": "XR-STUDIO-SEAT", "description": "Ascent Studio seat, annual", "quantity": 50,
                      "unit_price": usd(96_000), "amount": usd(4_800_000)});
    match detail_type {
        "LeadCreated" => {
            json!({"lead_id": "L000123", "email": "ana.ruiz@boreal-aero.example", "full_name": "Ana Ruiz",
            "company": "Boreal Aero", "company_size": 2000, "industry": "Aerospace", "role": "VP Engineering",
            "country": "DE", "channel": "web"})
        }
        "LeadScored" => {
            json!({"lead_id": "L000123", "score": 86, "fit": 100, "intent": 66, "grade": "hot",
            "model": "rules-v1", "reasons": ["company size 2000 (100 pts)", "recent DemoRequested (+48 intent)"]})
        }
        "LeadDuplicateDetected" => {
            json!({"lead_id": "L000124", "duplicate_of": "L000123", "matched_on": "email"})
        }
        "LeadFlagged" => {
            json!({"lead_id": "L000131", "problems": ["company size missing (0 employees)", "industry missing"]})
        }
        "LeadRouted" => {
            json!({"lead_id": "L000123", "team": "sales-emea", "score": 86, "grade": "hot"})
        }
        "ContactPreferenceChanged" => {
            json!({"email": "ana.ruiz@boreal-aero.example", "change": "call_consent_given", "phone": "+4930901820",
            "evidence": "demo request form 2026-03-01, consent checkbox ticked",
            "consent": {"kind": "express_written", "given_at": "2026-03-01T14:12:00Z",
                "disclosure": "I agree that Ascent XR may call me at this number, also with automated technology. Agreeing is not a condition of purchase.",
                "signature": "esign-envelope-4411"}})
        }
        "ContactUpdated" => json!({"system": "hubspot", "record_id": "51234",
            "changed_at": "2026-03-02T08:59:00Z", "email": null, "full_name": null,
            "company": null, "phone": "(212) 555-0100", "country": "United States",
            "job_title": "VP Operations"}),
        "CrmSyncPageDue" => json!({"system": "hubspot",
            "run_started_at": "2026-03-02T09:00:00Z", "page": 1}),
        "ContactsMerged" => json!({"survivor_id": "lead:L000123",
            "merged_ids": ["hubspot:51234"], "rule": "same_email", "similarity": 1.0,
            "source_ids": ["lead:L000123", "hubspot:51234"]}),
        "EmailBounced" => {
            json!({"email": "old.address@boreal-aero.example", "bounce": "hard", "diagnostic": "550 5.1.1 user unknown"})
        }
        "OutreachStepTaken" => {
            json!({"lead_id": "L000123", "sequence": "xr-intro", "step": 3, "channel": "call", "outcome": "task_created",
            "rep": "dario.rep@ascent-xr.example", "summary": "Call Ana Ruiz (Boreal Aero): follow up on the intro email",
            "window_start": "2026-03-04T07:00:00Z", "window_end": "2026-03-04T20:00:00Z"})
        }
        "OutreachStopped" => {
            json!({"lead_id": "L000123", "sequence": "xr-intro", "reason": "replied", "steps_taken": 2})
        }
        "OutreachStepDue" => {
            json!({"lead_id": "L000123", "step": 2, "due_at": "2026-03-03T06:00:00Z"})
        }
        "TicketTriaged" => {
            json!({"ticket_id": "T-4711", "account_id": "A00042", "priority": "high", "category": "hardware",
            "team": "support-hardware", "sentiment": -20, "first_response_due": "2026-03-10T18:00:00Z",
            "resolution_due": "2026-03-12T18:00:00Z", "suggested_articles": ["KB-1"],
            "reasons": ["high by keywords: fails", "category hardware: headset, pair"]})
        }
        "TicketResponded" => {
            json!({"ticket_id": "T-4711", "account_id": "A00042", "responder": "sam.support@ascent-xr.example",
            "responded_at": "2026-03-10T15:20:00Z"})
        }
        "SlaBreached" => {
            json!({"ticket_id": "T-4711", "account_id": "A00042", "timer": "first_response", "priority": "high",
            "due_at": "2026-03-10T18:00:00Z", "escalated_to": "lead.support-hardware@ascent-xr.example"})
        }
        "TicketMerged" => {
            json!({"ticket_id": "T-4712", "into_ticket_id": "T-4711", "account_id": "A00042"})
        }
        "KnowledgeArticlePublished" => {
            json!({"article_id": "KB-1", "title": "Pairing a headset with Ascent Studio",
            "body": "Open Studio, choose Devices, hold the headset power button until it pairs.",
            "tags": ["hardware", "headset"], "version": 3})
        }
        "WebinarScheduled" => {
            json!({"webinar_id": "W-12", "title": "Headset fleet management", "topic": "headset pairing fleet",
            "starts_at": "2026-03-19T16:00:00Z", "duration_minutes": 45, "capacity": 200, "presenter": "Lea Berg"})
        }
        "WebinarRegistrationRequested" => {
            json!({"webinar_id": "W-12", "email": "ops@boreal-aero.example", "name": "Omar Said", "account_id": "A00042"})
        }
        "WebinarRegistered" => {
            json!({"webinar_id": "W-12", "email": "ops@boreal-aero.example", "status": "registered"})
        }
        "TrainingRecommended" => {
            json!({"account_id": "A00042", "ticket_id": "T-4711", "articles": ["KB-1"], "webinars": ["W-12"]})
        }
        "KnowledgeGapFound" => {
            json!({"topic": "invoice number vat", "ticket_ids": ["T-5001", "T-5007"]})
        }
        "OnboardingMilestoneReached" => {
            json!({"account_id": "A00042", "milestone": "first_xr_session", "reached_at": "2026-03-06T14:00:00Z",
            "due_on": "2026-03-16", "on_time": true})
        }
        "OnboardingStalled" => {
            json!({"account_id": "A00042", "milestone": "team_invited", "due_on": "2026-04-01",
            "assigned_to": "csm.enterprise@ascent-xr.example"})
        }
        "OnboardingCompleted" => {
            json!({"account_id": "A00042", "plan": "enterprise", "days_taken": 41, "late_milestones": ["team_invited"]})
        }
        "HealthScored" => {
            json!({"account_id": "A00042", "score": 82, "tier": "healthy", "model": "default-v1",
            "components": [{"name": "usage_trend", "score": 100, "weight": 0.3, "detail": "120 XR sessions in 30 days vs 90 before (+33%)"},
                           {"name": "tickets", "score": 85, "weight": 0.2, "detail": "1 tickets in 30 days (severity penalty 15)"},
                           {"name": "nps", "score": 90, "weight": 0.15, "detail": "NPS answer 9 on 2026-03-01"},
                           {"name": "payments", "score": 100, "weight": 0.2, "detail": "no overdue invoice"},
                           {"name": "engagement", "score": 100, "weight": 0.15, "detail": "last active 1 days ago"}],
            "arr": usd(4_240_000), "renews_on": "2027-03-05"})
        }
        "InterventionPlanned" => {
            json!({"account_id": "A00077", "playbook": "training_offer", "owner": "csm.team@ascent-xr.example",
            "reason": "health 58 (Watch); weakest: usage_trend — 12 XR sessions in 30 days vs 60 before (-80%)"})
        }
        "RenewalApproaching" => {
            json!({"account_id": "A00042", "renews_on": "2027-03-05", "days_left": 90, "arr": usd(4_240_000), "tier": "healthy"})
        }
        "AccountRenewed" => {
            json!({"account_id": "A00042", "renewed_on": "2027-03-01", "arr": usd(4_800_000)})
        }
        "AccountChurned" => {
            json!({"account_id": "A00077", "churned_on": "2027-02-14", "reason": "no adoption after the pilot"})
        }
        "CsReportPublished" => {
            json!({"week_of": "2026-03-09", "accounts": 42, "healthy": 30, "watch": 8, "at_risk": 4, "nps": 38,
            "arr_up_for_renewal": usd(18_500_000), "arr_at_risk": usd(2_100_000), "arr_expected": usd(16_350_000),
            "upsell_candidates": ["A00042", "A00051"]})
        }
        "ForecastPublished" => json!({"as_of": "2026-03-02", "series": [
            {"series": "revenue", "unit": "USD", "history_days": 56, "last_7_days": 101_150.0,
             "previous_7_days": 97_650.0, "trend_per_day": 50.0,
             "smoothing": {"alpha": 0.05, "beta": 0.05, "gamma": 0.05}, "backtest_origins": 15,
             "points": [{"day": "2026-03-02", "value": 14_000.0, "bands": [
                 {"coverage": 0.8, "lower": 12_850.0, "upper": 15_120.5},
                 {"coverage": 0.95, "lower": 12_310.0, "upper": 15_790.0}]}]},
            {"series": "tickets", "unit": "tickets", "history_days": 9, "last_7_days": 36.0,
             "previous_7_days": 12.0, "backtest_origins": 0, "points": [],
             "note": "9 days of history; a forecast needs 14 (two seasons)"}],
            "cohorts": [{"cohort": "2026-01", "customers": 4, "retained": [0.75, 0.75, 0.5]}]}),
        "InteractionRecorded" => {
            json!({"interaction_id": "I-9001", "email": "ana.ruiz@boreal-aero.example",
            "kind": "email_replied", "occurred_at": "2026-03-01T10:15:00Z"})
        }
        "DealStageChanged" => {
            json!({"deal_id": "D00042", "account_id": "A00042", "owner": "ava.rep@ascent-xr.example",
            "from_stage": "demo", "to_stage": "proposal",
            "lines": [{"sku": "XR-STUDIO-SEAT", "quantity": 50}, {"sku": "ONBOARDING", "quantity": 1}],
            "requested_discount_pct": 20.0, "currency": "USD",
            "amount": usd(5_300_000), "account_name": "Boreal Aero",
            "discount_reason": "three-year commitment; a competitor offers 25% off"})
        }
        "ProposalSent" => {
            json!({"proposal_id": "prop-D00042-1a2b3c4d", "deal_id": "D00042", "account_id": "A00042",
            "lines": [line], "subtotal": usd(4_800_000), "discount_pct": 10.0, "discount": usd(480_000),
            "total": usd(4_320_000), "approval_id": null, "valid_until": "2026-04-01"})
        }
        "DealClosedWon" => {
            json!({"deal_id": "D00042", "account_id": "A00042", "owner": "ava.rep@ascent-xr.example",
            "amount": usd(4_320_000), "proposal_id": "prop-D00042-1a2b3c4d"})
        }
        "DealClosedLost" => {
            json!({"deal_id": "D00043", "account_id": "A00043", "owner": "ava.rep@ascent-xr.example",
            "reason": "budget"})
        }
        "InvoiceIssued" => {
            json!({"invoice_id": "inv-D00042", "account_id": "A00042", "deal_id": "D00042",
            "lines": [line], "subtotal": usd(4_800_000), "tax": usd(348_000), "total": usd(5_148_000),
            "issued_on": "2026-03-02", "due_on": "2026-04-01", "payment_terms_days": 30})
        }
        "PaymentReceived" => {
            json!({"payment_id": "P000777", "invoice_id": "inv-D00042", "amount": usd(5_148_000),
            "received_at": "2026-03-28T12:00:00Z", "method": "ach"})
        }
        "PaymentFailed" => {
            json!({"payment_id": "P000778", "invoice_id": "inv-D00042", "amount": usd(5_148_000),
            "reason": "insufficient funds"})
        }
        "CreditNoteRequested" => {
            json!({"request_id": "CR-77", "invoice_id": "inv-D00042", "amount": usd(250_000),
            "reason": "two headsets arrived damaged", "requested_by": "support.lead@ascent-xr.example"})
        }
        "RefundRequested" => {
            json!({"request_id": "RR-12", "invoice_id": "inv-D00042", "amount": usd(45_000),
            "reason": "headsets arrived three weeks late", "requested_by": "support.lead@ascent-xr.example"})
        }
        "RefundAuthorised" => {
            json!({"request_id": "RR-12", "invoice_id": "inv-D00042", "account_id": "A00042",
            "amount": usd(45_000), "reason": "headsets arrived three weeks late",
            "approval_id": null})
        }
        "TicketStatusChanged" => {
            json!({"ticket_id": "T-4711", "account_id": "A00042", "status": "pending",
            "changed_at": "2026-03-10T15:20:00Z"})
        }
        "CreditNoteIssued" => {
            json!({"credit_note_id": "cn-CR-77", "invoice_id": "inv-D00042", "account_id": "A00042",
            "amount": usd(250_000), "reason": "two headsets arrived damaged", "outstanding": usd(4_297_400)})
        }
        "DemoRequested" => {
            json!({"request_id": "DR-7001", "lead_id": "L000123", "deal_id": "D00042",
            "prospect_email": "ana.ruiz@boreal-aero.example", "prospect_name": "Ana Ruiz",
            "prospect_time_zone": "Europe/Berlin", "rep": "dario.rep@ascent-xr.example",
            "duration_minutes": 60, "headsets": 2, "sandbox": true,
            "qualification": {"budget": usd(5_000_000), "authority": true,
                "need": "Cut assembly training time for the A400 line", "timeline_days": 90}})
        }
        "DemoScheduled" => {
            json!({"demo_id": "demo-DR-7001-1", "request_id": "DR-7001", "deal_id": "D00042",
            "prospect_email": "ana.ruiz@boreal-aero.example", "rep": "dario.rep@ascent-xr.example",
            "starts_at": "2026-03-04T09:00:00Z", "ends_at": "2026-03-04T10:00:00Z",
            "prospect_local_start": "2026-03-04 10:00 CET", "resources": ["headset x2", "sandbox"]})
        }
        "DemoCancelled" => {
            json!({"demo_id": "demo-DR-7001-1", "cancelled_by": "prospect", "reason": "Board meeting moved",
            "reschedule": true})
        }
        "DemoQualificationFailed" => {
            json!({"request_id": "DR-7002", "lead_id": "L000130", "prospect_email": "intern@example.org",
            "gaps": ["authority: the contact cannot decide", "timeline: none given"]})
        }
        "ProposalAccepted" => {
            json!({"proposal_id": "prop-D00042-3f2a9c1b", "deal_id": "D00042", "accepted_by": "cfo@boreal-aero.example",
            "terms": {"payment_terms_days": 60, "term_months": 24, "auto_renew": true, "liability_cap_multiple": 1.0,
                "governing_law": "DE", "custom_clauses": ["Source code escrow for the XR runtime"]}})
        }
        "ContractIssued" => {
            json!({"contract_id": "ctr-D00042", "deal_id": "D00042", "account_id": "A00042",
            "proposal_id": "prop-D00042-3f2a9c1b", "total": usd(4_240_000),
            "terms": {"payment_terms_days": 60, "term_months": 24, "auto_renew": true, "liability_cap_multiple": 1.0,
                "governing_law": "DE", "custom_clauses": ["Source code escrow for the XR runtime"]},
            "deviations": ["payment terms 60 days (standard at most 45)", "custom clause: Source code escrow for the XR runtime"],
            "legal_approval_id": "apr-5b1c9e0d7a3f24e6b810"})
        }
        "ObjectionLogged" => {
            json!({"objection_id": "OBJ-88", "deal_id": "D00042", "category": "security",
            "note": "Needs SOC 2 Type II report before signing", "logged_by": "ava.rep@ascent-xr.example"})
        }
        "LeadAssigned" => {
            json!({"lead_id": "L000123", "rep": "ava.rep@ascent-xr.example", "territory": "sales-emea", "score": 86})
        }
        "DealStalled" => {
            json!({"deal_id": "D00042", "account_id": "A00042", "owner": "ava.rep@ascent-xr.example",
            "stage": "proposal", "days_inactive": 15})
        }
        "PaymentRefunded" => {
            json!({"refund_id": "re_1", "payment_id": "P000777", "invoice_id": "inv-D00042",
            "amount": usd(100_000), "reason": "requested_by_customer"})
        }
        "PaymentReversed" => {
            json!({"reversal_id": "dp_1", "payment_id": "P000777", "invoice_id": "inv-D00042",
            "amount": usd(100_000), "reason": "chargeback: fraudulent"})
        }
        "CustomerCreditRecorded" => {
            json!({"account_id": "A00042", "invoice_id": "inv-D00042", "payment_id": "P000778",
            "amount": usd(5_000), "balance": usd(5_000)})
        }
        "CustomerCreditApplied" => {
            json!({"account_id": "A00042", "invoice_id": "inv-D00043", "amount": usd(5_000),
            "balance": usd(0)})
        }
        "InvoicePaid" => {
            json!({"invoice_id": "inv-D00042", "account_id": "A00042", "total": usd(5_148_000),
            "paid_on": "2026-03-28"})
        }
        "DunningStepTaken" => {
            json!({"invoice_id": "inv-D00042", "account_id": "A00042", "step": 1, "days_overdue": 3,
            "action": "reminder", "outstanding": usd(5_148_000)})
        }
        "ExpenseSubmitted" => {
            json!({"expense_id": "E-3001", "employee": "li.wei@ascent-xr.example",
            "department": "sales", "category": "travel", "amount": usd(48_250), "incurred_on": "2026-02-27",
            "merchant": "Lufthansa", "receipt_attached": true,
            "receipt_text": "LUFTHANSA\nBooking LH-8XK2Q\nDate: 2026-02-27\nFRA-SFO economy\nTOTAL USD 482.50",
            "manager": "mara.head@ascent-xr.example", "description": "Customer visit, Boreal Aero"})
        }
        "ExpenseDecided" => {
            json!({"expense_id": "E-3001", "employee": "li.wei@ascent-xr.example", "department": "sales",
            "category": "travel", "amount": usd(48_250), "amount_base": usd(48_250),
            "incurred_on": "2026-02-27", "outcome": "approved", "decided_by": "mara.head@ascent-xr.example",
            "reasons": ["over the auto-approval amount of USD 75.00"], "approval_id": "apr-3c5e0f7e2b9d14a6c801"})
        }
        "MonthClosed" => {
            json!({"period": "2026-03", "revenue_invoiced": [usd(9_540_000)], "collected": [usd(5_148_000)],
            "expenses": usd(1_284_400), "receivables": [usd(5_093_820)], "departments_over_budget": ["sales"],
            "controls_checked": 14, "controls_failed": 0, "journal_lines": 46})
        }
        "ReimbursementBatchCreated" => {
            json!({"batch_id": "reimb-2026-03-06", "created_on": "2026-03-06",
            "reimbursements": [{"employee": "li.wei@ascent-xr.example", "amount": usd(48_250), "expense_ids": ["E-3001"]}],
            "totals": [usd(48_250)]})
        }
        "TicketOpened" => json!({"ticket_id": "T-5001", "account_id": "A00042",
            "subject": "Headsets do not pair after update", "body": "Since 2.4 our Quest headsets fail to pair.",
            "channel": "email"}),
        "TicketResolved" => json!({"ticket_id": "T-5001", "account_id": "A00042",
            "resolution": "Rolled back the pairing service; fixed in 2.4.1"}),
        "CustomerSignedUp" => {
            json!({"account_id": "A00042", "company": "Boreal Aero", "plan": "enterprise",
            "seats": 50, "tax_region": "US-CA", "billing_email": "ap@boreal-aero.example",
            "payment_terms_days": 30, "currency": "USD"})
        }
        "UsageReported" => {
            json!({"account_id": "A00042", "metric": "xr_sessions", "quantity": 312.0,
            "period_start": "2026-03-01T00:00:00Z", "period_end": "2026-03-02T00:00:00Z"})
        }
        "NpsResponse" => {
            json!({"account_id": "A00042", "respondent": "ops.lead@boreal-aero.example", "score": 9,
            "comment": "Training time halved."})
        }
        "CampaignLaunched" => {
            json!({"campaign_id": "C-2026-Q2-AERO", "name": "XR for aerospace MRO",
            "channel": "email", "budget": usd(2_500_000), "starts_on": "2026-04-01", "ends_on": "2026-06-30"})
        }
        "KeywordRankObserved" => json!({"keyword": "xr maintenance training",
            "url": "https://ascent-xr.example/solutions/maintenance", "rank": 7,
            "search_volume": 2400, "difficulty": 42, "observed_on": "2026-04-06"}),
        "CompetitorKeywordsObserved" => json!({"competitor": "rivalxr.example",
            "observed_on": "2026-04-06", "keywords": [
                {"keyword": "vr safety training", "rank": 3, "search_volume": 1900, "difficulty": 35}]}),
        "PageCrawled" => json!({"url": "https://ascent-xr.example/solutions/maintenance",
            "status": 200, "title": "XR maintenance training | Ascent XR",
            "meta_description": "Train technicians on virtual aircraft engines.", "load_ms": 1850,
            "links": [{"href": "https://ascent-xr.example/pricing", "status": 200}],
            "crawled_at": "2026-04-06T02:10:00Z"}),
        "ContentGapFound" => json!({"keyword": "vr safety training", "search_volume": 1900,
            "difficulty": 35, "competitor": "rivalxr.example", "competitor_rank": 3,
            "our_rank": null, "score": 136}),
        "KeywordOpportunitiesRanked" => json!({"as_of": "2026-04-06", "opportunities": [
            {"keyword": "xr maintenance training",
             "url": "https://ascent-xr.example/solutions/maintenance", "rank": 7,
             "search_volume": 2400, "difficulty": 42, "score": 99}]}),
        "TouchRecorded" => {
            json!({"touch_id": "ga-7f3c91", "email": "ops.lead@boreal-aero.example",
            "channel": "webinar", "campaign_id": "C-2026-Q2-AERO",
            "occurred_at": "2026-04-14T16:00:00Z"})
        }
        "MarketingSpendRecorded" => {
            json!({"spend_id": "bill-LI-2026-04", "channel": "paid", "campaign_id": "C-2026-Q2-AERO",
            "amount": usd(850_000), "spent_on": "2026-04-30"})
        }
        "ChannelReturnsMeasured" => json!({"from": "2026-03-30", "to": "2026-06-28",
            "model": "position_based", "channels": [{"channel": "webinar", "spend": usd(500_000),
            "attributed_revenue": usd(2_120_000), "return_per_unit": 4.24, "roi": 3.24,
            "customers": 1.5, "cac": usd(333_333)}], "unattributed_revenue": usd(0),
            "campaigns": [{"campaign_id": "C-2026-Q2-AERO", "channel": "webinar",
            "spend": usd(300_000), "attributed_revenue": usd(1_500_000), "customers": 1.0,
            "cac": usd(300_000)}]}),
        "CampaignPlanned" => json!({"campaign_id": "C-2026-Q2-AERO",
            "name": "XR for aerospace MRO", "owner": "marketing.lead@ascent-xr.example",
            "starts_on": "2026-04-01", "ends_on": "2026-06-30",
            "budgets": [{"channel": "webinar", "amount": usd(1_500_000)},
                        {"channel": "paid", "amount": usd(1_000_000)}],
            "goal_customers": 8, "target_cpa": usd(300_000)}),
        "CampaignPaused" => json!({"campaign_id": "C-2026-Q2-AERO",
            "reason": "Creative refresh after the April webinar"}),
        "CampaignResumed" => json!({"campaign_id": "C-2026-Q2-AERO"}),
        "CampaignEnded" => json!({"campaign_id": "C-2026-Q2-AERO", "reason": "Ran its course"}),
        "BudgetReallocated" => json!({"period": "2026-06-29", "allocations": [
            {"channel": "paid", "budget": usd(1_200_000), "previous": usd(1_000_000), "return_per_unit": 3.1},
            {"channel": "webinar", "budget": usd(800_000), "previous": usd(1_000_000), "return_per_unit": 1.4}],
            "total": usd(2_000_000), "approval_id": null, "approved_by": null}),
        "EmailCampaignScheduled" => json!({"campaign_id": "EM-2026-05-NEWS",
            "name": "May newsletter", "segment": "enterprise-us",
            "send_at": "2026-05-05T14:00:00Z", "variants": [
                {"name": "A", "subject": "What's new for {company}", "body": "Hello {company} team, ..."},
                {"name": "B", "subject": "{seats} seats, one new feature", "body": "Hello {company} team, ..."}]}),
        "EmailCampaignResumed" => json!({"campaign_id": "EM-2026-05-NEWS",
            "resumed_by": "deliverability@ascent-xr.example",
            "note": "Stale addresses removed from the CRM export"}),
        "EmailClicked" => json!({"email": "ap@boreal-aero.example",
            "url": "https://ascent-xr.example/whats-new", "clicked_at": "2026-05-05T15:12:00Z"}),
        "EmailBatchDue" => json!({"campaign_id": "EM-2026-05-NEWS", "batch": 2, "after": "A00042"}),
        "EmailAbTestDecided" => json!({"campaign_id": "EM-2026-05-NEWS", "outcome": "winner",
            "rest_get": "A", "metric": "opens", "results": [
                {"variant": "A", "sent": 1000, "responded": 250},
                {"variant": "B", "sent": 1000, "responded": 200}],
            "z": 2.677, "p_value": 0.0074}),
        "EmailCampaignPaused" => json!({"campaign_id": "EM-2026-05-NEWS", "metric": "bounce_rate",
            "rate_pct": 6.0, "threshold_pct": 5.0, "sent": 200}),
        "EmailCampaignCompleted" => json!({"campaign_id": "EM-2026-05-NEWS", "sent": 2480,
            "suppressed": 20, "batches": 63}),
        "ContentDraftSubmitted" => json!({"piece_id": "brief-vr-safety-training",
            "channel": "blog", "title": "VR safety training that sticks",
            "body": "# VR safety training that sticks\n\nVR safety training lets crews practise the rare, risky jobs.\n\n## Why it works\n\nPeople remember what they did.",
            "keywords": ["vr safety training", "safety drills"],
            "author": "nina.writer@ascent-xr.example"}),
        "CaseStudyConsentGiven" => json!({"account_id": "A00042", "company": "Boreal Aero",
            "contact_name": "Maya Lindqvist", "contact_email": "maya.lindqvist@boreal-aero.example",
            "quote": "Our technicians train on engines we could never take apart.",
            "given_on": "2026-04-20"}),
        "CaseStudyConsentWithdrawn" => {
            json!({"account_id": "A00042", "withdrawn_on": "2026-05-02"})
        }
        "ContentEngagementObserved" => json!({"piece_id": "brief-vr-safety-training",
            "views": 1240, "clicks": 87, "shares": 19, "observed_on": "2026-05-12"}),
        "ContentScheduled" => json!({"piece_id": "brief-vr-safety-training", "channel": "blog",
            "title": "VR safety training that sticks", "publish_on": "2026-05-12",
            "keywords": ["vr safety training", "safety drills"]}),
        "ReportDue" => json!({"department": "sales", "cadence": "weekly",
            "from": "2026-03-02", "to": "2026-03-08"}),
        "MentionObserved" => json!({"mention_id": "li-7301922", "platform": "linkedin",
            "author": "Maya Lind", "author_email": "ap@boreal-aero.example",
            "text": "Headset firmware broken again and the support portal is useless",
            "posted_at": "2026-03-02T14:55:00Z",
            "url": "https://www.linkedin.com/feed/update/urn:li:activity:7301922"}),
        "SocialPostRequested" => json!({"post_id": "post-2026-03-case-boreal",
            "platform": "linkedin",
            "text": "How Boreal Aero cut rework 30% with XR work instructions",
            "earliest": "2026-03-02T12:00:00Z"}),
        "PostEngagementObserved" => {
            json!({"post_id": "post-2026-02-webinar", "platform": "linkedin",
            "posted_at": "2026-02-06T21:00:00Z", "impressions": 1000, "engagements": 80})
        }
        "SocialPostScheduled" => json!({"post_id": "post-2026-03-case-boreal",
            "platform": "linkedin", "scheduled_for": "2026-03-03T15:00:00Z", "slot": "Tue 10:00",
            "basis": "default"}),
        "SocialPublishingPageDue" => json!({"platform": "mastodon",
            "run_started_at": "2026-03-02T16:00:00Z", "page": 0}),
        "SocialPostPublished" => json!({"post_id": "post-2026-03-case-boreal",
            "platform": "mastodon", "remote_id": "110000000",
            "url": "https://mastodon.social/@ascentxr/110000000",
            "scheduled_for": "2026-03-02T16:00:00Z", "published_at": "2026-03-02T16:00:04Z"}),
        "TaskCompleted" => json!({"agent": "billing", "task": "invoice", "subject": "inv-D00042",
            "outcome": "issued"}),
        "ExceptionRaised" => json!({"agent": "billing", "subject": "inv-D00042",
            "reason": "invoice 30 days overdue: hand to collections", "severity": "high"}),
        "ApprovalRequested" => {
            json!({"approval_id": "apr-0123456789abcdef0123", "kind": "discount",
            "subject": "D00042", "summary": "20% discount on deal D00042", "amount": usd(1_060_000),
            "requester": "ava.rep@ascent-xr.example", "approver": "sales.director@ascent-xr.example",
            "step": 0, "deadline": "2026-03-04T09:00:00Z"})
        }
        "ApprovalDecided" => json!({"approval_id": "apr-0123456789abcdef0123", "kind": "discount",
            "subject": "D00042", "requested_by_agent": "closing", "outcome": "approved",
            "decided_by": "sales.director@ascent-xr.example", "comment": "Strategic logo",
            "requester": "ava.rep@ascent-xr.example"}),
        "ErasureRequested" => json!({"request_id": "dsr-2026-0042",
            "email": "ana.lima@boreal-aero.example", "phone": "+4930123456",
            "requested_by": "privacy-desk"}),
        "DataSyncCompleted" => json!({"system": "hubspot", "records": 1842,
            "started_at": "2026-03-02T02:00:00Z", "finished_at": "2026-03-02T02:03:10Z",
            "pulled": 20, "pushed": 4, "conflicts": 1, "failures": 0, "queued": 0}),
        "ErrorOccurred" => {
            json!({"component": "webhook-ingest", "message": "Stripe signature mismatch",
            "event_id": null})
        }
        "ThresholdCrossed" => json!({"metric": "dead_letters", "value": 12.0, "threshold": 10.0,
            "direction": "above"}),
        "MessageDeadLettered" => json!({"agent": "billing", "queue": "priority",
            "event_id": "00000000-0000-4000-8000-000000000042", "detail_type": "DealWon",
            "reason": "invalid input: deal D00042 has no line items", "receive_count": 1,
            "first_received_at": "2026-03-02T08:59:58Z", "dead_lettered_at": "2026-03-02T09:00:00Z",
            "correlation_id": "00000000-0000-4000-8000-000000000041"}),
        "QueueDepthObserved" => json!({"agent": "support", "depth": 900, "arrived": 1800,
            "handled": 1750, "mean_handling_ms": 500.0, "window_seconds": 300,
            "observed_at": "2026-03-02T09:05:00Z"}),
        "ScheduleTick" => json!({"schedule": "daily", "at": "2026-03-02T06:00:00Z"}),
        other => panic!("no sample payload for {other}: add one to tests/catalog.rs"),
    }
}

/// The numbers of the sample event ids in events/ (`00000000-0000-4000-8000-<n>`).
fn used_sample_ids() -> std::collections::HashSet<usize> {
    std::fs::read_dir(root().join("events"))
        .unwrap()
        .filter_map(|f| f.ok())
        .filter(|f| f.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|f| std::fs::read_to_string(f.path()).ok())
        .filter_map(|text| serde_json::from_str::<Value>(&text).ok())
        .filter_map(|v| {
            let id = v["id"].as_str()?.strip_prefix("00000000-0000-4000-8000-")?;
            id.parse().ok()
        })
        .collect()
}

fn sample_event(detail_type: &str, source: &str, n: usize) -> Value {
    json!({
        "version": "0",
        "id": format!("00000000-0000-4000-8000-{n:012}"),
        "detail-type": detail_type,
        "source": source,
        "time": "2026-03-02T09:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "version": 1,
            "event_id": format!("00000000-0000-4000-8000-{n:012}"),
            "correlation_id": "00000000-0000-4000-9000-000000000001",
            "causation_id": null,
            "actor": {"kind": if source.starts_with("ascent.agent") { "agent" } else { "system" },
                      "id": source.rsplit('.').next().unwrap_or(source)},
            "payload": sample_payload(detail_type)
        }
    })
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap() + "\n"
}

#[test]
fn committed_schemas_match_the_types() {
    let mut stale = Vec::new();
    for e in CATALOG {
        let schema = serde_json::to_value((e.schema)()).unwrap();
        let path = schema_path(e.detail_type, e.current_version());
        let want = pretty(&schema);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(want.as_str()) {
            if updating() {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, want).unwrap();
            } else {
                stale.push(path.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "schemas out of date with the Rust types (run ASCENT_UPDATE_EVENTS=1 cargo test -p ascent-flows --test catalog): {stale:?}"
    );
}

#[test]
fn every_event_type_has_a_sample_that_parses_and_validates_against_its_schema() {
    let mut problems = Vec::new();
    let mut ids: std::collections::HashMap<String, PathBuf> = std::collections::HashMap::new();
    for (n, e) in CATALOG.iter().enumerate() {
        let path = sample_path(e.detail_type);
        if !path.exists() && updating() {
            // A new sample takes its place in the catalog as its number unless an older
            // sample already has that id: then the next number no sample uses.
            let used = used_sample_ids();
            let id = (n + 1..).find(|k| !used.contains(k)).unwrap();
            std::fs::write(
                &path,
                pretty(&sample_event(e.detail_type, e.default_source, id)),
            )
            .unwrap();
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            problems.push(format!("{}: missing", path.display()));
            continue;
        };
        let schema = serde_json::to_value((e.schema)()).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        // The sample, and its variants (`<Type>.<variant>.json`, for subscriptions that
        // filter on a field).
        let mut files = vec![(path, text)];
        for variant in variants(e.detail_type) {
            let text = std::fs::read_to_string(&variant).unwrap();
            files.push((variant, text));
        }
        for (path, text) in files {
            let value: Value = serde_json::from_str(&text).unwrap();
            // Ids are unique across the samples: an SQS batch of several would otherwise
            // hold two messages the engine takes for one (its idempotency key).
            let id = value["detail"]["event_id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if let Some(other) = ids.insert(id.clone(), path.clone()) {
                problems.push(format!(
                    "{}: event id {id} is {}'s too",
                    path.display(),
                    other.display()
                ));
            }
            match Event::parse(text.as_bytes()) {
                Err(err) => problems.push(format!("{}: {err}", path.display())),
                Ok(ev) if ev.detail_type() != e.detail_type => problems.push(format!(
                    "{}: is a {}, not a {}",
                    path.display(),
                    ev.detail_type(),
                    e.detail_type
                )),
                Ok(_) => {}
            }
            for err in validator.iter_errors(&value) {
                problems.push(format!(
                    "{}: {} at {}",
                    path.display(),
                    err,
                    err.instance_path()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// `events/<Type>.<variant>.json` files of a type, sorted.
fn variants(detail_type: &str) -> Vec<PathBuf> {
    let prefix = format!("{detail_type}.");
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join("events"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with(&prefix) && name.ends_with(".json") && name.matches('.').count() == 2
        })
        .collect();
    out.sort();
    out
}

#[test]
fn schemas_reject_what_the_parser_rejects() {
    // A schema is only useful to business systems if it catches the same mistakes.
    let e = CATALOG
        .iter()
        .find(|e| e.detail_type == "LeadCreated")
        .unwrap();
    let schema = serde_json::to_value((e.schema)()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut bad = sample_event("LeadCreated", "ascent.crm", 1);
    bad["detail"]["payload"]["company_size"] = json!("big");
    assert!(!validator.is_valid(&bad));
    assert!(Event::from_value(bad).is_err());
    let mut extra = sample_event("LeadCreated", "ascent.crm", 1);
    extra["detail"]["payload"]["surprise"] = json!(true);
    assert!(!validator.is_valid(&extra));
    assert!(Event::from_value(extra).is_err());
}

#[test]
fn scenarios_are_valid_event_streams() {
    let dir = root().join("events/scenarios");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for (i, e) in v
            .as_array()
            .expect("a scenario is an array of events")
            .iter()
            .enumerate()
        {
            Event::from_value(e.clone())
                .unwrap_or_else(|err| panic!("{} event {i}: {err}", path.display()));
            seen += 1;
        }
    }
    assert!(seen > 0, "no scenario events in {}", dir.display());
}

#[test]
fn every_category_is_represented() {
    for c in [Category::Business, Category::Agent, Category::System] {
        assert!(CATALOG.iter().any(|e| e.category == c));
    }
}

/// `events/sqs/<agent>.json`: the SQS event a function receives, with one record per sample
/// event its rules match (for `cargo lambda invoke <agent> --data-file …`).
#[test]
fn every_agent_has_an_sqs_batch_sample_of_the_events_it_subscribes_to() {
    let decls = ascent::agents::declarations();
    let router = ascent_core::routing::Router::new(&decls).unwrap();
    let mut samples: Vec<(String, String)> = Vec::new();
    for e in CATALOG {
        let mut files = vec![sample_path(e.detail_type)];
        files.extend(variants(e.detail_type));
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let event = Event::parse(text.as_bytes()).unwrap();
            samples.push((e.detail_type.to_string(), event.to_json()));
        }
    }
    for d in &decls {
        let records: Vec<Value> = samples
            .iter()
            .filter(|(_, body)| router.route(body.as_bytes()).iter().any(|r| r.agent == d.name))
            .enumerate()
            .map(|(i, (_, body))| {
                json!({
                    "messageId": format!("00000000-0000-4000-a000-{i:012}"),
                    "receiptHandle": "local",
                    "body": body,
                    "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1772442000000"},
                    "messageAttributes": {},
                    "md5OfBody": "",
                    "eventSource": "aws:sqs",
                    "eventSourceARN": format!("arn:aws:sqs:us-east-1:123456789012:ascent-prod-{}-{}", d.name, d.queue.as_str()),
                    "awsRegion": "us-east-1"
                })
            })
            .collect();
        assert!(
            !records.is_empty(),
            "{}: no sample event matches its rules",
            d.name
        );
        // Every subscription has a sample of its own.
        for sub in &d.subscriptions {
            assert!(
                samples.iter().any(|(_, body)| router
                    .route(body.as_bytes())
                    .iter()
                    .any(|r| r.agent == d.name && r.subscription == sub.name)),
                "{}/{}: no sample event in events/ matches this subscription",
                d.name,
                sub.name
            );
        }
        let want = pretty(&json!({ "Records": records }));
        let path = root().join(format!("events/sqs/{}.json", d.name));
        if updating() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "{} is stale (ASCENT_UPDATE_EVENTS=1 cargo test -p ascent-flows --test catalog)",
            path.display()
        );
        let parsed: aws_lambda_events::event::sqs::SqsEvent = serde_json::from_str(&have).unwrap();
        assert_eq!(parsed.records.len(), records.len());
    }
}

/// The router's detail-type fast path (used when publishing) routes every sample event, and
/// each of its variants, exactly as the matcher does, with every agent's rules.
#[test]
fn the_routing_fast_path_agrees_with_the_matcher_on_every_sample() {
    let decls = ascent::agents::declarations();
    let router = ascent_core::routing::Router::new(&decls).unwrap();
    let names = |rules: Vec<&ascent_core::routing::Rule>| {
        rules.iter().map(|r| r.name()).collect::<Vec<_>>()
    };
    for e in CATALOG {
        let mut files = vec![sample_path(e.detail_type)];
        files.extend(variants(e.detail_type));
        for f in files {
            let event = Event::parse(std::fs::read_to_string(&f).unwrap().as_bytes()).unwrap();
            let body = event.to_json();
            assert_eq!(
                names(router.route_typed(&event.source, event.detail_type(), body.as_bytes())),
                names(router.route(body.as_bytes())),
                "{}",
                f.display()
            );
        }
    }
}
