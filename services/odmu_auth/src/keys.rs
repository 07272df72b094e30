//! Signing keys: Ed25519 (EdDSA) with a `kid` that is the key's RFC 7638 thumbprint.
//!
//! Why EdDSA over RS256: 32-byte keys that are cheap to generate for every dev data folder,
//! deterministic signatures (no nonce to get wrong), and fast signing; verification cost is of
//! the same order as RS256 (see the README's figures).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::EncodingKey;
use odmu_config::{ConfigError, Env};
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use serde_json::{Value, json};

/// One Ed25519 key pair.
pub struct SigningKey {
    /// RFC 7638 thumbprint of the public key.
    pub kid: String,
    encoding: EncodingKey,
    x: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// From a PKCS#8 DER private key.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, String> {
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
            .map_err(|_| "not an Ed25519 PKCS#8 private key".to_owned())?;
        let x = B64.encode(pair.public_key().as_ref());
        // RFC 7638: SHA-256 over the required members in lexicographic order, no spaces.
        let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
        let kid = B64.encode(ring::digest::digest(
            &ring::digest::SHA256,
            canonical.as_bytes(),
        ));
        Ok(Self {
            kid,
            encoding: EncodingKey::from_ed_der(der),
            x,
        })
    }

    /// From a PEM `PRIVATE KEY` block (as `openssl genpkey -algorithm ed25519` writes it).
    pub fn from_pem(text: &str) -> Result<Self, String> {
        let block = pem::parse(text).map_err(|_| "not a PEM block".to_owned())?;
        if block.tag() != "PRIVATE KEY" {
            return Err(format!(
                "a PEM PRIVATE KEY is expected, not {}",
                block.tag()
            ));
        }
        Self::from_pkcs8(block.contents())
    }

    /// A new random key and its PEM text.
    pub fn generate() -> Result<(Self, String), String> {
        let rng = ring::rand::SystemRandom::new();
        let der = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| "no randomness".to_owned())?;
        let text = pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref().to_vec()));
        Ok((Self::from_pkcs8(der.as_ref())?, text))
    }

    /// The key for signing.
    pub fn encoding(&self) -> &EncodingKey {
        &self.encoding
    }

    /// The public half as a JWK.
    pub fn jwk(&self) -> Value {
        json!({"kty": "OKP", "crv": "Ed25519", "x": self.x, "kid": self.kid,
               "alg": "EdDSA", "use": "sig"})
    }
}

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
        .map_err(|problem| ConfigError::invalid(&from, problem))
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
        return SigningKey::from_pem(&text).map_err(fail);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot be created ({e})")))?;
    }
    let (key, text) = SigningKey::generate().map_err(fail)?;
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
            SigningKey::from_pem(&text).map_err(fail)
        }
        Err(e) => Err(fail(format!("cannot be created ({e})"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kid_is_the_rfc7638_thumbprint_and_pem_round_trips() {
        let (key, text) = SigningKey::generate().unwrap();
        let again = SigningKey::from_pem(&text).unwrap();
        assert_eq!(key.kid, again.kid);
        assert_eq!(key.kid.len(), 43);
        assert_eq!(key.jwk()["kty"], "OKP");
        assert!(!format!("{key:?}").contains("PRIVATE"));
    }

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
