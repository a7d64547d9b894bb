//! The configuration in the template: `ascent.toml` deployed as one SSM parameter per
//! top-level section under `/ascent/<stage>/config/` (a parameter holds 4 KB, 8 KB in the
//! advanced tier that Intelligent-Tiering picks when needed; the file is larger), every
//! function told the path (`ASCENT_CONFIG_PARAMETER`) and allowed to read it, nothing else.
//! A changed parameter takes effect at the next cold start, with no rebuild.

use super::{logical, sub};
use ascent_core::config::{ConfigError, ConfigFile};
use serde_json::{Map, Value, json};

/// Where the sections live; the trailing `/` tells the loader it is a path.
pub const CONFIG_PATH: &str = "/ascent/${Stage}/config/";

/// The largest value an SSM parameter takes (advanced tier).
pub const MAX_PARAMETER_BYTES: usize = 8_192;

/// The environment variable every function reads the configuration path from.
pub fn environment() -> (&'static str, Value) {
    ("ASCENT_CONFIG_PARAMETER", sub(CONFIG_PATH))
}

/// Reading the sections: `GetParametersByPath` on the configuration path only.
pub fn read_statement() -> Value {
    json!({"Sid": "ReadConfiguration", "Effect": "Allow", "Action": ["ssm:GetParametersByPath"],
    "Resource": sub(&format!(
        "arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter{}",
        CONFIG_PATH.trim_end_matches('/')
    ))})
}

/// One `AWS::SSM::Parameter` per section of `file`; refused when a section does not fit.
pub fn parameters(file: &ConfigFile, r: &mut Map<String, Value>) -> Result<(), ConfigError> {
    for (section, text) in file.sections()? {
        let text = text.trim_start_matches('\n');
        if text.len() > MAX_PARAMETER_BYTES {
            return Err(ConfigError {
                origin: file.origin().to_string(),
                line: file.line_of_path(&section),
                path: section.clone(),
                message: format!(
                    "the section is {} bytes; one SSM parameter holds at most {MAX_PARAMETER_BYTES}",
                    text.len()
                ),
            });
        }
        r.insert(
            format!("Config{}Parameter", logical(&section)),
            json!({
                "Type": "AWS::SSM::Parameter",
                "Properties": {
                    "Name": sub(&format!("{CONFIG_PATH}{section}")),
                    "Type": "String",
                    "Tier": "Intelligent-Tiering",
                    "Description": format!("ascent.toml [{section}] (see docs/configuration.md)"),
                    "Value": text
                }
            }),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{template, template_with};
    use super::*;
    use crate::config::AscentConfig;

    fn functions(t: &Value) -> Vec<(String, &Value)> {
        t["Resources"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
            .map(|(id, r)| (id.clone(), r))
            .collect()
    }

    #[test]
    fn every_function_that_reads_settings_is_told_the_path_and_may_read_only_it() {
        let t = template(&crate::agents::declarations());
        let readers: Vec<String> = crate::agents::declarations()
            .iter()
            .map(|d| format!("{}Function", logical(d.name)))
            .chain([
                "ApprovalNotifierFunction".into(),
                "ApprovalApiFunction".into(),
                "OperatorConsoleFunction".into(),
            ])
            .collect();
        for (id, f) in functions(&t) {
            let env = &f["Properties"]["Environment"]["Variables"];
            let role_id = f["Properties"]["Role"]["Fn::GetAtt"][0].as_str().unwrap();
            let role = t["Resources"][role_id].to_string();
            let reads = readers.contains(&id);
            assert_eq!(
                env["ASCENT_CONFIG_PARAMETER"] == sub(CONFIG_PATH),
                reads,
                "{id}"
            );
            assert_eq!(role.contains("ReadConfiguration"), reads, "{id}");
            assert!(
                env.get("ASCENT_MAIL_FROM").is_none(),
                "{id}: the sender is in [mail]"
            );
        }
        // Every function but the schedule tick, the webhook ingest and the privacy desk reads
        // settings.
        assert_eq!(readers.len(), functions(&t).len() - 3);
    }

    #[test]
    fn the_parameters_hold_the_shipped_file_section_by_section() {
        let t = template(&crate::agents::declarations());
        let mut parts: Vec<(String, String)> = t["Resources"]
            .as_object()
            .unwrap()
            .values()
            .filter(|r| r["Type"] == "AWS::SSM::Parameter")
            .map(|r| {
                let p = &r["Properties"];
                let name = p["Name"]["Fn::Sub"].as_str().unwrap();
                assert!(name.starts_with(CONFIG_PATH), "{name}");
                (name.to_string(), p["Value"].as_str().unwrap().to_string())
            })
            .collect();
        parts.sort();
        assert_eq!(parts.len(), crate::config::SECTIONS.len());
        // Joined in name order, as the Lambda reads them, they are the shipped settings.
        let joined: Vec<String> = parts.into_iter().map(|(_, v)| v).collect();
        let file = ConfigFile::parse("joined", joined.join("\n")).unwrap();
        let c = AscentConfig::from_file(&file).unwrap();
        let shipped = AscentConfig::shipped();
        assert_eq!(c.closing.price_book, shipped.closing.price_book);
        assert_eq!(c.host.approvals, shipped.host.approvals);
        assert_eq!(c.outreach.sequence, shipped.outreach.sequence);
    }

    #[test]
    fn a_section_too_large_for_one_parameter_is_refused_with_its_name() {
        let mut text = ConfigFile::shipped().text().to_string();
        let long = "x".repeat(9_000);
        text = text.replacen(
            "prep_material = \"https://ascent-xr.example/demo-prep",
            &format!("prep_material = \"{long}"),
            1,
        );
        let file = ConfigFile::parse("big.toml", text).unwrap();
        let e = template_with(&crate::agents::declarations(), &file).unwrap_err();
        assert_eq!(e.path, "demo_scheduling");
        assert!(e.message.contains("8192"), "{e}");
    }
}
