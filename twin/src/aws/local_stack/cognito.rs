//! The template's Cognito resources on an endpoint (moto): each user pool (the template's name,
//! username attributes, password policy, admin-only sign-up, account recovery and MFA), each
//! client in its pool (its auth flows, no secret, its token validity) and each group. Idempotent
//! as the rest of the local stack: a pool is found by its name, a client by its name in its
//! pool, a group by its name; their ids are remembered so that `Ref` gives them (the console's
//! `ASCENT_CONSOLE_USER_POOL_ID` and `ASCENT_CONSOLE_CLIENT_ID`).

use super::{LocalStack, Outcome};
use anyhow::Context;
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::{
    AccountRecoverySettingType, AdminCreateUserConfigType, DeletionProtectionType,
    ExplicitAuthFlowsType, PasswordPolicyType, PreventUserExistenceErrorTypes,
    RecoveryOptionNameType, RecoveryOptionType, SoftwareTokenMfaConfigType, TimeUnitsType,
    TokenValidityUnitsType, UserPoolMfaType, UserPoolPolicyType,
};
use serde_json::Value;

/// The strings of a template list (`["email"]`), resolved.
fn strings(stack: &LocalStack, v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|s| stack.string(s))
        .collect()
}

/// The template's password policy (`Policies.PasswordPolicy`).
pub fn password_policy(p: &Value) -> PasswordPolicyType {
    let p = &p["Policies"]["PasswordPolicy"];
    let flag = |k: &str| p[k].as_bool();
    let number = |k: &str| p[k].as_i64().map(|n| n as i32);
    PasswordPolicyType::builder()
        .set_minimum_length(number("MinimumLength"))
        .set_require_lowercase(flag("RequireLowercase"))
        .set_require_uppercase(flag("RequireUppercase"))
        .set_require_numbers(flag("RequireNumbers"))
        .set_require_symbols(flag("RequireSymbols"))
        .set_temporary_password_validity_days(number("TemporaryPasswordValidityDays"))
        .build()
}

/// The template's account recovery (`AccountRecoverySetting.RecoveryMechanisms`).
pub fn recovery(p: &Value) -> anyhow::Result<Option<AccountRecoverySettingType>> {
    let Some(mechanisms) = p["AccountRecoverySetting"]["RecoveryMechanisms"].as_array() else {
        return Ok(None);
    };
    let options = mechanisms
        .iter()
        .map(|m| {
            RecoveryOptionType::builder()
                .name(RecoveryOptionNameType::from(
                    m["Name"].as_str().unwrap_or_default(),
                ))
                .priority(m["Priority"].as_i64().unwrap_or(1) as i32)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(
        AccountRecoverySettingType::builder()
            .set_recovery_mechanisms(Some(options))
            .build(),
    ))
}

/// The template's token validity units (`TokenValidityUnits`), if any.
pub fn token_units(p: &Value) -> Option<TokenValidityUnitsType> {
    let u = p.get("TokenValidityUnits")?;
    let unit = |k: &str| u[k].as_str().map(TimeUnitsType::from);
    Some(
        TokenValidityUnitsType::builder()
            .set_id_token(unit("IdToken"))
            .set_access_token(unit("AccessToken"))
            .set_refresh_token(unit("RefreshToken"))
            .build(),
    )
}

impl LocalStack {
    /// Creates the template's user pools, their clients and groups (in that order: the
    /// clients and groups name their pool).
    pub(super) async fn create_cognito(
        &mut self,
        config: &aws_config::SdkConfig,
    ) -> anyhow::Result<()> {
        if self.of_type("AWS::Cognito::UserPool").is_empty() {
            return Ok(());
        }
        let idp = Client::new(config);
        for (logical, r) in self.of_type("AWS::Cognito::UserPool") {
            let p = &r["Properties"];
            let name = self.string(&p["UserPoolName"]);
            let id = match self.find_pool(&idp, &name).await? {
                Some(id) => {
                    self.note("user pool", &name, Outcome::Existed);
                    id
                }
                None => {
                    let id = self.create_pool(&idp, &name, p).await?;
                    self.note("user pool", &name, Outcome::Created);
                    id
                }
            };
            self.cognito.insert(logical, id);
        }
        for (logical, r) in self.of_type("AWS::Cognito::UserPoolClient") {
            let p = &r["Properties"];
            let pool = self.string(&p["UserPoolId"]);
            let name = self.string(&p["ClientName"]);
            let existing = idp
                .list_user_pool_clients()
                .user_pool_id(&pool)
                .max_results(60)
                .send()
                .await
                .with_context(|| format!("listing the clients of user pool {pool}"))?
                .user_pool_clients
                .unwrap_or_default()
                .into_iter()
                .find(|c| c.client_name.as_deref() == Some(name.as_str()))
                .and_then(|c| c.client_id);
            let id = match existing {
                Some(id) => {
                    self.note("user pool client", &name, Outcome::Existed);
                    id
                }
                None => {
                    let id = self.create_client(&idp, &pool, &name, p).await?;
                    self.note("user pool client", &name, Outcome::Created);
                    id
                }
            };
            self.cognito.insert(logical, id);
        }
        for (_, r) in self.of_type("AWS::Cognito::UserPoolGroup") {
            let p = &r["Properties"];
            let pool = self.string(&p["UserPoolId"]);
            let name = self.string(&p["GroupName"]);
            let found = idp
                .get_group()
                .user_pool_id(&pool)
                .group_name(&name)
                .send()
                .await;
            if found.is_ok() {
                self.note("user pool group", &name, Outcome::Existed);
                continue;
            }
            idp.create_group()
                .user_pool_id(&pool)
                .group_name(&name)
                .set_description(p["Description"].as_str().map(str::to_string))
                .set_precedence(p["Precedence"].as_i64().map(|n| n as i32))
                .send()
                .await
                .with_context(|| format!("creating user pool group {name}"))?;
            self.note("user pool group", &name, Outcome::Created);
        }
        Ok(())
    }

    /// The id of the user pool named `name`, if there is one.
    async fn find_pool(&self, idp: &Client, name: &str) -> anyhow::Result<Option<String>> {
        let mut next: Option<String> = None;
        loop {
            let page = idp
                .list_user_pools()
                .max_results(60)
                .set_next_token(next.take())
                .send()
                .await
                .context("listing user pools")?;
            if let Some(found) = page
                .user_pools
                .unwrap_or_default()
                .into_iter()
                .find(|pool| pool.name.as_deref() == Some(name))
            {
                return Ok(found.id);
            }
            match page.next_token {
                Some(token) if !token.is_empty() => next = Some(token),
                _ => return Ok(None),
            }
        }
    }

    async fn create_pool(&self, idp: &Client, name: &str, p: &Value) -> anyhow::Result<String> {
        let mut req = idp
            .create_user_pool()
            .pool_name(name)
            .policies(
                UserPoolPolicyType::builder()
                    .password_policy(password_policy(p))
                    .build(),
            )
            .set_account_recovery_setting(recovery(p)?);
        for a in strings(self, &p["UsernameAttributes"]) {
            req = req.username_attributes(a.as_str().into());
        }
        for a in strings(self, &p["AutoVerifiedAttributes"]) {
            req = req.auto_verified_attributes(a.as_str().into());
        }
        if let Some(only) = p["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"].as_bool() {
            req = req.admin_create_user_config(
                AdminCreateUserConfigType::builder()
                    .allow_admin_create_user_only(only)
                    .build(),
            );
        }
        if let Some(protection) = p["DeletionProtection"].as_str() {
            req = req.deletion_protection(DeletionProtectionType::from(protection));
        }
        let id = req
            .send()
            .await
            .with_context(|| format!("creating user pool {name}"))?
            .user_pool
            .and_then(|pool| pool.id)
            .with_context(|| format!("user pool {name} has no id"))?;
        // MFA is the pool's MFA configuration (CreateUserPool alone cannot turn TOTP on).
        if let Some(mfa) = p["MfaConfiguration"].as_str() {
            let totp = strings(self, &p["EnabledMfas"])
                .iter()
                .any(|m| m == "SOFTWARE_TOKEN_MFA");
            idp.set_user_pool_mfa_config()
                .user_pool_id(&id)
                .mfa_configuration(UserPoolMfaType::from(mfa))
                .software_token_mfa_configuration(
                    SoftwareTokenMfaConfigType::builder().enabled(totp).build(),
                )
                .send()
                .await
                .with_context(|| format!("setting the MFA of user pool {name}"))?;
        }
        Ok(id)
    }

    async fn create_client(
        &self,
        idp: &Client,
        pool: &str,
        name: &str,
        p: &Value,
    ) -> anyhow::Result<String> {
        let number = |k: &str| p[k].as_i64().map(|n| n as i32);
        let mut req = idp
            .create_user_pool_client()
            .user_pool_id(pool)
            .client_name(name)
            .generate_secret(p["GenerateSecret"].as_bool().unwrap_or(false))
            .set_id_token_validity(number("IdTokenValidity"))
            .set_access_token_validity(number("AccessTokenValidity"))
            .set_refresh_token_validity(number("RefreshTokenValidity"))
            .set_token_validity_units(token_units(p))
            .set_enable_token_revocation(p["EnableTokenRevocation"].as_bool());
        for flow in strings(self, &p["ExplicitAuthFlows"]) {
            req = req.explicit_auth_flows(ExplicitAuthFlowsType::from(flow.as_str()));
        }
        if let Some(errors) = p["PreventUserExistenceErrors"].as_str() {
            req = req.prevent_user_existence_errors(PreventUserExistenceErrorTypes::from(errors));
        }
        req.send()
            .await
            .with_context(|| format!("creating user pool client {name}"))?
            .user_pool_client
            .and_then(|c| c.client_id)
            .with_context(|| format!("user pool client {name} has no id"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn console_pool() -> Value {
        let t = crate::infra::template(&crate::agents::declarations());
        t["Resources"]["ConsoleUserPool"]["Properties"].clone()
    }

    #[test]
    fn the_password_policy_is_the_templates() {
        let policy = password_policy(&console_pool());
        assert_eq!(policy.minimum_length, Some(12));
        assert!(policy.require_lowercase);
        assert!(policy.require_uppercase);
        assert!(policy.require_numbers);
        assert!(policy.require_symbols);
        assert_eq!(password_policy(&json!({})).minimum_length, None);
    }

    #[test]
    fn recovery_is_by_verified_email() {
        let setting = recovery(&console_pool()).unwrap().unwrap();
        let options = setting.recovery_mechanisms.unwrap();
        assert_eq!(options.len(), 1);
        assert_eq!(options[0].name, RecoveryOptionNameType::VerifiedEmail);
        assert_eq!(options[0].priority, 1);
        assert!(recovery(&json!({})).unwrap().is_none());
    }

    #[test]
    fn token_units_are_the_clients() {
        let t = crate::infra::template(&crate::agents::declarations());
        let units = token_units(&t["Resources"]["ConsoleUserPoolClient"]["Properties"]).unwrap();
        assert_eq!(units.id_token, Some(TimeUnitsType::Hours));
        assert_eq!(units.access_token, Some(TimeUnitsType::Hours));
        assert!(token_units(&json!({})).is_none());
    }
}
