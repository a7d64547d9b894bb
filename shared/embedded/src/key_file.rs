//! The twin's privacy key (the key of the keyed pseudonyms its audit chain and kept records
//! hold instead of addresses and phone numbers): `privacy.key` in the data folder, 32 random
//! bytes from the operating system, created once with mode 600 and read afterwards. It lives
//! beside the database, not in it, so a copy of `twin.db` alone cannot test a guessed address
//! against the pseudonyms.

use ascent_core::privacy::PrivacyKey;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The key file's name in the data folder.
pub const PRIVACY_KEY_FILE: &str = "privacy.key";

/// How many random bytes a new key has.
const KEY_BYTES: usize = 32;

/// Why the key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("privacy key {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("privacy key {0}: too short (at least 16 bytes; move it away to have a new one made)")]
    TooShort(PathBuf),
}

/// The key in `<dir>/privacy.key`, made there first if there is none.
pub fn privacy_key_in(dir: &Path) -> Result<PrivacyKey, KeyFileError> {
    let path = dir.join(PRIVACY_KEY_FILE);
    let io = |source| KeyFileError::Io {
        path: path.clone(),
        source,
    };
    match std::fs::read(&path) {
        Ok(bytes) => return PrivacyKey::new(bytes).ok_or(KeyFileError::TooShort(path.clone())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    std::fs::create_dir_all(dir).map_err(io)?;
    let bytes = random_bytes().map_err(io)?;
    match create_private(&path, &bytes) {
        Ok(()) => {}
        // Another process made it meanwhile: theirs is the key.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let bytes = std::fs::read(&path).map_err(io)?;
            return PrivacyKey::new(bytes).ok_or(KeyFileError::TooShort(path.clone()));
        }
        Err(e) => return Err(io(e)),
    }
    Ok(PrivacyKey::new(bytes.to_vec()).expect("32 bytes are enough"))
}

/// A key for a store that keeps nothing (in memory): random, gone with the store.
pub fn ephemeral_privacy_key() -> PrivacyKey {
    let bytes = random_bytes().unwrap_or_else(|_| uuid_bytes());
    PrivacyKey::new(bytes.to_vec()).expect("32 bytes are enough")
}

/// 32 bytes from the operating system's random source.
fn random_bytes() -> std::io::Result<[u8; KEY_BYTES]> {
    let mut bytes = [0u8; KEY_BYTES];
    if cfg!(unix) {
        std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
        Ok(bytes)
    } else {
        Ok(uuid_bytes())
    }
}

/// Two version-4 UUIDs (the OS's random source through `getrandom`, 244 random bits).
fn uuid_bytes() -> [u8; KEY_BYTES] {
    let mut bytes = [0u8; KEY_BYTES];
    for chunk in bytes.chunks_mut(16) {
        chunk.copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    }
    bytes
}

/// Creates `path` (never overwriting one that is there), readable by its owner only from the
/// start, and syncs it.
fn create_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_made_once_private_and_read_afterwards() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("twin");
        let first = privacy_key_in(&folder).unwrap();
        let path = folder.join(PRIVACY_KEY_FILE);
        assert_eq!(std::fs::read(&path).unwrap().len(), KEY_BYTES);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = privacy_key_in(&folder).unwrap();
        assert_eq!(
            first.pseudonym("ana@x.example"),
            again.pseudonym("ana@x.example")
        );
        // Another folder, another key.
        let other = privacy_key_in(&dir.path().join("other")).unwrap();
        assert_ne!(
            first.pseudonym("ana@x.example"),
            other.pseudonym("ana@x.example")
        );
        assert_ne!(
            ephemeral_privacy_key().pseudonym("ana@x.example"),
            ephemeral_privacy_key().pseudonym("ana@x.example")
        );
        std::fs::write(&path, b"short").unwrap();
        assert!(matches!(
            privacy_key_in(&folder),
            Err(KeyFileError::TooShort(_))
        ));
    }
}
