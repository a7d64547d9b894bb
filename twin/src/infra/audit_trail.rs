//! The audit trail in the template: every agent function is told where the privacy key is
//! (`ASCENT_PRIVACY_KEY_PARAMETER`: the SSM SecureString named by the `PrivacyKeyParameterName`
//! parameter, set up once as the approval links' key is) and may read it, for the pseudonyms
//! its audit items hold instead of addresses and phone numbers; schedule-tick may read the
//! audit table and put its seals (under `seal` and `seal#<date>`, which no agent may write,
//! as no seal run may write an agent's `audit#<date>` items). Nobody may update or delete.

use super::{get_att, logical, reference, sub, table_id};
use ascent_core::agent::{AgentDecl, Domain};
use serde_json::{Map, Value, json};

/// The template parameter naming the privacy key's SSM parameter.
pub const PARAMETER: &str = "PrivacyKeyParameterName";

/// The template parameter's declaration.
pub fn parameter() -> Value {
    json!({"Type": "String", "Default": "/ascent/privacy-key",
           "AllowedPattern": "^/[A-Za-z0-9/_.-]+$",
           "Description": "SSM SecureString holding the key of the audit trail's pseudonyms (32+ characters; docs/privacy.md)"})
}

fn statements_of<'a>(r: &'a mut Map<String, Value>, role: &str) -> Option<&'a mut Vec<Value>> {
    r.get_mut(role)
        .and_then(|role| role.pointer_mut("/Properties/Policies/0/PolicyDocument/Statement"))
        .and_then(Value::as_array_mut)
}

fn environment_of<'a>(
    r: &'a mut Map<String, Value>,
    function: &str,
) -> Option<&'a mut Map<String, Value>> {
    r.get_mut(function)
        .and_then(|f| f.pointer_mut("/Properties/Environment/Variables"))
        .and_then(Value::as_object_mut)
}

/// Adds the privacy key to every agent and the seal grants to schedule-tick.
pub fn apply(r: &mut Map<String, Value>, decls: &[AgentDecl]) {
    let read_key = json!({"Sid": "ReadPrivacyKey", "Effect": "Allow", "Action": ["ssm:GetParameter"],
        "Resource": sub(&format!("arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter${{{PARAMETER}}}"))});
    for d in decls {
        let id = logical(d.name);
        if let Some(statements) = statements_of(r, &format!("{id}Role")) {
            statements.push(read_key.clone());
        }
        if let Some(env) = environment_of(r, &format!("{id}Function")) {
            env.insert("ASCENT_PRIVACY_KEY_PARAMETER".into(), reference(PARAMETER));
        }
    }
    let audit = get_att(&table_id(Domain::Audit), "Arn");
    if let Some(statements) = statements_of(r, "ScheduleTickRole") {
        statements.extend([
            json!({"Sid": "ReadAuditTrail", "Effect": "Allow",
                   "Action": ["dynamodb:Query", "dynamodb:GetItem"], "Resource": audit.clone()}),
            json!({"Sid": "PutAuditSeals", "Effect": "Allow", "Action": ["dynamodb:PutItem"],
                   "Resource": audit,
                   "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["seal", "seal#*"]}}}),
        ]);
    }
    if let Some(env) = environment_of(r, "ScheduleTickFunction") {
        env.insert("ASCENT_TABLE_PREFIX".into(), sub("ascent-${Stage}-"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_read_the_privacy_key_and_only_schedule_tick_puts_seals() {
        let decls = crate::agents::declarations();
        let t = crate::infra::template(&decls);
        assert_eq!(t["Parameters"][PARAMETER]["Default"], "/ascent/privacy-key");
        let statements = |role: &str| {
            t["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
                .as_array()
                .unwrap()
                .clone()
        };
        for d in &decls {
            let id = logical(d.name);
            let env =
                &t["Resources"][format!("{id}Function")]["Properties"]["Environment"]["Variables"];
            assert_eq!(
                env["ASCENT_PRIVACY_KEY_PARAMETER"],
                json!({"Ref": PARAMETER})
            );
            let own = statements(&format!("{id}Role"));
            assert!(
                own.iter().any(|s| s["Sid"] == "ReadPrivacyKey"),
                "{}",
                d.name
            );
            assert!(
                !own.iter().any(|s| s["Sid"] == "PutAuditSeals"),
                "{}",
                d.name
            );
        }
        let tick = statements("ScheduleTickRole");
        let seals = tick.iter().find(|s| s["Sid"] == "PutAuditSeals").unwrap();
        assert_eq!(
            seals["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"],
            json!(["seal", "seal#*"])
        );
        let actions: Vec<&Value> = tick
            .iter()
            .filter(|s| s["Resource"] == get_att(&table_id(Domain::Audit), "Arn"))
            .flat_map(|s| s["Action"].as_array().unwrap())
            .collect();
        assert!(
            !actions
                .iter()
                .any(|a| *a == "dynamodb:UpdateItem" || *a == "dynamodb:DeleteItem"),
            "{actions:?}"
        );
    }
}
