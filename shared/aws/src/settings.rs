//! The configuration file on AWS: `ascent.toml` kept in SSM Parameter Store, named by
//! `ASCENT_CONFIG_PARAMETER` and read once per cold start, so a change needs no rebuild.
//! A name ending in `/` is a path: one parameter per top-level section under it (as `ascent
//! infra` deploys it, since a parameter holds at most 4 KB, 8 KB in the advanced tier), read
//! with `GetParametersByPath` and joined in name order; any other name is one parameter
//! holding the whole text. Without the variable, `ASCENT_CONFIG` names a file (local runs),
//! and without either the shipped defaults apply. Text that does not parse stops the start.

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

/// Where the configuration is read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// An SSM parameter, or a path of them (a name ending in `/`).
    Parameter(String),
    /// A file (local runs).
    File(String),
    /// The shipped defaults compiled in.
    Shipped,
}

impl Source {
    /// `ASCENT_CONFIG_PARAMETER`, else `ASCENT_CONFIG`, else the shipped defaults.
    pub fn from_env() -> Self {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        match (var("ASCENT_CONFIG_PARAMETER"), var("ASCENT_CONFIG")) {
            (Some(name), _) => Self::Parameter(name),
            (None, Some(path)) => Self::File(path),
            (None, None) => Self::Shipped,
        }
    }
}

/// The configuration from [`Source::from_env`]. Only TOML syntax is checked here; each agent
/// validates the sections it reads.
pub async fn load(sdk: &aws_config::SdkConfig) -> Result<ConfigFile, SettingsError> {
    load_from(sdk, Source::from_env()).await
}

/// The configuration from `source`.
pub async fn load_from(
    sdk: &aws_config::SdkConfig,
    source: Source,
) -> Result<ConfigFile, SettingsError> {
    match source {
        Source::Parameter(path) if path.ends_with('/') => {
            let text = parameters_by_path(&aws_sdk_ssm::Client::new(sdk), &path).await?;
            Ok(ConfigFile::parse(format!("SSM parameters {path}*"), text)?)
        }
        Source::Parameter(name) => {
            let text = parameter(&aws_sdk_ssm::Client::new(sdk), &name).await?;
            Ok(ConfigFile::parse(format!("SSM parameter {name}"), text)?)
        }
        Source::File(path) => {
            let text = std::fs::read_to_string(&path).map_err(|e| SettingsError::File {
                path: path.clone(),
                message: e.to_string(),
            })?;
            Ok(ConfigFile::parse(path, text)?)
        }
        Source::Shipped => Ok(ConfigFile::shipped()),
    }
}

/// The parameters directly under `path`, joined in name order (one section each).
pub async fn parameters_by_path(
    client: &aws_sdk_ssm::Client,
    path: &str,
) -> Result<String, SettingsError> {
    let failed = |e| SettingsError::Parameter {
        name: path.to_string(),
        message: e,
    };
    let mut parameters = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = client
            .get_parameters_by_path()
            .path(path)
            .recursive(false)
            .with_decryption(true)
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|e| failed(aws_sdk_ssm::error::DisplayErrorContext(e).to_string()))?;
        for p in page.parameters.unwrap_or_default() {
            parameters.push((p.name.unwrap_or_default(), p.value.unwrap_or_default()));
        }
        match page.next_token {
            Some(t) if !t.is_empty() => next = Some(t),
            _ => break,
        }
    }
    if parameters.is_empty() {
        return Err(SettingsError::Empty(path.to_string()));
    }
    parameters.sort();
    let texts: Vec<String> = parameters.into_iter().map(|(_, text)| text).collect();
    Ok(texts.join("\n"))
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
