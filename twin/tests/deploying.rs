//! The documented build paths select exactly the Lambda functions: `cargo lambda build` from the
//! repo root (its package list in `CargoLambda.toml`), `sam build` (each template function's
//! `rust-cargolambda` binary) and the workspace's `functions/` packages are the same set, and
//! the licence file is the one `Cargo.toml` names.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `packages = [...]` of `[build]` in CargoLambda.toml.
fn cargo_lambda_packages() -> BTreeSet<String> {
    let config: toml::Table = read("CargoLambda.toml")
        .parse()
        .expect("CargoLambda.toml parses");
    config["build"]["packages"]
        .as_array()
        .expect("[build] packages")
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect()
}

/// The binary of every function in the generated template, checking each is built by SAM's
/// cargo-lambda builder from the workspace root.
fn template_binaries() -> BTreeSet<String> {
    let template = ascent::infra::template(&ascent::agents::declarations());
    let mut out = BTreeSet::new();
    for (id, resource) in template["Resources"].as_object().unwrap() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        assert_eq!(
            resource["Metadata"]["BuildMethod"], "rust-cargolambda",
            "{id}"
        );
        assert_eq!(
            resource["Properties"]["CodeUri"], "..",
            "{id}: built from the root"
        );
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("{id}: no Binary"));
        // `sam build` puts each function under `.aws-sam/build/<logical id>/`, and
        // `tools/test` looks for `<Package>Function/bootstrap` there.
        assert_eq!(
            id,
            &format!("{}Function", ascent::infra::logical(binary)),
            "{binary}"
        );
        out.insert(binary.to_string());
    }
    out
}

/// Packages under functions/ (each is one Lambda binary of the same name).
fn function_packages() -> BTreeSet<String> {
    std::fs::read_dir(root().join("functions"))
        .unwrap()
        .map(|e| {
            let manifest: toml::Table =
                std::fs::read_to_string(e.unwrap().path().join("Cargo.toml"))
                    .unwrap()
                    .parse()
                    .unwrap();
            manifest["package"]["name"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn cargo_lambda_and_sam_build_exactly_the_functions_of_the_template() {
    let packages = cargo_lambda_packages();
    let binaries = template_binaries();
    assert_eq!(
        packages, binaries,
        "CargoLambda.toml [build] packages vs the template's functions"
    );
    assert_eq!(
        packages,
        function_packages(),
        "CargoLambda.toml vs functions/"
    );
    assert!(!packages.contains("ascent"), "the twin is not a Lambda");
}

#[test]
fn the_workspace_still_runs_the_twin_by_default() {
    let manifest: toml::Table = read("Cargo.toml").parse().unwrap();
    assert_eq!(
        manifest["workspace"]["default-members"].as_array().unwrap(),
        &vec![toml::Value::from("twin")],
        "`cargo run --release -- up` from the root runs the twin"
    );
}

#[test]
fn the_licence_file_is_the_one_cargo_toml_names() {
    let manifest: toml::Table = read("Cargo.toml").parse().unwrap();
    assert_eq!(
        manifest["workspace"]["package"]["license"].as_str(),
        Some("Apache-2.0")
    );
    let licence = read("LICENSE");
    assert!(
        licence.trim_start().starts_with("Apache License"),
        "LICENSE is not Apache"
    );
    assert!(licence.contains("Version 2.0, January 2004"));
    assert!(
        licence.contains("END OF TERMS AND CONDITIONS"),
        "the whole licence text"
    );
}
