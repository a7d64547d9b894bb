//! The business state pages: customers, deals and invoices found by id or customer name (a
//! search box and its results), and one record's page with its fields and the records it
//! links to. Read-only.

use crate::insights::{BusinessHit, BusinessRecord};
use crate::layout::{BASE, escape};
use crate::pages::audit::encode_path;

/// The link to a record's page.
pub fn href(hit: &BusinessHit) -> String {
    format!(
        "{BASE}/business/{}/{}",
        hit.kind.as_str(),
        encode_path(&hit.id)
    )
}

fn hits_table(id: &str, hits: &[BusinessHit]) -> String {
    let mut out = format!(
        "<table id=\"{id}\"><tr><th>Kind</th><th>Id</th><th>Customer</th><th>Status</th><th>Summary</th></tr>"
    );
    for h in hits {
        out.push_str(&format!(
            "<tr data-kind=\"{kind}\" data-id=\"{idv}\"><td>{label}</td><td><a href=\"{href}\">{idv}</a></td>\
             <td>{name}</td><td class=\"status\">{status}</td><td>{summary}</td></tr>",
            kind = h.kind.as_str(),
            label = h.kind.label(),
            idv = escape(&h.id),
            href = escape(&href(h)),
            name = escape(h.name.as_deref().unwrap_or("—")),
            status = escape(&h.status),
            summary = escape(&h.summary),
        ));
    }
    out.push_str("</table>");
    out
}

/// The search page's body: the box, then what `text` found (nothing searched: a hint).
pub fn render(text: &str, hits: &[BusinessHit]) -> String {
    let mut out = format!(
        "<form method=\"get\" action=\"{BASE}/business\" id=\"business-search\"><p>\
         <label>Customer, deal or invoice: <input type=\"text\" name=\"q\" value=\"{}\" \
         placeholder=\"INV-1, D-12, A00042 or a company's name\" autofocus></label> \
         <button type=\"submit\">Find</button></p></form>",
        escape(text)
    );
    if text.trim().is_empty() {
        out.push_str(
            "<p class=\"muted\">Find a customer (account id or company name), a deal or an \
             invoice (its id, or its customer's name). Invoices say whether they are open, \
             paid or overdue and by how many days.</p>",
        );
        return out;
    }
    if hits.is_empty() {
        out.push_str(&format!(
            "<p class=\"muted\" id=\"business-none\">Nothing found for “{}”.</p>",
            escape(text.trim())
        ));
        return out;
    }
    out.push_str(&format!(
        "<p class=\"muted\">{} record(s) for “{}”.</p>",
        hits.len(),
        escape(text.trim())
    ));
    out.push_str(&hits_table("business-results", hits));
    out
}

/// One record's page body.
pub fn detail(record: &BusinessRecord) -> String {
    let h = &record.hit;
    let mut out = format!(
        "<p><a href=\"{BASE}/business\">Find another record</a> · <a href=\"{BASE}/audit?item={}\">\
         Its audit trail</a></p><table id=\"record\" class=\"fields\"><tr><th>Kind</th><td>{}</td></tr>\
         <tr><th>Id</th><td>{}</td></tr><tr><th>Customer</th><td>{}</td></tr>\
         <tr><th>Status</th><td class=\"status\">{}</td></tr>",
        escape(&encode_path(&h.id)),
        h.kind.label(),
        escape(&h.id),
        escape(h.name.as_deref().unwrap_or("—")),
        escape(&h.status),
    );
    for (label, value) in &record.fields {
        out.push_str(&format!(
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(label),
            escape(value)
        ));
    }
    out.push_str("</table>");
    out.push_str(&format!(
        "<p class=\"muted\">Kept by {}.</p>",
        escape(&record.source)
    ));
    if !record.related.is_empty() {
        out.push_str("<h2>Related</h2>");
        out.push_str(&hits_table("related", &record.related));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insights::RecordKind;

    fn invoice() -> BusinessHit {
        BusinessHit {
            kind: RecordKind::Invoice,
            id: "INV 7".into(),
            name: Some("Acme <Labs>".into()),
            status: "overdue 12 days".into(),
            summary: "1,200.00 USD due 2026-03-01".into(),
        }
    }

    #[test]
    fn results_link_each_record_and_escape_names() {
        let page = render("acme", &[invoice()]);
        assert!(page.contains("/console/business/invoice/INV%207"), "{page}");
        assert!(page.contains("Acme &lt;Labs&gt;"));
        assert!(page.contains("overdue 12 days"));
        assert!(render("zzz", &[]).contains("Nothing found for “zzz”"));
        assert!(!render("", &[]).contains("Nothing found"));
    }

    #[test]
    fn a_record_shows_its_fields_and_related_records() {
        let record = BusinessRecord {
            hit: invoice(),
            fields: vec![("Due".into(), "2026-03-01".into())],
            related: vec![BusinessHit {
                kind: RecordKind::Customer,
                id: "A1".into(),
                name: None,
                status: "healthy".into(),
                summary: String::new(),
            }],
            source: "billing".into(),
        };
        let page = detail(&record);
        assert!(page.contains("<th>Due</th><td>2026-03-01</td>"), "{page}");
        assert!(page.contains("/console/business/customer/A1"));
        assert!(page.contains("/console/audit?item=INV%207"));
    }
}
