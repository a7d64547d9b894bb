//! The configuration file on AWS: the whole `ascent.toml` is one SSM parameter, named by
//! `ASCENT_CONFIG_PARAMETER` and read once at init, so a change needs a cold start, not a
//! rebuild. Without the variable, `ASCENT_CONFIG` names a file (local runs), and without
//! either the shipped defaults apply. A file that does not parse or validate stops the init.

use ascent_core::config::{ConfigError, ConfigFile};

/// Why the configuration could not be had.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("reading the SSM parameter {name}: {message}")]
    Parameter { name: String, message: String },
    #[error("the SSM parameter {0} holds no value")]
    Empty(String),
    #[error("reading {path}: {message}")]
    File { path: String, message: String },
    #[error(transparent)]
    Invalid(#[from] ConfigError),
}

/// The configuration: the SSM parameter `ASCENT_CONFIG_PARAMETER`, else the file
/// `ASCENT_CONFIG`, else the shipped defaults. Only TOML syntax is checked here; each agent
/// validates the sections it reads.
pub async fn load(sdk: &aws_config::SdkConfig) -> Result<ConfigFile, SettingsError> {
    if let Some(name) = std::env::var("ASCENT_CONFIG_PARAMETER")
        .ok()
        .filter(|n| !n.is_empty())
    {
        let text = parameter(&aws_sdk_ssm::Client::new(sdk), &name).await?;
        return Ok(ConfigFile::parse(format!("SSM parameter {name}"), text)?);
    }
    if let Some(path) = std::env::var("ASCENT_CONFIG")
        .ok()
        .filter(|p| !p.is_empty())
    {
        let text = std::fs::read_to_string(&path).map_err(|e| SettingsError::File {
            path: path.clone(),
            message: e.to_string(),
        })?;
        return Ok(ConfigFile::parse(path, text)?);
    }
    Ok(ConfigFile::shipped())
}

/// The text of one SSM parameter (String, or a SecureString decrypted).
pub async fn parameter(client: &aws_sdk_ssm::Client, name: &str) -> Result<String, SettingsError> {
    let out = client
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .map_err(|e| SettingsError::Parameter {
            name: name.to_string(),
            message: aws_sdk_ssm::error::DisplayErrorContext(e).to_string(),
        })?;
    out.parameter
        .and_then(|p| p.value)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| SettingsError::Empty(name.to_string()))
}
