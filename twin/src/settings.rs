//! Where the twin keeps its state and how it is reached.

use ascent_embedded::TwinConfig;
use std::path::{Path, PathBuf};

/// Paths and address of a twin.
#[derive(Clone, Debug)]
pub struct Settings {
    /// State folder (`.ascent/` in the working directory by default).
    pub data_dir: PathBuf,
    pub host: String,
    pub port: u16,
}

impl Settings {
    pub fn new(data_dir: impl Into<PathBuf>, port: u16) -> Self {
        Self {
            data_dir: data_dir.into(),
            host: "127.0.0.1".into(),
            port,
        }
    }
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("twin.db")
    }
    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }
    pub fn base_url(&self) -> String {
        format!("http://{}:{}", self.host, self.port)
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
        let key: String = (0..2)
            .map(|_| uuid::Uuid::new_v4().simple().to_string())
            .collect();
        write_private(&path, key.as_bytes())?;
        Ok(key.into_bytes())
    }

    /// Twin configuration for these settings.
    pub fn twin_config(&self) -> std::io::Result<TwinConfig> {
        Ok(TwinConfig {
            link_key: self.link_key()?,
            base_url: self.base_url(),
            outbox_dir: Some(self.outbox_dir()),
            ..TwinConfig::default()
        })
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}
