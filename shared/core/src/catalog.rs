//! The event catalog: every event type's payload, its category and its current schema version.
//!
//! The `catalog!` list below is the single place an event type is declared. From it come the
//! typed [`Payload`] enum, parsing by `detail-type` and version, and the JSON Schemas committed
//! under `events/schemas/`.

use crate::money::Money;
use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Business, agent or system event (the seed's three families).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Business,
    Agent,
    System,
}

/// One catalog entry, for docs, schema generation and validation.
pub struct CatalogEntry {
    pub detail_type: &'static str,
    pub category: Category,
    /// Versions this build accepts; the last one is what it emits.
    pub versions: &'static [u32],
    /// `source` a business system or agent normally sets (samples use it): the declared
    /// producer (see [`crate::producers`]).
    pub default_source: &'static str,
    /// Other external systems that produce this type, each under its own source.
    pub other_sources: &'static [&'static str],
    pub description: &'static str,
    /// JSON Schema of the whole EventBridge envelope carrying this payload.
    pub schema: fn() -> schemars::Schema,
}

impl CatalogEntry {
    pub fn current_version(&self) -> u32 {
        *self.versions.last().expect("every entry has a version")
    }
}

/// Looks a detail-type up in the catalog.
pub fn entry(detail_type: &str) -> Option<&'static CatalogEntry> {
    CATALOG.iter().find(|e| e.detail_type == detail_type)
}

/// Implemented by every payload type: ties it to its detail-type.
pub trait EventPayload: Into<Payload> {
    const DETAIL_TYPE: &'static str;
    const VERSION: u32;
}

/// Schema-only mirror of the envelope, so each event's schema describes the whole JSON file.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct EnvelopeSchema<P: JsonSchema> {
    /// EventBridge envelope version, always "0".
    version: Option<String>,
    /// EventBridge event id.
    id: Option<String>,
    source: String,
    #[serde(rename = "detail-type")]
    detail_type: String,
    account: Option<String>,
    time: Option<DateTime<Utc>>,
    region: Option<String>,
    resources: Option<Vec<String>>,
    detail: crate::event::Detail<P>,
}

macro_rules! catalog {
    ($( $(#[doc = $doc:literal])* $name:ident : $cat:ident, $src:literal $(| $more:literal)*, [$($v:literal),+]; )*) => {
        /// A typed event payload; the variant is chosen by the envelope's `detail-type`.
        #[derive(Clone, Debug, PartialEq, Serialize)]
        #[serde(untagged)]
        pub enum Payload { $( $name($name), )* }

        impl Payload {
            pub fn detail_type(&self) -> &'static str {
                match self { $( Payload::$name(_) => stringify!($name), )* }
            }

            /// Parses `value` as the payload of `detail_type`; the error path names the field.
            pub(crate) fn from_value(detail_type: &str, value: serde_json::Value)
                -> Result<Self, (String, String)> {
                fn typed<T: serde::de::DeserializeOwned>(v: serde_json::Value)
                    -> Result<T, (String, String)> {
                    serde_path_to_error::deserialize(v).map_err(|e| {
                        let path = e.path().to_string();
                        (path, crate::redact::serde_message(&e.into_inner().to_string()))
                    })
                }
                match detail_type {
                    $( stringify!($name) => typed::<$name>(value).map(Payload::$name), )*
                    other => Err((String::new(), format!("unknown detail-type `{other}`"))),
                }
            }
        }

        $(
            impl From<$name> for Payload {
                fn from(p: $name) -> Self { Payload::$name(p) }
            }
            impl EventPayload for $name {
                const DETAIL_TYPE: &'static str = stringify!($name);
                const VERSION: u32 = { let v: &[u32] = &[$($v),+]; v[v.len() - 1] };
            }
        )*

        /// Every event type this build knows.
        pub static CATALOG: &[CatalogEntry] = &[ $(
            CatalogEntry {
                detail_type: stringify!($name),
                category: Category::$cat,
                versions: &[$($v),+],
                default_source: $src,
                other_sources: &[$($more),*],
                description: concat!($($doc),*),
                schema: || schemars::schema_for!(EnvelopeSchema<$name>),
            },
        )* ];
    };
}

catalog! {
    /// A new lead arrived from the CRM, a form or an event list.
    LeadCreated: Business, "ascent.crm", [1];
    /// Lead Generation scored a lead (fit + intent) with the model that produced the score.
    LeadScored: Business, "ascent.agent.lead-generation", [1];
    /// A lead turned out to be a duplicate of a known one (same normalised email or person at the same domain).
    LeadDuplicateDetected: Business, "ascent.agent.lead-generation", [1];
    /// A lead is incomplete or implausible: flagged for a person instead of scored on guesses.
    LeadFlagged: Business, "ascent.agent.lead-generation", [1];
    /// A hot lead was handed to a sales team.
    LeadRouted: Business, "ascent.agent.lead-generation", [1];
    /// A prospect or customer interacted (site visit, download, webinar, email reply, demo request).
    InteractionRecorded: Business, "ascent.web", [1];
    /// A contact's communication preference changed (unsubscribe, call consent, do-not-call).
    ContactPreferenceChanged: Business, "ascent.crm" | "ascent.web", [1];
    /// A contact's details changed in a CRM (HubSpot, Salesforce: verified webhooks) or in Ascent's own forms.
    ContactUpdated: Business, "ascent.crm" | "ascent.web", [1];
    /// CRM Management merged duplicate contacts into one record that keeps every source id and a merge log.
    ContactsMerged: Business, "ascent.agent.crm-management", [1];
    /// One page of a CRM sync run is due (CRM Management fans a run out page by page).
    CrmSyncPageDue: Business, "ascent.agent.crm-management", [1];
    /// An email could not be delivered (SES bounce notification).
    EmailBounced: Business, "ascent.mail", [1];
    /// Outreach took a step of a lead's sequence: an email sent, or a call or LinkedIn task for the rep.
    OutreachStepTaken: Business, "ascent.agent.outreach", [1];
    /// Outreach stopped a lead's sequence (reply, meeting, unsubscribe, bounce, or all steps done).
    OutreachStopped: Business, "ascent.agent.outreach", [1];
    /// Outreach's own hand-off: a sequence step is due (one per enrollment, so one bad one never holds up the rest).
    OutreachStepDue: Business, "ascent.agent.outreach", [1];
    /// A deal moved between pipeline stages in the CRM.
    DealStageChanged: Business, "ascent.crm", [1];
    /// The Sales Director assigned a qualified lead to a rep of its territory.
    LeadAssigned: Business, "ascent.agent.sales-director", [1];
    /// A deal had no activity for longer than the stall limit.
    DealStalled: Business, "ascent.agent.sales-director", [1];
    /// A prospect asked for a demo (web form, rep, CRM), with the qualification gathered so far.
    DemoRequested: Business, "ascent.crm", [1];
    /// Demo Scheduling booked a demo: prospect, rep and resources are free, buffers kept.
    DemoScheduled: Business, "ascent.agent.demo-scheduling", [1];
    /// A booked demo was cancelled (by the prospect or the rep).
    DemoCancelled: Business, "ascent.crm", [1];
    /// A demo request failed qualification (BANT); the lead goes back to nurture.
    DemoQualificationFailed: Business, "ascent.agent.demo-scheduling", [1];
    /// Closing sent a proposal (after approval when the discount needed one).
    ProposalSent: Business, "ascent.agent.closing", [1];
    /// The prospect accepted a proposal (e-signature or CRM), with the terms they ask for.
    ProposalAccepted: Business, "ascent.crm", [1];
    /// Closing issued the contract for an accepted proposal (after legal approval of
    /// non-standard terms).
    ContractIssued: Business, "ascent.agent.closing", [1];
    /// A rep logged a prospect's objection on a deal.
    ObjectionLogged: Business, "ascent.crm", [1];
    /// A deal was won.
    DealClosedWon: Business, "ascent.crm", [1];
    /// A deal was lost, with the reason.
    DealClosedLost: Business, "ascent.crm", [1];
    /// Billing issued an invoice.
    InvoiceIssued: Business, "ascent.agent.billing", [1];
    /// A payment arrived for an invoice (payment processor or bank).
    PaymentReceived: Business, "ascent.payments", [1];
    /// A payment attempt failed.
    PaymentFailed: Business, "ascent.payments", [1];
    /// An invoice is fully paid.
    InvoicePaid: Business, "ascent.agent.billing", [1];
    /// Someone (CRM, support, finance) asks for a credit on an invoice.
    CreditNoteRequested: Business, "ascent.crm", [1];
    /// Billing issued a credit note against an invoice.
    CreditNoteIssued: Business, "ascent.agent.billing", [1];
    /// A payment was refunded (payment processor).
    PaymentRefunded: Business, "ascent.payments", [1];
    /// Someone (CRM, support, finance) asks for money back on a paid invoice.
    RefundRequested: Business, "ascent.crm", [1];
    /// Billing authorised a refund (within its limit, or approved): the payments team makes
    /// it in the payment processor, whose `PaymentRefunded` then books it.
    RefundAuthorised: Business, "ascent.agent.billing", [1];
    /// A received payment was taken back (chargeback, returned direct debit): the invoice is
    /// owed again.
    PaymentReversed: Business, "ascent.payments", [1];
    /// Billing kept what a customer paid beyond an invoice's outstanding amount as the
    /// customer's credit in that currency (never a negative receivable).
    CustomerCreditRecorded: Business, "ascent.agent.billing", [1];
    /// Billing applied a customer's credit to an invoice (or refunded it: no invoice).
    CustomerCreditApplied: Business, "ascent.agent.billing", [1];
    /// Billing took a dunning step on an overdue invoice.
    DunningStepTaken: Business, "ascent.agent.billing", [1];
    /// The Finance Controller closed a month: its close report is ready.
    MonthClosed: Business, "ascent.agent.finance-controller", [1];
    /// An employee submitted an expense.
    ExpenseSubmitted: Business, "ascent.expenses", [1];
    /// Expense Management approved or rejected an expense (by policy or by a person).
    ExpenseDecided: Business, "ascent.agent.expense-management", [1];
    /// Expense Management grouped approved expenses into a reimbursement batch.
    ReimbursementBatchCreated: Business, "ascent.agent.expense-management", [1];
    /// A support ticket was opened.
    TicketOpened: Business, "ascent.support", [1];
    /// Support triaged a ticket: priority, category, team, SLA deadlines, suggested articles.
    TicketTriaged: Business, "ascent.agent.support", [1];
    /// A person answered a ticket for the first time (stops the first-response timer).
    TicketResponded: Business, "ascent.support", [1];
    /// The support desk moved a ticket between open and pending (waiting on the customer):
    /// its SLA clocks pause while it is pending.
    TicketStatusChanged: Business, "ascent.support", [1];
    /// A ticket missed its first-response or resolution deadline and was escalated.
    SlaBreached: Business, "ascent.agent.support", [1];
    /// A ticket was merged into an open duplicate from the same customer.
    TicketMerged: Business, "ascent.agent.support", [1];
    /// A help article was published or revised (CMS).
    KnowledgeArticlePublished: Business, "ascent.cms", [1];
    /// A webinar was put on the calendar.
    WebinarScheduled: Business, "ascent.cms", [1];
    /// Someone asked to attend a webinar (web form).
    WebinarRegistrationRequested: Business, "ascent.web", [1];
    /// Training registered (or waitlisted) someone for a webinar.
    WebinarRegistered: Business, "ascent.agent.training", [1];
    /// Training recommended tutorials to a customer from a ticket's topic.
    TrainingRecommended: Business, "ascent.agent.training", [1];
    /// Tickets ask about something no article answers.
    KnowledgeGapFound: Business, "ascent.agent.training", [1];
    /// An onboarding milestone was reached.
    OnboardingMilestoneReached: Business, "ascent.agent.onboarding", [1];
    /// An onboarding milestone is past its due date: an intervention task was created.
    OnboardingStalled: Business, "ascent.agent.onboarding", [1];
    /// Every onboarding milestone is reached: the account moves to steady-state success.
    OnboardingCompleted: Business, "ascent.agent.onboarding", [1];
    /// Retention scored an account's health, component by component.
    HealthScored: Business, "ascent.agent.retention", [1];
    /// Retention planned an intervention playbook for an account.
    InterventionPlanned: Business, "ascent.agent.retention", [1];
    /// A renewal is 90, 60 or 30 days away.
    RenewalApproaching: Business, "ascent.agent.retention", [1];
    /// A customer renewed (CRM).
    AccountRenewed: Business, "ascent.crm", [1];
    /// A customer did not renew (CRM).
    AccountChurned: Business, "ascent.crm", [1];
    /// The Customer Success Director published the weekly CS report.
    CsReportPublished: Business, "ascent.agent.customer-success-director", [1];
    /// Operations Analytics' weekly forecasts of revenue, open pipeline and ticket volume with
    /// back-tested error bands, and the cohort retention table.
    ForecastPublished: Business, "ascent.agent.operations-analytics", [1];
    /// A support ticket was resolved.
    TicketResolved: Business, "ascent.support", [1];
    /// A customer signed up (account, plan, billing details).
    CustomerSignedUp: Business, "ascent.platform", [1];
    /// The XR platform reported usage for an account and period.
    UsageReported: Business, "ascent.platform", [1];
    /// A customer answered an NPS survey.
    NpsResponse: Business, "ascent.surveys", [1];
    /// Marketing launched a campaign.
    CampaignLaunched: Business, "ascent.marketing", [1];
    /// The rank tracker observed where our site ranks for a tracked keyword on a day.
    KeywordRankObserved: Business, "ascent.seo", [1];
    /// The rank tracker listed keywords a competitor ranks for (one page of them).
    CompetitorKeywordsObserved: Business, "ascent.seo", [1];
    /// The site crawler fetched one of our pages: status, title, meta description, load time, links.
    PageCrawled: Business, "ascent.seo", [1];
    /// SEO found a keyword a competitor ranks for where we rank nowhere or low: a topic for
    /// Content Marketing (once per keyword).
    ContentGapFound: Business, "ascent.agent.seo", [1];
    /// SEO's weekly ranked list of keyword opportunities (expected click gain), for Content
    /// Marketing's briefs.
    KeywordOpportunitiesRanked: Business, "ascent.agent.seo", [1];
    /// A contact met marketing (a tagged site visit, an ad click, a webinar, an event, a
    /// referral), with its channel and campaign: the touches attribution credits won revenue to.
    TouchRecorded: Business, "ascent.web", [1];
    /// Money spent on a marketing channel or campaign (ads, sponsorships, tools), as booked.
    MarketingSpendRecorded: Business, "ascent.finance", [1];
    /// Marketing Analytics' weekly measure of each channel's return (attributed revenue per
    /// unit spent over the lookback, ROI, CAC): the Marketing Orchestrator allocates budget by it.
    ChannelReturnsMeasured: Business, "ascent.agent.marketing-analytics", [1];
    /// Marketing planned a campaign: its dates, channel budgets and goal (customers, a target
    /// cost per acquisition). It goes live with `CampaignLaunched`.
    CampaignPlanned: Business, "ascent.crm", [1];
    /// Marketing paused a live campaign.
    CampaignPaused: Business, "ascent.crm", [1];
    /// Marketing resumed a paused campaign.
    CampaignResumed: Business, "ascent.crm", [1];
    /// Marketing ended a campaign (planned, live or paused): it never goes live again.
    CampaignEnded: Business, "ascent.crm", [1];
    /// The Marketing Orchestrator's budget per channel for the period, now in effect (within
    /// its limits, or approved by finance).
    BudgetReallocated: Business, "ascent.agent.marketing-orchestrator", [1];
    /// Marketing scheduled an email campaign or newsletter to a segment: one variant, or two
    /// for an A/B test, and when to start sending.
    EmailCampaignScheduled: Business, "ascent.crm", [1];
    /// A person resumed an email campaign that deliverability paused.
    EmailCampaignResumed: Business, "ascent.crm", [1];
    /// A recipient clicked a link of a marketing email (the mail provider's click tracking).
    EmailClicked: Business, "ascent.mail", [1];
    /// Email Marketing's own hand-off: the next batch of a campaign's recipients is due (a page
    /// of the segment, so a campaign of any size is bounded units of work).
    EmailBatchDue: Business, "ascent.agent.email-marketing", [1];
    /// Email Marketing decided a campaign's A/B test: the variant the rest of the segment gets.
    EmailAbTestDecided: Business, "ascent.agent.email-marketing", [1];
    /// Email Marketing paused a campaign over a deliverability threshold (bounces, complaints).
    EmailCampaignPaused: Business, "ascent.agent.email-marketing", [1];
    /// Email Marketing sent a campaign to the last page of its segment.
    EmailCampaignCompleted: Business, "ascent.agent.email-marketing", [1];
    /// The social listening service saw a public mention of us on a social platform.
    MentionObserved: Business, "ascent.social", [1];
    /// Marketing asked for a social post to go out on a platform, no earlier than a time.
    SocialPostRequested: Business, "ascent.crm", [1];
    /// A platform reported the impressions and engagements of one of our published posts.
    PostEngagementObserved: Business, "ascent.social", [1];
    /// Social Media scheduled a requested post into one of its platform's best slots.
    SocialPostScheduled: Business, "ascent.agent.social-media", [1];
    /// One page of a platform's publishing run is due (Social Media publishes the posts due
    /// on the hourly tick a bounded page at a time).
    SocialPublishingPageDue: Business, "ascent.agent.social-media", [1];
    /// Social Media published a scheduled post on its platform (the platform's id and link).
    SocialPostPublished: Business, "ascent.agent.social-media", [1];
    /// A writer submitted a draft of a content piece (CMS): Content Marketing's quality gate
    /// schedules it or returns it to its author with the reasons.
    ContentDraftSubmitted: Business, "ascent.cms", [1];
    /// A customer agreed to be named in a case study (CRM): without it no case study is drafted.
    CaseStudyConsentGiven: Business, "ascent.crm", [1];
    /// A customer withdrew its consent to be named (CRM): its case study is not published.
    CaseStudyConsentWithdrawn: Business, "ascent.crm", [1];
    /// The web analytics counted a content piece's views, clicks and shares on a day.
    ContentEngagementObserved: Business, "ascent.web", [1];
    /// Content Marketing scheduled a piece that passed its quality gate into its channel's calendar.
    ContentScheduled: Business, "ascent.agent.content-marketing", [1];
    /// Reporting's own hand-off: one department's report for a period is due (one event per
    /// department and cadence of a daily run, so each report is its own bounded unit of work).
    ReportDue: Business, "ascent.agent.reporting", [1];
    /// An agent finished a unit of work worth recording.
    TaskCompleted: Agent, "ascent.agent", [1];
    /// An agent hit something it cannot resolve without a person.
    ExceptionRaised: Agent, "ascent.agent", [1];
    /// An approval was asked of a person.
    ApprovalRequested: Agent, "ascent.approvals", [1];
    /// An approval was decided (approved, rejected) or expired with nobody deciding.
    ApprovalDecided: Agent, "ascent.approvals", [1];
    /// A business system finished synchronising data.
    DataSyncCompleted: System, "ascent.system", [1];
    /// A component reported an error.
    ErrorOccurred: System, "ascent.system", [1];
    /// A metric crossed a threshold.
    ThresholdCrossed: System, "ascent.system", [1];
    /// The platform moved a message an agent could not handle to the dead-letter queue (the
    /// twin's runtime, the Lambda host on AWS): Process Automation classifies and handles it.
    MessageDeadLettered: System, "ascent.system", [1];
    /// The platform observed an agent's queue over a window: its depth, arrivals, handled
    /// messages and mean handling time (the Operations Manager plans concurrency from it).
    QueueDepthObserved: System, "ascent.system", [1];
    /// A person asked to be forgotten (GDPR art. 17), through the privacy desk: the platform
    /// erases or pseudonymises what every agent holds about them (docs/privacy.md).
    ErasureRequested: System, "ascent.privacy", [1];
    /// A schedule fired (EventBridge Scheduler on AWS, the twin's clock locally).
    ScheduleTick: System, "ascent.scheduler", [1];
}

// ---------------------------------------------------------------- business payloads

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadCreated {
    pub lead_id: String,
    #[schemars(email)]
    pub email: String,
    pub full_name: String,
    pub company: String,
    /// Number of employees.
    pub company_size: u32,
    pub industry: String,
    /// Job title as written by the lead.
    pub role: String,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default)]
    pub country: Option<String>,
    /// Where the lead came from (web, event, referral, paid, outbound).
    pub channel: String,
    /// Phone number in E.164 (`+4930123456`), when the lead gave one.
    #[serde(default)]
    #[schemars(regex(pattern = r"^\+[1-9][0-9]{1,14}$"))]
    pub phone: Option<String>,
    /// IANA time zone of the lead (`Europe/Berlin`), when known; calls need it (TCPA hours).
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// A change of what a contact agreed to receive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactPreference {
    /// No more commercial email (CAN-SPAM opt-out): the address joins the suppression list.
    Unsubscribed,
    /// Prior consent to commercial email was recorded (UWG §7(2), CASL s. 6; the evidence
    /// says where and how).
    EmailConsentGiven,
    /// That consent was withdrawn: no more commercial email.
    EmailConsentWithdrawn,
    /// Prior express consent to calls and texts was recorded (TCPA).
    CallConsentGiven,
    CallConsentWithdrawn,
    /// The number is on a do-not-call list (national or our own).
    DoNotCall,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPreferenceChanged {
    #[schemars(email)]
    pub email: String,
    pub change: ContactPreference,
    /// The phone number a call consent or do-not-call entry is about (E.164).
    #[serde(default)]
    #[schemars(regex(pattern = r"^\+[1-9][0-9]{1,14}$"))]
    pub phone: Option<String>,
    /// Where and how it was recorded (form, call recording id, list import), kept as evidence.
    pub evidence: String,
    /// What a `call_consent_given` rests on: its kind and the proof that kind needs (47 CFR
    /// 64.1200(f)(9)). Required for that change, refused on any other: free text is not
    /// consent.
    #[serde(default)]
    pub consent: Option<CallConsent>,
}

/// A contact's details changed in one system: only the fields given changed, as written there
/// (CRM Management cleans them: E.164 phones, ISO country codes, normalised names).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactUpdated {
    /// Where the change was made: `hubspot`, `salesforce`, or `ascent` (Ascent's own forms).
    pub system: String,
    /// The contact's id in that system (HubSpot object id, Salesforce Contact Id, lead id).
    pub record_id: String,
    /// When the change was made there (the later change of a field wins a conflict).
    pub changed_at: DateTime<Utc>,
    /// The contact's email address, when it changed or is known to the sender.
    #[serde(default)]
    pub email: Option<String>,
    /// Full name as written (`Ana Ruiz`).
    #[serde(default)]
    pub full_name: Option<String>,
    /// Company name as written.
    #[serde(default)]
    pub company: Option<String>,
    /// Phone number as written there (any format; normalised to E.164 by CRM Management).
    #[serde(default)]
    pub phone: Option<String>,
    /// Country as written there: a name or an ISO 3166-1 code.
    #[serde(default)]
    pub country: Option<String>,
    /// Job title as written.
    #[serde(default)]
    pub job_title: Option<String>,
}

/// Duplicate contacts merged into one: the survivor keeps every source id and a merge log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactsMerged {
    /// CRM Management's id of the contact that stays (its first source id, `lead:L000123`).
    pub survivor_id: String,
    /// The source ids (`hubspot:501`, `lead:L000200`) the merged duplicate brought.
    pub merged_ids: Vec<String>,
    /// The rule that matched: `same_email`, `same_domain_similar_name` or
    /// `same_phone_similar_name`.
    pub rule: String,
    /// Name similarity that decided (Jaro-Winkler, 0 to 1; 1 for the same email).
    pub similarity: f64,
    /// Every source id the survivor holds after the merge.
    pub source_ids: Vec<String>,
}

/// The next page of one CRM's sync run: pull one page of changes, push one batch of queued
/// changes; the last page announces the run (`DataSyncCompleted`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CrmSyncPageDue {
    /// The CRM: `hubspot` or `salesforce`.
    pub system: String,
    /// When the run started (the schedule tick's time): the run's id.
    pub run_started_at: DateTime<Utc>,
    /// 0-based page of the run.
    pub page: u32,
}

/// The kinds of consent to calls the TCPA knows, weakest first.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CallConsentKind {
    /// Prior express consent given by voice (a recorded call): enough for calls made by hand,
    /// not for autodialed or prerecorded marketing calls.
    Verbal,
    /// Prior express written consent (47 CFR 64.1200(f)(9)): a signed agreement (an
    /// E-SIGN signature counts) that names the number and says calls may be autodialed and
    /// that agreeing is no condition of purchase.
    ExpressWritten,
}

/// A consent to calls and the evidence its kind requires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallConsent {
    pub kind: CallConsentKind,
    /// When the person agreed.
    pub given_at: DateTime<Utc>,
    /// The disclosure the person agreed to, word for word (required for `express_written`).
    #[serde(default)]
    pub disclosure: Option<String>,
    /// The signature's reference: the e-signature or form-submission record (required for
    /// `express_written`).
    #[serde(default)]
    pub signature: Option<String>,
    /// The call recording's reference (required for `verbal`).
    #[serde(default)]
    pub recording: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BounceKind {
    /// Permanent: the address joins the suppression list.
    Hard,
    /// Transient (mailbox full): the sequence stops, the address stays usable.
    Soft,
    /// The recipient marked the email as spam (a feedback-loop complaint): the address joins
    /// the suppression list.
    Complaint,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailBounced {
    #[schemars(email)]
    pub email: String,
    pub bounce: BounceKind,
    /// The receiving server's diagnostic.
    pub diagnostic: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutreachChannel {
    Email,
    Call,
    Linkedin,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    /// The email went out.
    Sent,
    /// A task for the rep was created (call, LinkedIn).
    TaskCreated,
    /// The step was not allowed (no call consent, do-not-call, unknown time zone) and skipped.
    Skipped,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutreachStepTaken {
    pub lead_id: String,
    pub sequence: String,
    /// 1-based step of the sequence.
    pub step: u32,
    pub channel: OutreachChannel,
    pub outcome: StepOutcome,
    /// The rep who owns the lead (and the task).
    pub rep: String,
    /// Subject of the email, or what the task is about.
    pub summary: String,
    /// When a call task may be worked: 8:00–21:00 in the recipient's time zone (TCPA).
    #[serde(default)]
    pub window_start: Option<DateTime<Utc>>,
    #[serde(default)]
    pub window_end: Option<DateTime<Utc>>,
    /// Why a step was skipped.
    #[serde(default)]
    pub note: Option<String>,
    /// What wrote the text (`template`, `bedrock:<model>`).
    #[serde(default)]
    pub written_by: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutreachStopReason {
    Replied,
    MeetingBooked,
    Unsubscribed,
    Bounced,
    /// The address is on the suppression list: never enrolled.
    Suppressed,
    /// The address belongs to an earlier lead (one person, one sequence): never enrolled.
    Duplicate,
    /// Every step was taken.
    Completed,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutreachStopped {
    pub lead_id: String,
    pub sequence: String,
    pub reason: OutreachStopReason,
    /// Steps taken before the stop.
    pub steps_taken: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutreachStepDue {
    pub lead_id: String,
    /// 1-based step that is due.
    pub step: u32,
    pub due_at: DateTime<Utc>,
}

/// Temperature of a lead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeadGrade {
    Hot,
    Warm,
    Cold,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadScored {
    pub lead_id: String,
    /// 0–100.
    pub score: u8,
    /// Firmographic fit, 0–100.
    pub fit: u8,
    /// Recent intent, 0–100.
    pub intent: u8,
    pub grade: LeadGrade,
    /// Identifier of the model (and version) that produced the score.
    pub model: String,
    /// Human-readable reasons, strongest first.
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadDuplicateDetected {
    pub lead_id: String,
    pub duplicate_of: String,
    /// `email` or `name_and_domain`.
    pub matched_on: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadFlagged {
    pub lead_id: String,
    /// What is missing or implausible, one entry per problem.
    pub problems: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadRouted {
    pub lead_id: String,
    /// Team that now owns the lead.
    pub team: String,
    pub score: u8,
    pub grade: LeadGrade,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InteractionKind {
    WebsiteVisit,
    PricingPageVisit,
    ContentDownload,
    WebinarAttended,
    EmailOpened,
    EmailReplied,
    DemoRequested,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InteractionRecorded {
    pub interaction_id: String,
    #[schemars(email)]
    pub email: String,
    pub kind: InteractionKind,
    pub occurred_at: DateTime<Utc>,
    /// The text of a reply (`email_replied`), read for a request to stop.
    #[serde(default)]
    pub text: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DealStage {
    Prospecting,
    Qualification,
    Demo,
    Proposal,
    Negotiation,
    ClosedWon,
    ClosedLost,
}

/// A product and quantity on a deal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DealLine {
    pub sku: String,
    pub quantity: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DealStageChanged {
    pub deal_id: String,
    pub account_id: String,
    /// Email of the sales rep who owns the deal.
    #[schemars(email)]
    pub owner: String,
    #[serde(default)]
    pub from_stage: Option<DealStage>,
    pub to_stage: DealStage,
    #[serde(default)]
    pub lines: Vec<DealLine>,
    /// Discount the rep asks for, in percent (0–100).
    #[serde(default)]
    pub requested_discount_pct: f64,
    pub currency: String,
    /// The deal's expected value, when the CRM has one (pipeline and forecast use it).
    #[serde(default)]
    pub amount: Option<Money>,
    /// The day the deal is expected to close, when the CRM has one: the forecast of a quarter
    /// counts only deals expected to close in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_close: Option<chrono::NaiveDate>,
    /// The account's name in the CRM, when it sends it: approval requests name the customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    /// The rep's justification of `requested_discount_pct`, when they gave one: the approver
    /// of a discount above the threshold reads it beside the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadAssigned {
    pub lead_id: String,
    /// Email of the rep who owns the lead now.
    #[schemars(email)]
    pub rep: String,
    pub territory: String,
    pub score: u8,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DealStalled {
    pub deal_id: String,
    pub account_id: String,
    pub owner: String,
    pub stage: DealStage,
    pub days_inactive: u32,
}

/// Budget, authority, need and timeline as the rep or the form gathered them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Qualification {
    /// Budget the prospect has for this, if known.
    #[serde(default)]
    pub budget: Option<Money>,
    /// Whether the contact can decide or sign.
    #[serde(default)]
    pub authority: Option<bool>,
    /// The problem they want solved.
    #[serde(default)]
    pub need: Option<String>,
    /// Days until they want to be live.
    #[serde(default)]
    pub timeline_days: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DemoRequested {
    pub request_id: String,
    #[serde(default)]
    pub lead_id: Option<String>,
    #[serde(default)]
    pub deal_id: Option<String>,
    #[schemars(email)]
    pub prospect_email: String,
    pub prospect_name: String,
    /// IANA time zone of the prospect (`America/New_York`).
    pub prospect_time_zone: String,
    /// Email of the rep who gives the demo.
    #[schemars(email)]
    pub rep: String,
    pub duration_minutes: u32,
    /// XR headsets needed on site / shipped for the demo.
    #[serde(default)]
    pub headsets: u32,
    /// Whether a sandbox environment is needed.
    #[serde(default)]
    pub sandbox: bool,
    pub qualification: Qualification,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DemoScheduled {
    pub demo_id: String,
    pub request_id: String,
    #[serde(default)]
    pub deal_id: Option<String>,
    #[schemars(email)]
    pub prospect_email: String,
    pub rep: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Start in the prospect's time zone, as shown to them (`2026-03-10 10:00 EDT`).
    pub prospect_local_start: String,
    /// Resources held (`headset x2`, `sandbox`).
    pub resources: Vec<String>,
    /// The demo this one replaces after a cancellation.
    #[serde(default)]
    pub rescheduled_from: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DemoCancelled {
    pub demo_id: String,
    /// `prospect` or `rep`.
    pub cancelled_by: String,
    pub reason: String,
    /// Find a new slot (true) or drop the demo (false).
    pub reschedule: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DemoQualificationFailed {
    pub request_id: String,
    #[serde(default)]
    pub lead_id: Option<String>,
    #[schemars(email)]
    pub prospect_email: String,
    /// What is missing or out of bounds (`budget`, `authority`, …), with why.
    pub gaps: Vec<String>,
}

/// A priced line of a proposal or invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PricedLine {
    pub sku: String,
    pub description: String,
    pub quantity: u32,
    pub unit_price: Money,
    pub amount: Money,
    /// How the line's revenue is earned (from the price book), and over which service period
    /// (set on invoices). Absent on lines from before revenue recognition: earned at invoicing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revenue: Option<LineRevenue>,
    /// The tax charged on the line (set on invoices by the tax engine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax: Option<LineTax>,
}

/// How a line's revenue is recognised (ASC 606 / IFRS 15): over its service period, at a point
/// in time, or on delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Recognition {
    /// Evenly over the service period (subscriptions, managed hardware, support).
    Ratable,
    /// In full when invoiced (a licence or service delivered at once).
    PointInTime,
    /// In full when delivered (onboarding services): deferred until a delivery event.
    OnDelivery,
}

/// The revenue side of a priced line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LineRevenue {
    pub recognition: Recognition,
    /// First day of service (inclusive), on invoice lines of ratable revenue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_start: Option<NaiveDate>,
    /// Last day of service (inclusive), on invoice lines of ratable revenue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_end: Option<NaiveDate>,
}

/// Why a line is taxed as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaxTreatment {
    /// Taxed at the jurisdiction's rate for the product.
    Standard,
    /// B2B supply where the customer accounts for VAT (EU VAT Directive arts. 44 and 196).
    ReverseCharge,
    /// The customer holds an exemption.
    Exempt,
    /// The product is not taxable in the jurisdiction (e.g. SaaS in California).
    NotTaxable,
}

/// The tax side of an invoice line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LineTax {
    /// `US-CA`, `US-CA-SF` (state and local), `DE`, `GB`, …
    pub jurisdiction: String,
    /// Combined rate in basis points (725 = 7.25%).
    pub rate_bp: u32,
    pub amount: Money,
    pub treatment: TaxTreatment,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalSent {
    pub proposal_id: String,
    pub deal_id: String,
    pub account_id: String,
    pub lines: Vec<PricedLine>,
    pub subtotal: Money,
    pub discount_pct: f64,
    pub discount: Money,
    pub total: Money,
    /// Set when the discount went through an approval.
    #[serde(default)]
    pub approval_id: Option<String>,
    pub valid_until: NaiveDate,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DealClosedWon {
    pub deal_id: String,
    pub account_id: String,
    pub owner: String,
    pub amount: Money,
    /// The accepted proposal, when there was one.
    #[serde(default)]
    pub proposal_id: Option<String>,
    /// Why the prospect chose us, when the rep recorded it.
    #[serde(default)]
    pub reason: Option<String>,
    /// The lead the deal came from, when the CRM converted one (lead scoring learns from it).
    #[serde(default)]
    pub lead_id: Option<String>,
}

/// Contract terms a prospect asks for; anything off the standard needs legal approval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractTerms {
    pub payment_terms_days: u32,
    pub term_months: u32,
    pub auto_renew: bool,
    /// Liability cap as a multiple of annual fees.
    pub liability_cap_multiple: f64,
    /// `US-DE`, `GB`, `DE`, …
    pub governing_law: String,
    /// Clauses beyond the standard agreement, as written by the prospect.
    #[serde(default)]
    pub custom_clauses: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalAccepted {
    pub proposal_id: String,
    pub deal_id: String,
    /// Email of the person who signed.
    #[schemars(email)]
    pub accepted_by: String,
    pub terms: ContractTerms,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractIssued {
    pub contract_id: String,
    pub deal_id: String,
    pub account_id: String,
    pub proposal_id: String,
    pub total: Money,
    pub terms: ContractTerms,
    /// Non-standard terms and who approved them.
    pub deviations: Vec<String>,
    #[serde(default)]
    pub legal_approval_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectionLogged {
    pub objection_id: String,
    pub deal_id: String,
    /// price, timing, competitor, security, features, authority, other
    pub category: String,
    pub note: String,
    pub logged_by: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DealClosedLost {
    pub deal_id: String,
    pub account_id: String,
    pub owner: String,
    pub reason: String,
    /// The lead the deal came from, when the CRM converted one (lead scoring learns from it).
    #[serde(default)]
    pub lead_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceIssued {
    pub invoice_id: String,
    pub account_id: String,
    #[serde(default)]
    pub deal_id: Option<String>,
    pub lines: Vec<PricedLine>,
    pub subtotal: Money,
    pub tax: Money,
    pub total: Money,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub payment_terms_days: u32,
    /// The reverse-charge wording when no VAT is charged because the customer accounts for it
    /// (EU VAT Directive 2006/112/EC arts. 196, 226(11a); UK: HMRC), absent otherwise.
    #[serde(default)]
    pub reverse_charge_note: Option<String>,
    /// The seller's VAT id of the regime that applies (on a reverse-charge invoice, art. 226(3)).
    #[serde(default)]
    pub seller_vat_id: Option<String>,
    /// The customer's VAT id (on a reverse-charge invoice, art. 226(4)).
    #[serde(default)]
    pub customer_vat_id: Option<String>,
    /// The customer's tax-exemption certificate when no tax is charged for it.
    #[serde(default)]
    pub tax_exemption_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentReceived {
    pub payment_id: String,
    pub invoice_id: String,
    pub amount: Money,
    pub received_at: DateTime<Utc>,
    /// card, ach, wire, …
    pub method: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentFailed {
    pub payment_id: String,
    pub invoice_id: String,
    pub amount: Money,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoicePaid {
    pub invoice_id: String,
    pub account_id: String,
    pub total: Money,
    pub paid_on: NaiveDate,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditNoteRequested {
    pub request_id: String,
    pub invoice_id: String,
    pub amount: Money,
    pub reason: String,
    pub requested_by: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequested {
    pub request_id: String,
    pub invoice_id: String,
    pub amount: Money,
    pub reason: String,
    /// Email of the person asking (never the one who approves it).
    #[schemars(email)]
    pub requested_by: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundAuthorised {
    pub request_id: String,
    pub invoice_id: String,
    pub account_id: String,
    pub amount: Money,
    pub reason: String,
    /// The approval that authorised it; `None` within Billing's own limit.
    #[serde(default)]
    pub approval_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditNoteIssued {
    pub credit_note_id: String,
    pub invoice_id: String,
    pub account_id: String,
    /// The whole credit, tax included.
    pub amount: Money,
    pub reason: String,
    /// What is still owed on the invoice after the credit.
    pub outstanding: Money,
    /// The business date of the credit (when it was requested, in the company's time zone).
    #[serde(default)]
    pub issued_on: Option<NaiveDate>,
    /// The part of `amount` that reverses revenue (the invoice's subtotal, in proportion).
    #[serde(default)]
    pub subtotal: Option<Money>,
    /// The part of `amount` that reverses tax (the invoice's tax, in proportion).
    #[serde(default)]
    pub tax: Option<Money>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRefunded {
    pub refund_id: String,
    pub payment_id: String,
    pub invoice_id: String,
    pub amount: Money,
    pub reason: String,
    /// The refund pays out the customer's credit (an earlier overpayment on `invoice_id`)
    /// rather than taking back a payment of the invoice: Billing answers it with
    /// `CustomerCreditApplied` carrying `refund_id`, and the invoice is untouched.
    #[serde(default)]
    pub from_customer_credit: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentReversed {
    pub reversal_id: String,
    /// The payment taken back.
    pub payment_id: String,
    pub invoice_id: String,
    pub amount: Money,
    /// `chargeback`, `returned_debit`, …, with the processor's reason.
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerCreditRecorded {
    pub account_id: String,
    /// The invoice that was overpaid.
    pub invoice_id: String,
    pub payment_id: String,
    /// What was paid beyond the invoice's outstanding amount.
    pub amount: Money,
    /// The customer's credit in this currency after it.
    pub balance: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerCreditApplied {
    pub account_id: String,
    /// The invoice the credit paid; absent when the credit was refunded to the customer.
    #[serde(default)]
    pub invoice_id: Option<String>,
    /// The refund that paid the credit out, when it was refunded.
    #[serde(default)]
    pub refund_id: Option<String>,
    pub amount: Money,
    /// The customer's credit in this currency after it.
    pub balance: Money,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DunningAction {
    Reminder,
    Escalation,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DunningStepTaken {
    pub invoice_id: String,
    pub account_id: String,
    /// 1-based step of the dunning schedule.
    pub step: u32,
    pub days_overdue: u32,
    pub action: DunningAction,
    pub outstanding: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpenseSubmitted {
    pub expense_id: String,
    /// Email of the employee.
    #[schemars(email)]
    pub employee: String,
    pub department: String,
    pub category: String,
    pub amount: Money,
    pub incurred_on: NaiveDate,
    pub merchant: String,
    pub receipt_attached: bool,
    /// Text of the receipt (OCR or e-receipt); merchant, date and amount are checked against it.
    #[serde(default)]
    pub receipt_text: Option<String>,
    /// Email of the employee's manager, the first approver.
    #[serde(default)]
    #[schemars(email)]
    pub manager: Option<String>,
    /// Why the expense was incurred (shown to the approver).
    #[serde(default)]
    pub description: Option<String>,
    /// The Expensify report the expense came from (`R00Cs5ISTzWX`), when it came from
    /// Expensify: once Ascent reimburses it, Expense Management marks that report reimbursed
    /// there.
    #[serde(default)]
    pub expensify_report_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MonthClosed {
    /// `YYYY-MM`.
    pub period: String,
    /// Revenue invoiced (subtotals, before tax), per currency: the month's billings.
    pub revenue_invoiced: Vec<Money>,
    /// Revenue earned in the month (ASC 606 / IFRS 15), per currency: point-in-time lines when
    /// invoiced and deferred revenue released.
    #[serde(default)]
    pub revenue_recognised: Vec<Money>,
    /// The deferred-revenue balance at month end, per currency (invoiced, not yet earned).
    #[serde(default)]
    pub deferred_revenue: Vec<Money>,
    /// Cash collected on invoices less refunds, per currency.
    pub collected: Vec<Money>,
    /// Approved expenses, in the base currency.
    pub expenses: Money,
    /// Outstanding receivables at month end, per currency.
    pub receivables: Vec<Money>,
    /// Departments over their budget for the month.
    pub departments_over_budget: Vec<String>,
    /// SOX control checks run on the month's financial approvals, and how many failed.
    pub controls_checked: u32,
    pub controls_failed: u32,
    /// Balanced journal entries exported for the month.
    pub journal_lines: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExpenseOutcome {
    Approved,
    Rejected,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpenseDecided {
    pub expense_id: String,
    pub employee: String,
    pub department: String,
    pub category: String,
    /// As claimed.
    pub amount: Money,
    /// In the company's base currency (what budgets are kept in).
    pub amount_base: Money,
    pub incurred_on: NaiveDate,
    pub outcome: ExpenseOutcome,
    /// `policy` when decided automatically, else who decided.
    pub decided_by: String,
    /// Policy findings and the decision's reasons.
    pub reasons: Vec<String>,
    #[serde(default)]
    pub approval_id: Option<String>,
}

/// What one employee is paid in a reimbursement batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reimbursement {
    pub employee: String,
    pub amount: Money,
    pub expense_ids: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReimbursementBatchCreated {
    pub batch_id: String,
    pub created_on: NaiveDate,
    /// One line per employee and currency.
    pub reimbursements: Vec<Reimbursement>,
    /// Total per currency.
    pub totals: Vec<Money>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketOpened {
    pub ticket_id: String,
    pub account_id: String,
    pub subject: String,
    pub body: String,
    /// email, chat, phone, web
    pub channel: String,
    /// Who asked (email), when the support desk sends it.
    #[serde(default)]
    #[schemars(email)]
    pub requester: Option<String>,
    /// When the customer opened it at the desk (its SLA clocks start then, however late the
    /// event arrives); absent, the event's time.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TicketPriority {
    Urgent,
    High,
    Normal,
    Low,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketTriaged {
    pub ticket_id: String,
    pub account_id: String,
    pub priority: TicketPriority,
    /// billing, hardware, access, performance, bug, how_to
    pub category: String,
    pub team: String,
    /// Sentiment of the text, −100 (angry) to 100 (happy).
    pub sentiment: i32,
    pub first_response_due: DateTime<Utc>,
    pub resolution_due: DateTime<Utc>,
    /// Knowledge-base articles that may answer it, best first.
    pub suggested_articles: Vec<String>,
    /// Why this priority and category.
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketResponded {
    pub ticket_id: String,
    pub account_id: String,
    pub responder: String,
    pub responded_at: DateTime<Utc>,
}

/// Where a ticket stands at the desk, for its SLA clocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// Someone at the desk owes the next move: the clocks run.
    Open,
    /// Waiting on the customer's answer: the clocks pause.
    Pending,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketStatusChanged {
    pub ticket_id: String,
    pub account_id: String,
    pub status: TicketStatus,
    /// When the desk changed it.
    pub changed_at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlaTimer {
    FirstResponse,
    Resolution,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaBreached {
    pub ticket_id: String,
    pub account_id: String,
    pub timer: SlaTimer,
    pub priority: TicketPriority,
    pub due_at: DateTime<Utc>,
    /// Who was told (the team lead).
    pub escalated_to: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketMerged {
    pub ticket_id: String,
    pub into_ticket_id: String,
    pub account_id: String,
    /// The surviving ticket's priority after the merge (the higher of the two).
    #[serde(default)]
    pub priority: Option<TicketPriority>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KnowledgeArticlePublished {
    pub article_id: String,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    /// Revision, counting from 1; an older revision than the stored one is ignored.
    pub version: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebinarScheduled {
    pub webinar_id: String,
    pub title: String,
    /// Words the webinar is about (matched against ticket topics).
    pub topic: String,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: u32,
    pub capacity: u32,
    pub presenter: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebinarRegistrationRequested {
    pub webinar_id: String,
    #[schemars(email)]
    pub email: String,
    pub name: String,
    #[serde(default)]
    pub account_id: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationStatus {
    Registered,
    /// The webinar is full; a seat is offered if someone cancels.
    Waitlisted,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebinarRegistered {
    pub webinar_id: String,
    #[schemars(email)]
    pub email: String,
    pub status: RegistrationStatus,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainingRecommended {
    pub account_id: String,
    pub ticket_id: String,
    /// Article ids, best first.
    pub articles: Vec<String>,
    /// Upcoming webinars on the topic.
    #[serde(default)]
    pub webinars: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KnowledgeGapFound {
    /// The topic's key terms.
    pub topic: String,
    pub ticket_ids: Vec<String>,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OnboardingMilestone {
    AccountSetUp,
    FirstXrSession,
    TeamInvited,
    FirstProjectShipped,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OnboardingMilestoneReached {
    pub account_id: String,
    pub milestone: OnboardingMilestone,
    pub reached_at: DateTime<Utc>,
    pub due_on: NaiveDate,
    pub on_time: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OnboardingStalled {
    pub account_id: String,
    pub milestone: OnboardingMilestone,
    pub due_on: NaiveDate,
    /// Who got the intervention task.
    pub assigned_to: String,
    /// Which escalation of this milestone it is (1: it just stalled).
    #[serde(default)]
    pub escalation: Option<u32>,
    /// The last escalation: onboarding is given up as at risk, for Retention and the CS
    /// Director to take over.
    #[serde(default)]
    pub at_risk: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OnboardingCompleted {
    pub account_id: String,
    pub plan: String,
    pub days_taken: u32,
    /// Milestones reached after their due date.
    pub late_milestones: Vec<OnboardingMilestone>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthTier {
    Healthy,
    Watch,
    AtRisk,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthComponent {
    /// usage_trend, tickets, nps, payments, engagement
    pub name: String,
    /// 0–100.
    pub score: u8,
    /// Weight in the total, 0–1.
    pub weight: f64,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthScored {
    pub account_id: String,
    /// 0–100.
    pub score: u8,
    pub tier: HealthTier,
    pub components: Vec<HealthComponent>,
    /// The weights' version (`default-v1`, `logit-v12`).
    pub model: String,
    /// Annual recurring revenue of the account, when invoiced.
    #[serde(default)]
    pub arr: Option<Money>,
    #[serde(default)]
    pub renews_on: Option<NaiveDate>,
    /// The account's ARR in each currency it is billed in (recurring lines only), when
    /// Retention knows it; `arr` is the same figure when there is only one currency.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arr_by_currency: Vec<Money>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Playbook {
    ExecutiveOutreach,
    TrainingOffer,
    SuccessPlan,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InterventionPlanned {
    pub account_id: String,
    pub playbook: Playbook,
    pub reason: String,
    pub owner: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewalApproaching {
    pub account_id: String,
    pub renews_on: NaiveDate,
    /// 90, 60 or 30.
    pub days_left: u32,
    pub arr: Money,
    pub tier: HealthTier,
    /// The contract term (months) that ends on `renews_on`, when a contract is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term_months: Option<u32>,
    /// Whether the contract renews by itself unless cancelled, when a contract is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_renew: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountRenewed {
    pub account_id: String,
    pub renewed_on: NaiveDate,
    pub arr: Money,
    /// The renewed term in months (the next renewal is this long after `renewed_on`); absent:
    /// the same term as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term_months: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountChurned {
    pub account_id: String,
    pub churned_on: NaiveDate,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CsReportPublished {
    /// Monday of the week reported.
    pub week_of: NaiveDate,
    pub accounts: u32,
    pub healthy: u32,
    pub watch: u32,
    pub at_risk: u32,
    /// Promoters minus detractors, −100..100, over the last 90 days; `None` without answers.
    #[serde(default)]
    pub nps: Option<i32>,
    /// ARR renewing in the next 90 days, of it at risk, and expected to renew.
    pub arr_up_for_renewal: Money,
    pub arr_at_risk: Money,
    pub arr_expected: Money,
    pub upsell_candidates: Vec<String>,
    /// The portfolio's ARR per currency (never summed across currencies).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arr_by_currency: Vec<Money>,
    /// ARR renewing in the next 90 days per currency (the single figures above are these,
    /// converted as `conversion` says).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arr_up_for_renewal_by_currency: Vec<Money>,
    /// Of it, at risk, per currency.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arr_at_risk_by_currency: Vec<Money>,
    /// Of it, expected to renew, per currency.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arr_expected_by_currency: Vec<Money>,
    /// The portfolio's ARR converted to the base currency (a converted figure, see
    /// `conversion`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arr_converted: Option<Money>,
    /// How the single-currency figures were converted (e.g. `converted to USD at the
    /// [currency] rates`); absent on reports from before per-currency ARR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversion: Option<String>,
}

/// A daily series Operations Analytics follows and forecasts.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OperationsSeries {
    /// Paid invoices per day (`InvoicePaid` on its `paid_on`), in the base currency.
    Revenue,
    /// Value of the open deals at the end of each day, in the base currency.
    Pipeline,
    /// Tickets opened per day.
    Tickets,
}

/// A forecast's band at one coverage, from the back-tested errors of its horizon.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ForecastBand {
    /// The share of actual values the band is meant to hold (0.8 for 80%).
    pub coverage: f64,
    /// Lower bound (never below zero).
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

/// One forecast day of a series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ForecastPoint {
    pub day: NaiveDate,
    /// The forecast (never below zero).
    pub value: f64,
    /// One band per configured coverage, narrowest first; empty when the history is too short
    /// to back-test.
    #[serde(default)]
    pub bands: Vec<ForecastBand>,
}

/// The smoothing weights a forecast used (Holt-Winters additive: level, trend, season).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ForecastSmoothing {
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
}

/// One series of the weekly forecast: its recent trend and its forecast with bands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesForecast {
    pub series: OperationsSeries,
    /// The values' unit: the base currency's code (amounts in major units, `1250.5` USD) or
    /// `tickets`.
    pub unit: String,
    /// Days of history the forecast was made from (the first day with data to yesterday).
    pub history_days: u32,
    /// The last 7 days: their sum (revenue, tickets) or the level on the last day (pipeline).
    pub last_7_days: f64,
    /// The 7 days before them, the same way.
    pub previous_7_days: f64,
    /// The fitted trend per day, when forecast.
    #[serde(default)]
    pub trend_per_day: Option<f64>,
    /// The smoothing weights, when forecast.
    #[serde(default)]
    pub smoothing: Option<ForecastSmoothing>,
    /// Back-test origins the bands come from (0: no bands).
    pub backtest_origins: u32,
    /// The days ahead, from the report's day; empty when the history is too short.
    #[serde(default)]
    pub points: Vec<ForecastPoint>,
    /// Why there is no forecast or no band (too little history); absent otherwise.
    #[serde(default)]
    pub note: Option<String>,
}

/// One sign-up month's customers and the share still customers after each month.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CohortRetention {
    /// The sign-up month, `YYYY-MM`.
    pub cohort: String,
    /// Customers who signed up that month.
    pub customers: u32,
    /// `retained[k - 1]`: the share (0–1) not churned by the end of the k-th month after the
    /// sign-up month, for each such month already over.
    pub retained: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ForecastPublished {
    /// The report's day (forecasts start on it; history ends the day before).
    pub as_of: NaiveDate,
    /// Revenue, pipeline and tickets, in that order.
    pub series: Vec<SeriesForecast>,
    /// The cohort retention table, oldest cohort first.
    #[serde(default)]
    pub cohorts: Vec<CohortRetention>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketResolved {
    pub ticket_id: String,
    pub account_id: String,
    pub resolution: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerSignedUp {
    pub account_id: String,
    pub company: String,
    /// starter, team, enterprise
    pub plan: String,
    pub seats: u32,
    /// ISO 3166-1 alpha-2, plus `-` and region for US states / CA provinces (e.g. `US-CA`).
    pub tax_region: String,
    #[schemars(email)]
    pub billing_email: String,
    #[serde(default = "default_terms")]
    pub payment_terms_days: u32,
    pub currency: String,
    /// A local tax area within the region (`US-CA-LA`), for state plus local sales tax.
    #[serde(default)]
    pub tax_locality: Option<String>,
    /// The customer's VAT id with its country prefix (`DE123456789`, `GB123456789`): a business
    /// customer (B2B), format-checked per country (EU VIES formats, GB 9 or 12 digits).
    #[serde(default)]
    pub vat_id: Option<String>,
    /// The id of the customer's tax-exemption certificate (resale, non-profit, government).
    #[serde(default)]
    pub tax_exemption_id: Option<String>,
}

/// The formats of VAT ids after the country prefix, per the EU VIES rules of each member state
/// and GB/XI (9 or 12 digits): `9` a digit, `A` a letter, `X` a digit or letter, else literal.
const VAT_ID_FORMATS: &[(&str, &[&str])] = &[
    ("AT", &["U99999999"]),
    ("BE", &["9999999999"]),
    ("BG", &["999999999", "9999999999"]),
    ("CY", &["99999999A"]),
    ("CZ", &["99999999", "999999999", "9999999999"]),
    ("DE", &["999999999"]),
    ("DK", &["99999999"]),
    ("EE", &["999999999"]),
    ("EL", &["999999999"]),
    ("ES", &["X9999999X"]),
    ("FI", &["99999999"]),
    ("FR", &["XX999999999"]),
    ("HR", &["99999999999"]),
    ("HU", &["99999999"]),
    ("IE", &["9999999A", "9999999AA", "9X99999A"]),
    ("IT", &["99999999999"]),
    ("LT", &["999999999", "999999999999"]),
    ("LU", &["99999999"]),
    ("LV", &["99999999999"]),
    ("MT", &["99999999"]),
    ("NL", &["999999999B99"]),
    ("PL", &["9999999999"]),
    ("PT", &["999999999"]),
    (
        "RO",
        &[
            "99",
            "999",
            "9999",
            "99999",
            "999999",
            "9999999",
            "99999999",
            "999999999",
            "9999999999",
        ],
    ),
    ("SE", &["999999999999"]),
    ("SI", &["99999999"]),
    ("SK", &["9999999999"]),
    ("GB", &["999999999", "999999999999"]),
    ("XI", &["999999999", "999999999999"]),
];

/// A VAT id without spaces, dots or dashes, upper-case (`de 123.456.789` → `DE123456789`).
pub fn normalize_vat_id(id: &str) -> String {
    id.chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .collect::<String>()
        .to_ascii_uppercase()
}

/// Checks a VAT id's format for its country prefix; the error says what is wrong.
pub fn check_vat_id(id: &str) -> Result<(), String> {
    let id = normalize_vat_id(id);
    let (country, rest) = id.split_at(id.len().min(2));
    let Some((_, formats)) = VAT_ID_FORMATS.iter().find(|(c, _)| *c == country) else {
        return Err(format!(
            "{id}: no VAT id format for country prefix {country:?}"
        ));
    };
    let fits = |f: &str| {
        f.len() == rest.len()
            && f.bytes().zip(rest.bytes()).all(|(p, c)| match p {
                b'9' => c.is_ascii_digit(),
                b'A' => c.is_ascii_uppercase(),
                b'X' => c.is_ascii_alphanumeric(),
                lit => lit == c,
            })
    };
    if formats.iter().any(|f| fits(f)) {
        Ok(())
    } else {
        Err(format!(
            "{id} is not a {country} VAT id ({})",
            formats.join(" or ")
        ))
    }
}

fn default_terms() -> u32 {
    30
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageReported {
    pub account_id: String,
    /// xr_sessions, active_seats, storage_gb, …
    pub metric: String,
    pub quantity: f64,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NpsResponse {
    pub account_id: String,
    pub respondent: String,
    /// 0–10.
    pub score: u8,
    #[serde(default)]
    pub comment: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignLaunched {
    pub campaign_id: String,
    pub name: String,
    pub channel: String,
    pub budget: Money,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeywordRankObserved {
    /// The tracked search query as typed (`xr maintenance training`).
    pub keyword: String,
    /// Our page that ranks for it; `None` when none is in the top 100.
    #[serde(default)]
    pub url: Option<String>,
    /// Our position in the results, 1 (first) to 100; `None`: not in the top 100.
    #[serde(default)]
    pub rank: Option<u32>,
    /// Searches a month.
    pub search_volume: u32,
    /// The tracker's keyword difficulty, 0 (easy) to 100 (hardest).
    pub difficulty: u32,
    /// The day the position was observed.
    pub observed_on: NaiveDate,
}

/// A keyword a competitor ranks for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompetitorKeyword {
    /// The search query.
    pub keyword: String,
    /// The competitor's position, 1 to 100.
    pub rank: u32,
    /// Searches a month.
    pub search_volume: u32,
    /// Keyword difficulty, 0 (easy) to 100 (hardest).
    pub difficulty: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompetitorKeywordsObserved {
    /// The competitor's domain (`rivalxr.example`).
    pub competitor: String,
    /// The day the rankings were observed.
    pub observed_on: NaiveDate,
    /// One page of the keywords it ranks for (at most `[seo] competitor_keywords_per_event`).
    pub keywords: Vec<CompetitorKeyword>,
}

/// A link found on a crawled page, with the status its target answered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CrawledLink {
    /// The link's target.
    pub href: String,
    /// The HTTP status its target answered (100 to 599).
    pub status: u16,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PageCrawled {
    /// The page's address.
    pub url: String,
    /// The HTTP status the page answered (100 to 599).
    pub status: u16,
    /// Its `<title>`; `None` when it has none.
    #[serde(default)]
    pub title: Option<String>,
    /// Its `<meta name="description">`; `None` when it has none.
    #[serde(default)]
    pub meta_description: Option<String>,
    /// Milliseconds until the page had loaded.
    pub load_ms: u32,
    /// The links on the page, each with its target's status.
    #[serde(default)]
    pub links: Vec<CrawledLink>,
    /// When the crawler fetched it.
    pub crawled_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContentGapFound {
    /// The keyword, normalised (trimmed, lower case, single spaces).
    pub keyword: String,
    /// Searches a month.
    pub search_volume: u32,
    /// Keyword difficulty, 0 to 100.
    pub difficulty: u32,
    /// The competitor that ranks for it.
    pub competitor: String,
    /// The competitor's position.
    pub competitor_rank: u32,
    /// Our last observed position; `None`: we do not rank (or do not track it).
    #[serde(default)]
    pub our_rank: Option<u32>,
    /// Expected extra clicks a month at the competitor's position, discounted by difficulty
    /// (docs/marketing.md, SEO).
    pub score: u32,
}

/// One keyword of SEO's ranked opportunities.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeywordOpportunity {
    /// The keyword, normalised.
    pub keyword: String,
    /// Our ranking page, when one ranks.
    #[serde(default)]
    pub url: Option<String>,
    /// Our last observed position; `None`: not in the top 100.
    #[serde(default)]
    pub rank: Option<u32>,
    /// Searches a month.
    pub search_volume: u32,
    /// Keyword difficulty, 0 to 100.
    pub difficulty: u32,
    /// Expected extra clicks a month at the target position, discounted by difficulty.
    pub score: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeywordOpportunitiesRanked {
    /// The report day.
    pub as_of: NaiveDate,
    /// Best first.
    pub opportunities: Vec<KeywordOpportunity>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContentDraftSubmitted {
    /// The piece's id in the CMS (a brief's piece id when the draft answers a brief).
    pub piece_id: String,
    /// The calendar channel of `[content_marketing.channels]` it is for (`blog`, `newsletter`).
    pub channel: String,
    /// The headline.
    pub title: String,
    /// The text in Markdown: `#` headings, paragraphs separated by blank lines.
    pub body: String,
    /// The target keyword first, then related terms.
    pub keywords: Vec<String>,
    /// Who wrote it: told whether it passed the gate, and why not.
    #[schemars(email)]
    pub author: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseStudyConsentGiven {
    /// The customer account that agreed.
    pub account_id: String,
    /// The name the customer agreed to be published under.
    pub company: String,
    /// Who agreed on the customer's side (the case study's interviewee).
    pub contact_name: String,
    /// Their address.
    #[schemars(email)]
    pub contact_email: String,
    /// A quote they approved for publication, when they gave one.
    #[serde(default)]
    pub quote: Option<String>,
    /// The day the consent was signed.
    pub given_on: NaiveDate,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseStudyConsentWithdrawn {
    /// The customer account that withdrew its consent.
    pub account_id: String,
    /// The day it was withdrawn.
    pub withdrawn_on: NaiveDate,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContentEngagementObserved {
    /// The content piece (its CMS id).
    pub piece_id: String,
    /// Page views that day.
    pub views: u32,
    /// Clicks on its calls to action that day.
    pub clicks: u32,
    /// Shares that day.
    pub shares: u32,
    /// The day counted: each observation is that day's total, so a repeat replaces it.
    pub observed_on: NaiveDate,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContentScheduled {
    /// The content piece (its CMS id).
    pub piece_id: String,
    /// Its calendar channel (`blog`, `newsletter`, `case_study`).
    pub channel: String,
    /// The headline.
    pub title: String,
    /// The day it is published.
    pub publish_on: NaiveDate,
    /// The target keyword first, then related terms.
    pub keywords: Vec<String>,
}

/// One version of a marketing email: its templates fill `{placeholders}` from the
/// recipient's profile (`company`, `plan`, `seats`, `country`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailVariant {
    /// Its name in results (`A`, `B`, `short-subject`).
    pub name: String,
    /// Subject template.
    pub subject: String,
    /// Body template (plain text); the compliance footer is added after it.
    pub body: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailCampaignScheduled {
    /// The campaign's id (the CRM's), unique.
    pub campaign_id: String,
    /// Its name, for people.
    pub name: String,
    /// The segment of `[email_marketing]` it goes to.
    pub segment: String,
    /// When sending starts (at once when already past).
    pub send_at: DateTime<Utc>,
    /// One variant, or two for an A/B test.
    pub variants: Vec<EmailVariant>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailCampaignResumed {
    /// The paused campaign.
    pub campaign_id: String,
    /// Who resumed it.
    #[schemars(email)]
    pub resumed_by: String,
    /// What was done about the cause (list cleaned, content changed).
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailClicked {
    /// Who clicked.
    #[schemars(email)]
    pub email: String,
    /// The link clicked.
    pub url: String,
    /// When.
    pub clicked_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailBatchDue {
    pub campaign_id: String,
    /// The batch's number, from 1: a batch is taken once, in order.
    pub batch: u32,
    /// The segment page starts after this profile (`None`: from the first).
    #[serde(default)]
    pub after: Option<String>,
}

/// How an A/B test came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AbTestOutcome {
    /// One variant is better at the configured significance.
    Winner,
    /// No significant difference: the rest get the first variant.
    NoDifference,
    /// A variant has fewer sends than the configured minimum: the rest get the first variant.
    TooSmall,
}

/// One variant's result in an A/B test.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AbVariantResult {
    pub variant: String,
    /// Emails sent with it.
    pub sent: u32,
    /// Recipients who responded (opened or clicked, as configured), each once.
    pub responded: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailAbTestDecided {
    pub campaign_id: String,
    pub outcome: AbTestOutcome,
    /// The variant the rest of the segment gets.
    pub rest_get: String,
    /// `opens` or `clicks`.
    pub metric: String,
    pub results: Vec<AbVariantResult>,
    /// The two-proportion z statistic (first minus second), when the sample sufficed.
    #[serde(default)]
    pub z: Option<f64>,
    /// Its two-sided p-value.
    #[serde(default)]
    pub p_value: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailCampaignPaused {
    pub campaign_id: String,
    /// `bounce_rate` or `complaint_rate`.
    pub metric: String,
    /// The rate, in percent of the emails sent.
    pub rate_pct: f64,
    /// The configured maximum, in percent.
    pub threshold_pct: f64,
    /// Emails sent when it paused.
    pub sent: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailCampaignCompleted {
    pub campaign_id: String,
    /// Emails sent.
    pub sent: u32,
    /// Recipients left out: on the suppression list or opted out.
    pub suppressed: u32,
    /// Batches it took.
    pub batches: u32,
}

/// A marketing channel: where a touch happened, where money was spent.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MarketingChannel {
    Email,
    Social,
    /// Organic search (SEO).
    Search,
    /// Paid ads (search, social, display).
    Paid,
    Webinar,
    /// Trade shows, meetups, field events.
    Event,
    Content,
    Referral,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TouchRecorded {
    /// The touch's id in the web analytics: a touch sent twice is recorded once.
    pub touch_id: String,
    /// The contact touched.
    #[schemars(email)]
    pub email: String,
    pub channel: MarketingChannel,
    /// The campaign the touch came from (`utm_campaign`), when it had one.
    #[serde(default)]
    pub campaign_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MarketingSpendRecorded {
    /// The booking's id: a spend sent twice is counted once.
    pub spend_id: String,
    pub channel: MarketingChannel,
    /// The campaign the money was spent on, when it was one campaign's.
    #[serde(default)]
    pub campaign_id: Option<String>,
    /// What was spent (not negative; a refund is booked against the next spend).
    pub amount: Money,
    /// The day the money was spent (the measured period it counts in).
    pub spent_on: NaiveDate,
}

/// How won revenue is shared among the touches before the win.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AttributionModel {
    /// All to the first touch.
    FirstTouch,
    /// All to the last touch.
    LastTouch,
    /// Equal shares.
    Linear,
    /// Shares halving with each half-life of age before the last touch.
    TimeDecay,
    /// Fixed shares to the first and last touch, the rest split among the middle ones.
    PositionBased,
}

/// One channel's measured return over a period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelReturn {
    pub channel: MarketingChannel,
    /// Spent on the channel in the period (base currency).
    pub spend: Money,
    /// Won revenue credited to the channel's touches by the report's model (base currency).
    pub attributed_revenue: Money,
    /// Attributed revenue per unit spent (2.5: 2.50 back for every 1.00); `None` when nothing
    /// was spent. What the Marketing Orchestrator allocates budget by.
    #[serde(default)]
    pub return_per_unit: Option<f64>,
    /// (attributed revenue − spend) / spend; `None` when nothing was spent.
    #[serde(default)]
    pub roi: Option<f64>,
    /// New customers credited to the channel (fractions of customers, two decimals).
    pub customers: f64,
    /// Customer acquisition cost: spend / new customers; `None` without customers.
    #[serde(default)]
    pub cac: Option<Money>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelReturnsMeasured {
    /// First day measured.
    pub from: NaiveDate,
    /// Last day measured (the day before the report).
    pub to: NaiveDate,
    /// The model the revenue and customers were credited by.
    pub model: AttributionModel,
    /// Every channel with spend or attributed revenue in the period, highest return first.
    pub channels: Vec<ChannelReturn>,
    /// Won revenue of the period with no touch in its attribution window (no channel's).
    pub unattributed_revenue: Money,
    /// Every campaign with spend or credited customers in the period, by campaign id: the
    /// Marketing Orchestrator checks each campaign's cost per acquisition against its target.
    #[serde(default)]
    pub campaigns: Vec<CampaignReturn>,
}

/// One campaign's measured figures over a period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignReturn {
    pub campaign_id: String,
    /// The channel it ran on (the first one seen).
    pub channel: MarketingChannel,
    /// Spent on the campaign in the period (base currency).
    pub spend: Money,
    /// Won revenue credited to the campaign's touches (base currency).
    pub attributed_revenue: Money,
    /// New customers credited to the campaign (fractions of customers, two decimals).
    pub customers: f64,
    /// Cost per acquisition: spend / new customers; `None` without customers.
    #[serde(default)]
    pub cac: Option<Money>,
}

/// A campaign's budget on one channel (for the whole campaign).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelBudget {
    pub channel: MarketingChannel,
    /// Not negative, in the base currency.
    pub amount: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignPlanned {
    /// The campaign's id (the CRM's; `utm_campaign` of its touches), unique.
    pub campaign_id: String,
    /// Its name, for people.
    pub name: String,
    /// Who runs it.
    #[schemars(email)]
    pub owner: String,
    pub starts_on: NaiveDate,
    /// Last day (not before `starts_on`).
    pub ends_on: NaiveDate,
    /// Its budget per channel, each channel once.
    pub budgets: Vec<ChannelBudget>,
    /// Goal: new customers the campaign should bring.
    pub goal_customers: u32,
    /// Target cost per acquisition (spend / new customers); above it the Orchestrator raises
    /// `ThresholdCrossed`. `None`: no target.
    #[serde(default)]
    pub target_cpa: Option<Money>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignPaused {
    pub campaign_id: String,
    /// Why (creative refresh, budget review, brand safety).
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignResumed {
    pub campaign_id: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignEnded {
    pub campaign_id: String,
    /// Why (ran its course, goal reached, stopped).
    pub reason: String,
}

/// One channel's budget in a reallocation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelAllocation {
    pub channel: MarketingChannel,
    /// Its budget for the period from now on (base currency).
    pub budget: Money,
    /// Its budget until now.
    pub previous: Money,
    /// The measured return per unit spent it was ranked by; `None`: no data (kept at its floor).
    #[serde(default)]
    pub return_per_unit: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetReallocated {
    /// The period the plan is for: from the measured returns' report day.
    pub period: NaiveDate,
    /// Every budgeted channel, in `[marketing_orchestrator.channels]` order.
    pub allocations: Vec<ChannelAllocation>,
    /// The sum of the budgets.
    pub total: Money,
    /// The approval it needed (an increase over the plan total or above the configured amount
    /// on one channel); `None`: within the limits.
    #[serde(default)]
    pub approval_id: Option<String>,
    /// Who approved it, when it needed approval.
    #[serde(default)]
    pub approved_by: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MentionObserved {
    /// The listening service's id of the mention: a mention sent twice is handled once.
    pub mention_id: String,
    /// The platform it was posted on (`linkedin`, `mastodon`, `x`, …), as configured.
    pub platform: String,
    /// The author's handle or display name on the platform.
    pub author: String,
    /// The author's email, when the listening service could match the profile to one.
    #[serde(default)]
    #[schemars(email)]
    pub author_email: Option<String>,
    /// The mention's text as posted.
    pub text: String,
    /// When the author posted it.
    pub posted_at: DateTime<Utc>,
    /// Link to the mention on the platform.
    pub url: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SocialPostRequested {
    /// The post's id: a request sent twice is scheduled once.
    pub post_id: String,
    /// The platform to post on, as configured.
    pub platform: String,
    /// The post's text.
    pub text: String,
    /// The post may not go out before this time.
    pub earliest: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostEngagementObserved {
    /// The published post's id (a later observation of the same post replaces the earlier).
    pub post_id: String,
    /// The platform it was published on.
    pub platform: String,
    /// When it was published.
    pub posted_at: DateTime<Utc>,
    /// Times it was shown.
    pub impressions: u64,
    /// Reactions, comments, shares and clicks on it.
    pub engagements: u64,
}

/// Where a scheduled post's slot came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlotBasis {
    /// Ranked by the platform's observed engagement rate in that weekday and hour.
    Learned,
    /// The configured default slot table (not enough engagement observed yet).
    Default,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SocialPostScheduled {
    pub post_id: String,
    pub platform: String,
    /// When it goes out (the start of its slot).
    pub scheduled_for: DateTime<Utc>,
    /// The slot in the audience's time zone, as `Tue 10:00`.
    pub slot: String,
    pub basis: SlotBasis,
    /// The slot's observed engagement rate (engagements per impression), when learned.
    #[serde(default)]
    pub engagement_rate: Option<f64>,
}

/// The next page of one platform's publishing run: publish the next posts due by the run's
/// start; the page after is announced while more are due.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SocialPublishingPageDue {
    /// The platform whose posts are published (`mastodon`, …), as configured.
    pub platform: String,
    /// When the run started (the hourly tick's time): the run's id, and posts due by then
    /// are published.
    pub run_started_at: DateTime<Utc>,
    /// 0-based page of the run.
    pub page: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SocialPostPublished {
    /// Our id of the post (its `SocialPostRequested`'s).
    pub post_id: String,
    /// The platform it went out on.
    pub platform: String,
    /// The platform's id of the post (what its engagement is reported under there).
    pub remote_id: String,
    /// Link to the post on the platform, when the platform gave one.
    #[serde(default)]
    pub url: Option<String>,
    /// The slot it was scheduled for.
    pub scheduled_for: DateTime<Utc>,
    /// When the platform took it.
    pub published_at: DateTime<Utc>,
}

/// How often a department's report goes out.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ReportCadence {
    /// Every day: the day before the daily run.
    Daily,
    /// Once a week: the seven days before the configured weekday.
    Weekly,
    /// On the first business day of a month: the month before.
    Monthly,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportDue {
    /// The department the report is for: `marketing`, `sales`, `finance`, `customer_success`
    /// or `operations` (a section of `[reporting.departments]`).
    pub department: String,
    pub cadence: ReportCadence,
    /// The first day the report covers (the company's time zone).
    pub from: NaiveDate,
    /// The last day the report covers, inclusive.
    pub to: NaiveDate,
}

// ---------------------------------------------------------------- agent payloads

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskCompleted {
    pub agent: String,
    pub task: String,
    pub subject: String,
    pub outcome: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExceptionRaised {
    pub agent: String,
    pub subject: String,
    pub reason: String,
    pub severity: Severity,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRequested {
    pub approval_id: String,
    /// What kind of decision (discount, expense, contract_terms, …).
    pub kind: String,
    /// The entity the decision is about (deal id, expense id, …).
    pub subject: String,
    pub summary: String,
    #[serde(default)]
    pub amount: Option<Money>,
    pub requester: String,
    pub approver: String,
    /// 0 for the first approver, 1 after one escalation, …
    pub step: u32,
    pub deadline: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalOutcome {
    Approved,
    Rejected,
    Expired,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalDecided {
    pub approval_id: String,
    pub kind: String,
    pub subject: String,
    /// Agent that asked for the approval.
    pub requested_by_agent: String,
    /// The amount the decision was about, when it had one (SOX checks use it).
    #[serde(default)]
    pub amount: Option<Money>,
    pub outcome: ApprovalOutcome,
    #[serde(default)]
    pub decided_by: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    pub requester: String,
}

// ---------------------------------------------------------------- system payloads

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureRequested {
    /// The request's id: the audit trail's records of the erasure carry it.
    pub request_id: String,
    /// The person's address: every record found by it (and by what those records identify
    /// the person with) is erased or pseudonymised.
    #[schemars(email)]
    pub email: String,
    /// A phone number the person gave, in E.164, when the request names one.
    #[serde(default)]
    #[schemars(regex(pattern = r"^\+[1-9][0-9]{1,14}$"))]
    pub phone: Option<String>,
    /// Who handled the request (a privacy-desk agent's name or role), never the subject.
    pub requested_by: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataSyncCompleted {
    pub system: String,
    pub records: u64,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// Records pulled from the system this run (CRM Management's two-way sync).
    #[serde(default)]
    pub pulled: u64,
    /// Changes pushed to the system this run.
    #[serde(default)]
    pub pushed: u64,
    /// Fields changed on both sides since the last sync, resolved by timestamp then priority.
    #[serde(default)]
    pub conflicts: u64,
    /// Pushes that failed this run (they stay queued for the next run).
    #[serde(default)]
    pub failures: u64,
    /// Changes still queued for the system after this run.
    #[serde(default)]
    pub queued: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorOccurred {
    pub component: String,
    pub message: String,
    #[serde(default)]
    pub event_id: Option<String>,
}

/// A message the platform gave up on for now: its agent, its event and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageDeadLettered {
    /// The agent whose handler failed (`billing`).
    pub agent: String,
    /// The agent's queue class (`priority`, `batch`): with the agent it names the queue (on
    /// AWS `ascent-<stage>-<agent>-<class>`).
    pub queue: String,
    /// The failed event's id (a body that was no event: the SQS message id).
    pub event_id: String,
    /// The failed event's detail-type (empty for a body that was no event).
    pub detail_type: String,
    /// Why the last attempt failed, as the engine reported it.
    pub reason: String,
    /// Deliveries of the message before it was dead-lettered.
    pub receive_count: u32,
    /// When the message was first delivered to the agent.
    pub first_received_at: DateTime<Utc>,
    /// When it was dead-lettered.
    pub dead_lettered_at: DateTime<Utc>,
    /// The failed event's correlation id, when it was an event.
    #[serde(default)]
    pub correlation_id: Option<String>,
}

impl MessageDeadLettered {
    /// The notice as an event from `ascent.system`, in the failed event's flow. Its id is
    /// derived from the agent, the event and the moment: a message dead-lettered again after
    /// a redrive is a new notice, the same settlement announced twice the same one.
    pub fn event(self) -> crate::event::Event {
        let at = self.dead_lettered_at;
        let id = crate::event::name_uuid(&format!(
            "dead-letter|{}|{}|{}",
            self.agent,
            self.event_id,
            at.timestamp_millis()
        ));
        let correlation = self
            .correlation_id
            .as_deref()
            .and_then(|c| uuid::Uuid::parse_str(c).ok())
            .unwrap_or(id);
        crate::event::Event::with_ids(
            crate::producers::SYSTEM_SOURCE,
            crate::event::Actor::system("dead-letters"),
            at,
            self,
            id,
            correlation,
            None,
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Above,
    Below,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ThresholdCrossed {
    pub metric: String,
    pub value: f64,
    pub threshold: f64,
    pub direction: Direction,
}

/// One agent's queue over a window, as the platform observed it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueDepthObserved {
    /// The agent whose queue it is (`support`, `billing`, …).
    pub agent: String,
    /// Messages waiting in the queue at the end of the window.
    pub depth: u64,
    /// Messages that arrived in the queue during the window.
    pub arrived: u64,
    /// Messages the agent handled during the window.
    pub handled: u64,
    /// Mean time the agent took to handle one message, in milliseconds.
    pub mean_handling_ms: f64,
    /// Length of the window, in seconds.
    pub window_seconds: u32,
    /// End of the window.
    pub observed_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleTick {
    /// Name of the schedule (`daily`, `hourly`, …).
    pub schedule: String,
    pub at: DateTime<Utc>,
}

impl ScheduleTick {
    /// The tick of a schedule for a time as an event from `ascent.scheduler`; its id is derived
    /// from both, so a tick fired twice (a scheduler retry, a restart) is delivered once.
    pub fn event(schedule: &str, at: DateTime<Utc>) -> crate::event::Event {
        let id = crate::event::name_uuid(&format!("schedule|{schedule}|{}", at.to_rfc3339()));
        crate::event::Event::with_ids(
            "ascent.scheduler",
            crate::event::Actor::system("scheduler"),
            at,
            ScheduleTick {
                schedule: schedule.into(),
                at,
            },
            id,
            id,
            None,
        )
    }
}

/// Semantic checks serde cannot express; the error is `(field path, problem)`.
pub(crate) fn check_payload(p: &Payload) -> Result<(), (String, String)> {
    // Refusals name the rule, not the value (`Money::check_non_negative` quotes it).
    fn money(path: &str, m: &Money) -> Result<(), (String, String)> {
        if m.check().is_err() {
            return Err((
                path.to_string(),
                "the currency is not a three-letter ISO 4217 code".into(),
            ));
        }
        if m.check_non_negative().is_err() {
            return Err((path.to_string(), "the amount is negative".into()));
        }
        Ok(())
    }
    fn non_empty(path: &str, s: &str) -> Result<(), (String, String)> {
        if s.trim().is_empty() {
            Err((path.to_string(), "must not be empty".into()))
        } else {
            Ok(())
        }
    }
    // Contact data: the refusal names the rule, never the value (personal data).
    fn email(path: &str, s: &str) -> Result<(), (String, String)> {
        crate::contact::check_email(s).map_err(|e| (path.to_string(), e.to_string()))
    }
    fn optional_email(path: &str, s: &Option<String>) -> Result<(), (String, String)> {
        s.as_deref().map_or(Ok(()), |s| email(path, s))
    }
    fn phone(path: &str, s: &Option<String>) -> Result<(), (String, String)> {
        s.as_deref().map_or(Ok(()), |s| {
            crate::contact::check_phone(s).map_err(|e| (path.to_string(), e.to_string()))
        })
    }
    // A call consent carries its kind and that kind's evidence; nothing else carries one.
    fn call_consent(c: &ContactPreferenceChanged) -> Result<(), (String, String)> {
        let given = c.change == ContactPreference::CallConsentGiven;
        let Some(consent) = &c.consent else {
            return match given {
                true => Err((
                    "consent".into(),
                    "is required for call_consent_given: its kind (express_written or verbal) \
                     and evidence"
                        .into(),
                )),
                false => Ok(()),
            };
        };
        if !given {
            return Err((
                "consent".into(),
                "belongs to call_consent_given only".into(),
            ));
        }
        let present = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.trim().is_empty());
        let needs: &[(&str, &Option<String>)] = match consent.kind {
            CallConsentKind::ExpressWritten => &[
                ("consent.disclosure", &consent.disclosure),
                ("consent.signature", &consent.signature),
            ],
            CallConsentKind::Verbal => &[("consent.recording", &consent.recording)],
        };
        for (path, value) in needs {
            if !present(value) {
                return Err((
                    path.to_string(),
                    format!(
                        "is required for {} consent",
                        match consent.kind {
                            CallConsentKind::ExpressWritten => "express_written",
                            CallConsentKind::Verbal => "verbal",
                        }
                    ),
                ));
            }
        }
        Ok(())
    }
    match p {
        Payload::LeadCreated(l) => {
            non_empty("lead_id", &l.lead_id)?;
            email("email", &l.email)?;
            phone("phone", &l.phone)
        }
        Payload::ContactPreferenceChanged(c) => {
            email("email", &c.email)?;
            phone("phone", &c.phone)?;
            call_consent(c)
        }
        Payload::ContactUpdated(c) => {
            non_empty("system", &c.system)?;
            non_empty("record_id", &c.record_id)?;
            optional_email("email", &c.email)
        }
        Payload::EmailBounced(b) => email("email", &b.email),
        Payload::InteractionRecorded(i) => email("email", &i.email),
        Payload::LeadAssigned(l) => email("rep", &l.rep),
        Payload::DemoScheduled(d) => email("prospect_email", &d.prospect_email),
        Payload::DemoQualificationFailed(d) => email("prospect_email", &d.prospect_email),
        Payload::ProposalAccepted(p) => email("accepted_by", &p.accepted_by),
        Payload::TicketOpened(t) => optional_email("requester", &t.requester),
        Payload::WebinarRegistrationRequested(w) => email("email", &w.email),
        Payload::WebinarRegistered(w) => email("email", &w.email),
        Payload::DealStageChanged(d) => {
            non_empty("deal_id", &d.deal_id)?;
            email("owner", &d.owner)?;
            money("currency", &Money::zero(&d.currency))?;
            if !(0.0..=100.0).contains(&d.requested_discount_pct) {
                return Err((
                    "requested_discount_pct".into(),
                    format!("{} is outside 0–100", d.requested_discount_pct),
                ));
            }
            if let Some(a) = &d.amount {
                money("amount", a)?;
                if a.currency != d.currency {
                    return Err((
                        "amount.currency".into(),
                        "differs from the deal's currency".into(),
                    ));
                }
            }
            Ok(())
        }
        Payload::DealClosedWon(d) => money("amount", &d.amount),
        Payload::DemoRequested(d) => {
            non_empty("request_id", &d.request_id)?;
            email("prospect_email", &d.prospect_email)?;
            email("rep", &d.rep)?;
            if d.prospect_time_zone.parse::<chrono_tz::Tz>().is_err() {
                return Err(("prospect_time_zone".into(), "not an IANA time zone".into()));
            }
            if !(15..=240).contains(&d.duration_minutes) {
                return Err((
                    "duration_minutes".into(),
                    format!("{} is outside 15–240", d.duration_minutes),
                ));
            }
            if let Some(b) = &d.qualification.budget {
                money("qualification.budget", b)?;
            }
            Ok(())
        }
        Payload::PaymentReceived(p) => {
            money("amount", &p.amount)?;
            if p.amount.amount_minor == 0 {
                return Err(("amount".into(), "a payment of zero".into()));
            }
            Ok(())
        }
        Payload::PaymentFailed(p) => money("amount", &p.amount),
        Payload::CreditNoteRequested(c) => {
            money("amount", &c.amount)?;
            if c.amount.amount_minor == 0 {
                return Err(("amount".into(), "a credit of zero".into()));
            }
            Ok(())
        }
        Payload::PaymentRefunded(r) => money("amount", &r.amount),
        Payload::RefundRequested(r) => {
            non_empty("request_id", &r.request_id)?;
            money("amount", &r.amount)?;
            email("requested_by", &r.requested_by)?;
            if r.amount.amount_minor <= 0 {
                return Err(("amount".into(), "a refund must be positive".into()));
            }
            Ok(())
        }
        Payload::RefundAuthorised(r) => money("amount", &r.amount),
        Payload::PaymentReversed(r) => {
            non_empty("reversal_id", &r.reversal_id)?;
            money("amount", &r.amount)?;
            if r.amount.amount_minor <= 0 {
                return Err(("amount".into(), "a reversal must be positive".into()));
            }
            Ok(())
        }
        Payload::CustomerCreditRecorded(c) => {
            money("amount", &c.amount)?;
            money("balance", &c.balance)
        }
        Payload::CustomerCreditApplied(c) => {
            money("amount", &c.amount)?;
            money("balance", &c.balance)
        }
        Payload::ExpenseSubmitted(e) => {
            non_empty("expense_id", &e.expense_id)?;
            money("amount", &e.amount)?;
            if e.amount.amount_minor == 0 {
                return Err(("amount".into(), "an expense of zero".into()));
            }
            email("employee", &e.employee)?;
            optional_email("manager", &e.manager)
        }
        Payload::CampaignLaunched(c) => money("budget", &c.budget),
        Payload::CampaignPlanned(c) => {
            non_empty("campaign_id", &c.campaign_id)?;
            email("owner", &c.owner)?;
            for (i, b) in c.budgets.iter().enumerate() {
                money(&format!("budgets[{i}].amount"), &b.amount)?;
            }
            c.target_cpa
                .as_ref()
                .map_or(Ok(()), |t| money("target_cpa", t))
        }
        Payload::CustomerSignedUp(c) => {
            email("billing_email", &c.billing_email)?;
            if let Some(v) = &c.vat_id {
                check_vat_id(v).map_err(|e| ("vat_id".to_string(), e))?;
            }
            money("currency", &Money::zero(&c.currency))
        }
        Payload::NpsResponse(n) if n.score > 10 => {
            Err(("score".into(), format!("{} is outside 0–10", n.score)))
        }
        _ => Ok(()),
    }
}
