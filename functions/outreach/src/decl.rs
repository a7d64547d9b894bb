//! Outreach's declaration: what it listens to, the key prefixes it owns with the personal
//! data each holds (contacts, enrollments, consents and the suppression and do-not-call
//! lists), and what it emits.

use crate::NAME;
use ascent_core::agent::{AgentDecl, Department, Domain, QueueClass, Subscription, owns};
use ascent_core::privacy::{Personal, Retention};
use serde_json::json;

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::Sales,
        queue: QueueClass::Priority,
        subscriptions: vec![
            Subscription {
                name: "leads",
                pattern: json!({"detail-type": ["LeadCreated", "LeadAssigned"]}),
            },
            Subscription {
                name: "customers",
                pattern: json!({"detail-type": ["CustomerSignedUp"]}),
            },
            Subscription {
                name: "stop-signals",
                pattern: json!({"detail-type": ["DemoScheduled", "ContactPreferenceChanged", "EmailBounced"]}),
            },
            Subscription {
                name: "replies",
                pattern: json!({"detail-type": ["InteractionRecorded"], "detail": {"payload": {"kind": ["email_replied"]}}}),
            },
            Subscription {
                name: "steps-due",
                pattern: json!({"source": ["ascent.agent.outreach"], "detail-type": ["OutreachStepDue"]}),
            },
            Subscription {
                name: "daily-steps",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["daily"]}}}),
            },
        ],
        reads: vec![Domain::Customer, Domain::Interaction],
        owns: vec![
            // A lead's run through the sequence, in its rep's name.
            owns(Domain::Customer, "outreach#").holding(Personal::deleted(
                &["lead_id", "email", "rep"],
                &["lead_id", "email"],
                "Run the outreach sequence of an assigned lead",
                Retention::Days("unconverted_leads_days"),
            )),
            // The lead's contact details (the key holds the address).
            owns(Domain::Customer, "outreach-contact#").holding(Personal::deleted(
                &["lead_id", "email", "full_name", "role", "phone"],
                &["lead_id", "email", "phone"],
                "Write to and call the lead in the sequence",
                Retention::Days("unconverted_leads_days"),
            )),
            // Whose address an unsubscribe link is for: written once, and it must work as long
            // as the emails carrying it may be read, so no clock from its write.
            owns(Domain::Customer, "unsubscribe#").holding(Personal::deleted(
                &["email", "lead_id"],
                &["email", "lead_id"],
                "Honour the unsubscribe link of every email sent",
                Retention::Relationship,
            )),
            // The suppression list (the key holds the address): kept pseudonymised, so an
            // erased person is never emailed again.
            owns(Domain::Customer, "suppression#").holding(Personal::pseudonymised(
                &["evidence"],
                &[],
                "Never email an address that opted out, bounced or complained (CAN-SPAM)",
                Retention::Relationship,
            )),
            // Consent to calls of a number (the key holds the number), with its evidence.
            owns(Domain::Customer, "call-consent#").holding(Personal::deleted(
                &["evidence", "disclosure", "signature", "recording"],
                &[],
                "Call only with the prior express consent the TCPA requires",
                Retention::Relationship,
            )),
            // Consent to commercial email of an address (the key holds the address).
            owns(Domain::Customer, "email-consent#").holding(Personal::deleted(
                &["evidence"],
                &[],
                "Email only with the consent UWG §7 and CASL require",
                Retention::Relationship,
            )),
            // A later lead of a known address.
            owns(Domain::Customer, "outreach-duplicate#").holding(Personal::deleted(
                &["duplicate_of", "email"],
                &["duplicate_of", "email"],
                "Stop a duplicate lead's sequence before it starts",
                Retention::Days("unconverted_leads_days"),
            )),
            // Our do-not-call list (the key holds the number): kept pseudonymised, so an
            // erased person is never called again.
            owns(Domain::Customer, "do-not-call#").holding(Personal::pseudonymised(
                &["evidence"],
                &[],
                "Never call a number on our do-not-call list (47 CFR 64.1200(d))",
                Retention::Relationship,
            )),
            // Call tasks given out per number (the key holds the number).
            owns(Domain::Customer, "call-task#").holding(Personal::deleted(
                &["lead_id"],
                &["lead_id"],
                "Cap the calls to a number (TCPA frequency)",
                Retention::Days("interactions_days"),
            )),
            // A customer's address from a sale (the key holds the address).
            owns(Domain::Customer, "existing-customer#").holding(Personal::deleted(
                &[],
                &[],
                "Email a customer about similar products (UWG §7(3))",
                Retention::Relationship,
            )),
            // Every step taken with a contact (the key holds the address).
            owns(Domain::Interaction, "touch#").holding(Personal::deleted(
                &["lead_id", "rep", "summary", "note"],
                &["lead_id"],
                "Keep what the sequence sent and asked of the rep",
                Retention::Days("interactions_days"),
            )),
        ],
        emits: vec!["OutreachStepTaken", "OutreachStopped", "OutreachStepDue"],
        requests_approvals: false,
        sends_mail: true,
        writes_text: true,
    }
}
