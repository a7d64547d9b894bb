//! Where the twin keeps its state, how it is reached, its business settings, and the secrets
//! it keeps there (the approval-link key, the events token).

use crate::access::MIN_TOKEN_CHARS;
use crate::config::AscentConfig;
use ascent_embedded::TwinConfig;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The environment variable that sets the events token.
pub const EVENTS_TOKEN_VAR: &str = "ASCENT_EVENTS_TOKEN";

/// Where the events token came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenSource {
    /// [`EVENTS_TOKEN_VAR`].
    Environment,
    /// The token file, as it was.
    File(PathBuf),
    /// The token file, created now.
    Generated(PathBuf),
}

/// The bearer token `POST /events` requires, and where it came from.
#[derive(Clone, Debug)]
pub struct EventsToken {
    pub token: String,
    pub source: TokenSource,
}

/// Why the events token could not be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(
        "{0} holds fewer than {MIN_TOKEN_CHARS} characters; the events token needs at least {MIN_TOKEN_CHARS}"
    )]
    TooShort(String),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Paths and address of a twin.
#[derive(Clone, Debug)]
pub struct Settings {
    /// State folder (`.ascent/` in the working directory by default).
    pub data_dir: PathBuf,
    pub host: String,
    pub port: u16,
    /// The business settings (`ascent.toml`); the shipped defaults unless set.
    pub config: Arc<AscentConfig>,
}

impl Settings {
    pub fn new(data_dir: impl Into<PathBuf>, port: u16) -> Self {
        Self {
            data_dir: data_dir.into(),
            host: "127.0.0.1".into(),
            port,
            config: Arc::new(AscentConfig::shipped()),
        }
    }
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("twin.db")
    }
    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }
    pub fn base_url(&self) -> String {
        if self.host.contains(':') && !self.host.starts_with('[') {
            format!("http://[{}]:{}", self.host, self.port)
        } else {
            format!("http://{}:{}", self.host, self.port)
        }
    }
    pub fn events_token_path(&self) -> PathBuf {
        self.data_dir.join("events.token")
    }

    /// The token `POST /events` requires: [`EVENTS_TOKEN_VAR`] if set, else the one in
    /// `<data_dir>/events.token`; with `generate`, a random one written there (mode 600) when
    /// there is none. `None`: no token (the twin asks for none, `emit` sends none).
    pub fn events_token(&self, generate: bool) -> Result<Option<EventsToken>, TokenError> {
        self.events_token_from(std::env::var(EVENTS_TOKEN_VAR).ok(), generate)
    }

    fn events_token_from(
        &self,
        from_env: Option<String>,
        generate: bool,
    ) -> Result<Option<EventsToken>, TokenError> {
        let checked = |token: &str, source: TokenSource| {
            let token = token.trim();
            if token.chars().count() < MIN_TOKEN_CHARS {
                let named = match &source {
                    TokenSource::Environment => EVENTS_TOKEN_VAR.to_string(),
                    TokenSource::File(p) | TokenSource::Generated(p) => p.display().to_string(),
                };
                return Err(TokenError::TooShort(named));
            }
            Ok(Some(EventsToken {
                token: token.to_string(),
                source,
            }))
        };
        if let Some(token) = from_env.filter(|t| !t.is_empty()) {
            return checked(&token, TokenSource::Environment);
        }
        let path = self.events_token_path();
        let io = |source| TokenError::Io {
            path: path.clone(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(token) => return checked(&token, TokenSource::File(path.clone())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        if !generate {
            return Ok(None);
        }
        std::fs::create_dir_all(&self.data_dir).map_err(io)?;
        let token = random_secret();
        write_private(&path, token.as_bytes()).map_err(io)?;
        checked(&token, TokenSource::Generated(path.clone()))
    }

    /// The HMAC key for approval links: `ASCENT_LINK_KEY` if set, else a random key created
    /// once in `<data_dir>/link.key` (mode 600).
    pub fn link_key(&self) -> std::io::Result<Vec<u8>> {
        if let Ok(k) = std::env::var("ASCENT_LINK_KEY")
            && k.len() >= 32
        {
            return Ok(k.into_bytes());
        }
        let path = self.data_dir.join("link.key");
        if let Ok(k) = std::fs::read(&path)
            && k.len() >= 32
        {
            return Ok(k);
        }
        std::fs::create_dir_all(&self.data_dir)?;
        let key = random_secret();
        write_private(&path, key.as_bytes())?;
        Ok(key.into_bytes())
    }

    /// Twin configuration for these settings.
    pub fn twin_config(&self) -> std::io::Result<TwinConfig> {
        Ok(TwinConfig {
            link_key: self.link_key()?,
            base_url: self.base_url(),
            outbox_dir: Some(self.outbox_dir()),
            approvals: self.config.host.policy(),
            mail_from: self.config.host.mail.from.clone(),
            retention: self.config.host.retention.clone(),
            ..TwinConfig::default()
        })
    }
}

/// 64 hex digits from two random UUIDs (244 random bits).
fn random_secret() -> String {
    (0..2)
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect()
}

/// Writes a file only its owner may read (mode 600 from its creation on).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // A file that was there keeps its mode through `open`.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_events_token_comes_from_the_environment_or_the_data_folder() {
        let dir = tempfile::tempdir().unwrap();
        let s = Settings::new(dir.path().join("twin"), 8787);
        let long = "e".repeat(MIN_TOKEN_CHARS);
        let t = s
            .events_token_from(Some(long.clone()), true)
            .unwrap()
            .unwrap();
        assert_eq!(
            (t.token.as_str(), t.source),
            (long.as_str(), TokenSource::Environment)
        );
        assert!(
            !s.data_dir.exists(),
            "a token from the environment writes nothing"
        );
        assert!(matches!(
            s.events_token_from(Some("short".into()), true),
            Err(TokenError::TooShort(name)) if name == EVENTS_TOKEN_VAR
        ));
        // None set: none on loopback, a generated one beyond.
        assert!(s.events_token_from(None, false).unwrap().is_none());
        assert!(!s.data_dir.exists());
        let made = s
            .events_token_from(Some(String::new()), true)
            .unwrap()
            .unwrap();
        assert_eq!(made.source, TokenSource::Generated(s.events_token_path()));
        assert_eq!(made.token.len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(s.events_token_path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Then the same one, also where none would be generated (`emit`, a loopback twin).
        let again = s.events_token_from(None, false).unwrap().unwrap();
        assert_eq!(again.token, made.token);
        assert_eq!(again.source, TokenSource::File(s.events_token_path()));
        std::fs::write(s.events_token_path(), "short\n").unwrap();
        assert!(matches!(
            s.events_token_from(None, true),
            Err(TokenError::TooShort(_))
        ));
    }

    #[test]
    fn an_ipv6_host_is_bracketed_in_urls() {
        let mut s = Settings::new(".ascent", 8787);
        assert_eq!(s.base_url(), "http://127.0.0.1:8787");
        s.host = "::1".into();
        assert_eq!(s.base_url(), "http://[::1]:8787");
    }
}
