//! The Operations Manager's capacity plan on AWS: each agent named in
//! `[operations_manager.capacity] maximum_concurrency` gets it as its SQS event source
//! mapping's `ScalingConfig.MaximumConcurrency` (how many function instances the queue may
//! invoke at once, 2 to 1000); agents not named have no cap. An agent name that is not an agent
//! of the template is refused with its key.

use super::logical;
use ascent_core::config::{ConfigError, ConfigFile, Invalid};
use serde_json::{Map, Value, json};

/// Sets each named agent's maximum concurrency in the template's resources.
pub fn apply(file: &ConfigFile, r: &mut Map<String, Value>) -> Result<(), ConfigError> {
    let config = operations_manager::OperationsConfig::from_file(file)?;
    for (agent, n) in &config.capacity.maximum_concurrency {
        let queue = r
            .get_mut(&format!("{}Function", logical(agent)))
            .and_then(|f| f.pointer_mut("/Properties/Events/Queue/Properties"))
            .and_then(Value::as_object_mut);
        let Some(queue) = queue else {
            return Err(file.invalid(
                "operations_manager",
                Invalid::new(
                    format!("capacity.maximum_concurrency.{agent}"),
                    "not an agent of the template",
                ),
            ));
        };
        queue.insert("ScalingConfig".into(), json!({"MaximumConcurrency": n}));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{template, template_with};
    use crate::agents::declarations;
    use ascent_core::config::ConfigFile;

    fn edited(to: &str) -> ConfigFile {
        let shipped = ConfigFile::shipped().text().to_string();
        let from = "maximum_concurrency = {}";
        assert!(shipped.contains(from));
        ConfigFile::parse("x.toml", shipped.replacen(from, to, 1)).unwrap()
    }

    fn scaling<'a>(t: &'a serde_json::Value, function: &str) -> Option<&'a serde_json::Value> {
        t.pointer(&format!(
            "/Resources/{function}Function/Properties/Events/Queue/Properties/ScalingConfig"
        ))
    }

    #[test]
    fn the_configured_maximum_concurrency_is_each_named_agent_s_scaling_config() {
        // Shipped: none named, no cap anywhere.
        let shipped = template(&declarations());
        assert!(scaling(&shipped, "Support").is_none());
        let file = edited("maximum_concurrency = { support = 5, billing = 12 }");
        let t = template_with(&declarations(), &file).unwrap();
        assert_eq!(
            scaling(&t, "Support").unwrap()["MaximumConcurrency"],
            5,
            "support"
        );
        assert_eq!(scaling(&t, "Billing").unwrap()["MaximumConcurrency"], 12);
        assert!(scaling(&t, "Retention").is_none());
        // The rest of the mapping is untouched.
        let queue = t
            .pointer("/Resources/SupportFunction/Properties/Events/Queue/Properties")
            .unwrap();
        assert_eq!(queue["BatchSize"], 10);
    }

    #[test]
    fn an_unknown_agent_or_a_value_lambda_refuses_is_refused_with_its_key() {
        let file = edited("maximum_concurrency = { helpdesk = 5 }");
        let e = template_with(&declarations(), &file).unwrap_err();
        assert_eq!(
            e.path,
            "operations_manager.capacity.maximum_concurrency.helpdesk"
        );
        let file = edited("maximum_concurrency = { support = 1001 }");
        let e = template_with(&declarations(), &file).unwrap_err();
        assert_eq!(
            e.path,
            "operations_manager.capacity.maximum_concurrency.support"
        );
    }
}
