//! Argon2id password hashing with OWASP's recommended parameters (19 MiB, 2 passes, 1 lane).

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use std::sync::OnceLock;

use argon2::{Algorithm, Argon2, Params, Version};

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HashError {
    /// The system's random source failed (no salt).
    #[error("no randomness for the salt")]
    NoRandomness,
    /// Argon2 refused the input.
    #[error("argon2: {0}")]
    Argon2(argon2::password_hash::Error),
}

/// Hashes and verifies passwords. Both are CPU-bound: call them from `spawn_blocking`.
pub(crate) struct Passwords {
    argon: Argon2<'static>,
    /// A hash of nothing in particular: unknown emails are verified against it so that they
    /// cost the same time as a wrong password.
    dummy: OnceLock<String>,
}

impl Passwords {
    /// OWASP's Argon2id configuration: the crate's defaults are exactly m=19456 KiB, t=2,
    /// p=1 (a test pins them). The dummy hash is made once, on first use.
    pub(crate) fn new() -> Self {
        Self {
            argon: Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default()),
            dummy: OnceLock::new(),
        }
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`) with a random salt.
    pub(crate) fn hash(&self, password: &str) -> Result<String, HashError> {
        let mut salt = [0u8; 16];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut salt)
            .map_err(|_| HashError::NoRandomness)?;
        let salt = SaltString::encode_b64(&salt).map_err(HashError::Argon2)?;
        self.argon
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(HashError::Argon2)
    }

    /// Whether `password` matches `stored`; with no stored hash it spends the same time and
    /// answers false.
    pub(crate) fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        let matches = |phc: &str| {
            PasswordHash::new(phc)
                .map(|h| self.argon.verify_password(password.as_bytes(), &h).is_ok())
                .unwrap_or(false)
        };
        match stored {
            Some(phc) => matches(phc),
            None => {
                let dummy = self.dummy.get_or_init(|| {
                    self.hash("not a password, only its cost")
                        .unwrap_or_default()
                });
                let _ = matches(dummy);
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_carry_owasp_parameters() {
        let p = Passwords::new();
        let h = p.hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(p.verify("correct horse battery", Some(&h)));
        assert!(!p.verify("correct horse battery!", Some(&h)));
        assert!(!p.verify("correct horse battery", None));
        assert_ne!(h, p.hash("correct horse battery").unwrap(), "salted");
    }
}
