//! odmu_auth's signing keys: the current one and, during a rotation, the previous one, from
//! the environment or a development key in the data folder. The key type itself
//! ([`SigningKey`]) lives in `odmu_authn`, beside the claims it signs.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use odmu_authn::SigningKey;
use odmu_config::{ConfigError, Env};
use serde_json::{Value, json};

/// The key that signs, and the previous one, still published until its tokens expire.
#[derive(Debug)]
pub struct SigningKeys {
    /// Signs every new token.
    pub current: SigningKey,
    /// Verifies only: published in the JWKS during a rotation.
    pub previous: Option<SigningKey>,
}

impl SigningKeys {
    /// The JWKS document.
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = std::iter::once(&self.current)
            .chain(self.previous.as_ref())
            .map(SigningKey::jwk)
            .collect();
        json!({ "keys": keys })
    }

    /// Reads the keys:
    /// - current: `AUTH_SIGNING_KEY` (PEM text) or `AUTH_SIGNING_KEY_FILE`; when neither is set,
    ///   a development key in `$ODMU_DATA_DIR/odmu_auth/signing-key.pem`, created on first run
    ///   (a read-only production filesystem makes that fail loudly instead of silently giving
    ///   each task its own key);
    /// - previous: `AUTH_PREVIOUS_SIGNING_KEY` or `AUTH_PREVIOUS_SIGNING_KEY_FILE`, optional.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let current = match read_key(env, "AUTH_SIGNING_KEY")? {
            Some(key) => key,
            None => dev_key(Path::new(&env.string_or("ODMU_DATA_DIR", ".data")))?,
        };
        let previous = read_key(env, "AUTH_PREVIOUS_SIGNING_KEY")?;
        if previous.as_ref().is_some_and(|p| p.kid == current.kid) {
            return Err(ConfigError::invalid(
                "AUTH_PREVIOUS_SIGNING_KEY",
                "is the same key as AUTH_SIGNING_KEY",
            ));
        }
        Ok(Self { current, previous })
    }
}

fn read_key(env: &Env, var: &str) -> Result<Option<SigningKey>, ConfigError> {
    let file_var = format!("{var}_FILE");
    let (text, from) = match (env.secret(var), env.raw(&file_var)) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::invalid(
                var,
                format!("set {var} or {file_var}, not both"),
            ));
        }
        (Some(secret), None) => (secret.expose().to_owned(), var.to_owned()),
        (None, Some(path)) => (
            std::fs::read_to_string(path)
                .map_err(|e| ConfigError::invalid(&file_var, format!("cannot read {path}: {e}")))?,
            file_var,
        ),
        (None, None) => return Ok(None),
    };
    SigningKey::from_pem(&text)
        .map(Some)
        .map_err(|problem| ConfigError::invalid(&from, problem.to_string()))
}

fn dev_key(data_dir: &Path) -> Result<SigningKey, ConfigError> {
    let path: PathBuf = data_dir.join("odmu_auth").join("signing-key.pem");
    let fail = |what: String| {
        ConfigError::invalid(
            "AUTH_SIGNING_KEY",
            format!(
                "is not set, and the development key {}: {what}",
                path.display()
            ),
        )
    };
    if let Ok(text) = std::fs::read_to_string(&path) {
        return SigningKey::from_pem(&text).map_err(|e| fail(e.to_string()));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot be created ({e})")))?;
    }
    let (key, text) = SigningKey::generate().map_err(|e| fail(e.to_string()))?;
    use std::os::unix::fs::OpenOptionsExt as _;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
    {
        Ok(mut file) => {
            file.write_all(text.as_bytes())
                .map_err(|e| fail(format!("cannot be written ({e})")))?;
            tracing::info!(kid = %key.kid, path = %path.display(), "generated a development signing key");
            Ok(key)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(&path).map_err(|e| fail(e.to_string()))?;
            SigningKey::from_pem(&text).map_err(|e| fail(e.to_string()))
        }
        Err(e) => Err(fail(format!("cannot be created ({e})"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_key_values_name_their_variable() {
        let env = Env::from_pairs([("AUTH_SIGNING_KEY", "-----BEGIN NOPE-----")]);
        let err = SigningKeys::from_env(&env).unwrap_err().to_string();
        assert!(err.starts_with("AUTH_SIGNING_KEY is invalid"), "{err}");
        assert!(!err.contains("NOPE"), "the value is not echoed: {err}");
        let env = Env::from_pairs([("AUTH_SIGNING_KEY_FILE", "/nonexistent/key.pem")]);
        let err = SigningKeys::from_env(&env).unwrap_err().to_string();
        assert!(err.contains("AUTH_SIGNING_KEY_FILE"), "{err}");
    }

    #[test]
    fn the_dev_key_is_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let env = Env::from_pairs([("ODMU_DATA_DIR", dir.path().to_str().unwrap())]);
        let first = SigningKeys::from_env(&env).unwrap();
        let second = SigningKeys::from_env(&env).unwrap();
        assert_eq!(first.current.kid, second.current.kid);
        let path = dir.path().join("odmu_auth/signing-key.pem");
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn jwks_lists_current_then_previous() {
        let (current, _) = SigningKey::generate().unwrap();
        let (previous, _) = SigningKey::generate().unwrap();
        let (ck, pk) = (current.kid.clone(), previous.kid.clone());
        let keys = SigningKeys {
            current,
            previous: Some(previous),
        };
        let jwks = keys.jwks();
        assert_eq!(jwks["keys"][0]["kid"], ck.as_str());
        assert_eq!(jwks["keys"][1]["kid"], pk.as_str());
    }
}
