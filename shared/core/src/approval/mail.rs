//! The approval emails: the request to the current approver, with its approve and reject links
//! to the page, amounts and the deadline written for that approver ([`super::Reader`]); and the
//! notice to the requester that nobody decided in time.

use super::Approval;

/// The email telling the requester that nobody decided in time.
pub fn expired_mail(a: &Approval) -> crate::ports::Mail {
    crate::ports::Mail {
        to: a.draft.requester.clone(),
        subject: format!("Approval expired: {}", a.draft.summary),
        text: format!(
            "Nobody decided on your request in time, so it expired.\n\n{}\nApprovers asked: {}\n",
            a.draft.summary,
            a.chain.join(", ")
        ),
        html: None,
        ..Default::default()
    }
}

/// The approval email for the current approver, with approve and reject links to the page:
/// the customer, the requester's reason and the rule, the amount in the approver's locale and
/// the deadline in their time zone.
pub fn approval_mail(a: &Approval, token: &str, base_url: &str) -> crate::ports::Mail {
    let base = base_url.trim_end_matches('/');
    let link = |action: &str| format!("{base}/approvals/{}?t={token}&action={action}", a.id);
    let reader = a.reader_for(a.approver());
    let d = &a.draft;
    let mut lines = String::new();
    if let Some(c) = &d.customer {
        lines.push_str(&format!("Customer: {}\n", c.label()));
    }
    if let Some(m) = &d.amount {
        lines.push_str(&format!("Amount: {}\n", reader.money(m)));
    }
    if let Some(r) = d
        .requester_reason
        .as_deref()
        .filter(|r| !r.trim().is_empty())
    {
        lines.push_str(&format!("Their reason: {r}\n"));
    }
    let text = format!(
        "{requester} asks for your approval.\n\n{summary}\n{lines}Why approval is needed: {reason}\n\
         Decide by: {deadline}\n\n\
         Approve: {approve}\nReject:  {reject}\n\n\
         Each link opens a page showing the request; nothing is decided until you press a button there.\n",
        requester = d.requester,
        summary = d.summary,
        reason = d.reason,
        deadline = reader.instant(a.step_deadline),
        approve = link("approve"),
        reject = link("reject"),
    );
    crate::ports::Mail {
        to: a.approver().to_string(),
        subject: format!("Approval needed: {}", d.summary),
        text,
        html: None,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::approval::{ApprovalDraft, ApprovalPolicy, Customer};
    use crate::money::Money;

    #[test]
    fn the_mail_names_the_customer_both_reasons_and_writes_for_the_approver() {
        let draft = ApprovalDraft {
            kind: "discount".into(),
            subject: "D00042".into(),
            summary: "20% discount on deal D00042".into(),
            amount: Some(Money::usd(1_060_000)),
            requester: "rep@ascent-xr.example".into(),
            approver_role: "sales-director".into(),
            reason: "discount above the 15% threshold".into(),
            requester_reason: Some("three-year commitment".into()),
            customer: Some(Customer::new("A00042", Some("Boreal Aero"))),
            ..Default::default()
        };
        let at = "2026-03-02T09:00:00Z".parse().unwrap();
        let a = ApprovalPolicy::default()
            .open("apr-1".into(), "closing", draft, uuid::Uuid::nil(), at)
            .unwrap();
        let m = approval_mail(&a, "tok", "https://approvals.example/");
        assert_eq!(m.to, "sales.director@ascent-xr.example");
        assert_eq!(m.subject, "Approval needed: 20% discount on deal D00042");
        for line in [
            "Customer: Boreal Aero (A00042)\n",
            "Amount: USD\u{a0}10,600.00\n",
            "Their reason: three-year commitment\n",
            "Why approval is needed: discount above the 15% threshold\n",
            "Decide by: Mar 4, 2026, 1:00 AM PST (America/Los_Angeles)\n",
            "Approve: https://approvals.example/approvals/apr-1?t=tok&action=approve\n",
        ] {
            assert!(m.text.contains(line), "{line} in {}", m.text);
        }
    }
}
