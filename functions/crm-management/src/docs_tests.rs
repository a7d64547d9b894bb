//! docs/operations.md's "## CRM management" against the shipped settings and the code: every
//! setting of `[crm_management]` as shipped, the measured precision and recall, and the worked
//! similarities as the code computes them.

use crate::CrmConfig;
use crate::dedupe::name_similarity;
use ascent_core::config::ConfigFile;

const PAGE: &str = include_str!("../../../docs/operations.md");

fn section() -> &'static str {
    ascent_core::docs::section(PAGE, "CRM management").expect("a section \"## CRM management\"")
}

/// The shipped `[crm_management]` and its sub-tables, one line each (comments left out).
fn shipped_settings() -> Vec<String> {
    let text = ConfigFile::shipped().text().to_string();
    let start = text.find("\n[crm_management]\n").expect("the section") + 1;
    text[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with('[') || l.starts_with("[crm_management"))
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('['))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_section_lists_every_shipped_setting_as_shipped() {
    let section = section();
    let settings = shipped_settings();
    assert_eq!(settings.len(), 19, "{settings:?}");
    for line in settings {
        assert!(
            section.lines().any(|l| l.trim() == line),
            "docs/operations.md ## CRM management lacks the shipped `{line}`"
        );
    }
    for word in [
        "ContactUpdated",
        "ContactsMerged",
        "CrmSyncPageDue",
        "DataSyncCompleted",
        "X-HubSpot-Signature-v3",
        "X-Salesforce-Signature",
        "Retry-After",
        "Ascent_Contact_Id__c",
    ] {
        assert!(section.contains(word), "{word}");
    }
}

#[test]
fn the_measured_figures_and_worked_similarities_are_the_code_s() {
    let section = section();
    let config = CrmConfig::default();
    let (tp, fp, fn_, tn, _) = crate::dedupe::tests::measure(&config);
    let pairs = tp + fp + fn_ + tn;
    let precision = tp as f64 / (tp + fp) as f64;
    let recall = tp as f64 / (tp + fn_) as f64;
    for claim in [
        format!("{pairs} labelled pairs"),
        format!("({} duplicates;", tp + fn_),
        format!("precision {precision:.3} ({tp} of {} found)", tp + fp),
        format!("recall {recall:.3} ({tp} of\n{})", tp + fn_),
    ] {
        assert!(
            section.contains(&claim),
            "docs/operations.md lacks `{claim}`"
        );
    }
    let maria = name_similarity("maria garcia", "mario garcia");
    assert!(section.contains(&format!("0.92, under {}", config.name_similarity)));
    assert!((maria - 0.92).abs() < 1e-3);
    let jon = name_similarity("jon smith", "john smith");
    assert!(section.contains(&format!("{jon:.4}, one person")));
}
