//! The [`LakeReader`] contract as a check every home runs in its tests: put [`items`] in the
//! home's store, then [`check`] its reader. One check, so every home lists the same items for
//! the same call (case counts in a prefix, `%` and `_` are plain characters, both ends of a
//! range are in, order by partition then sort key, the limit).

use crate::lake::{Item, LakeReader};
use ascent_core::agent::Domain;
use serde_json::{Value, json};

/// The items [`check`] expects the lake to hold, and no others in their domains.
pub fn items() -> Vec<(Domain, &'static str, &'static str, Value)> {
    let p = Domain::Performance;
    let mut items: Vec<_> = [
        ("r#b", "2026-03-02"),
        ("r#a", "2026-03-03"),
        ("r#a", "2026-03-01"),
        ("R#a", "2026-03-01"),
        ("s#a", "2026-03-01"),
        ("r_x", "2026-03-05"),
        ("r%y", "2026-03-05"),
    ]
    .into_iter()
    .map(|(pk, sk)| (p, pk, sk, json!({"pk": pk, "sk": sk})))
    .collect();
    items.push((
        Domain::Financial,
        "r#a",
        "2026-03-01",
        json!({"other": "domain"}),
    ));
    items
}

fn keys(items: Vec<Item>) -> Vec<String> {
    items
        .into_iter()
        .map(|(pk, sk, _)| format!("{pk} {sk}"))
        .collect()
}

/// Checks that `lake`, holding [`items`], lists and reads them as the port says; panics with
/// the call that does not (for tests).
pub async fn check(lake: &dyn LakeReader) {
    let p = Domain::Performance;
    let scan = |prefix: &'static str, sk, range, limit| async move {
        let got = lake.scan(p, prefix, sk, range, limit).await;
        keys(got.unwrap_or_else(|e| panic!("scan {prefix:?}: {e}")))
    };
    assert_eq!(
        scan("r#", None, None, 10).await,
        ["r#a 2026-03-01", "r#a 2026-03-03", "r#b 2026-03-02"],
        "a prefix, in key order, case counting"
    );
    assert_eq!(
        scan("r#", None, Some(("2026-03-02", "2026-03-03")), 10).await,
        ["r#a 2026-03-03", "r#b 2026-03-02"],
        "a range, both ends in"
    );
    assert_eq!(
        scan("", Some("2026-03-01"), None, 10).await,
        ["R#a 2026-03-01", "r#a 2026-03-01", "s#a 2026-03-01"],
        "one sort key, any partition of the domain"
    );
    assert_eq!(
        scan("r#", None, None, 1).await,
        ["r#a 2026-03-01"],
        "the limit"
    );
    assert_eq!(
        scan("r_", None, None, 10).await,
        ["r_x 2026-03-05"],
        "`_` is plain"
    );
    assert_eq!(
        scan("r%", None, None, 10).await,
        ["r%y 2026-03-05"],
        "`%` is plain"
    );
    assert!(
        scan("t", None, None, 10).await.is_empty(),
        "nothing under `t`"
    );

    let get = |pk: &'static str, sk: &'static str| async move {
        lake.get(p, pk, sk)
            .await
            .unwrap_or_else(|e| panic!("get {pk} {sk}: {e}"))
    };
    assert_eq!(
        get("r#b", "2026-03-02").await,
        Some(json!({"pk": "r#b", "sk": "2026-03-02"}))
    );
    assert_eq!(get("r#b", "2026-03-01").await, None);
    assert_eq!(
        lake.get(Domain::Financial, "r#a", "2026-03-01")
            .await
            .unwrap(),
        Some(json!({"other": "domain"}))
    );
}
