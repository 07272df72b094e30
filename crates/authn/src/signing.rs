//! Signing access tokens: an Ed25519 (EdDSA) key whose `kid` is its RFC 7638 thumbprint.
//! odmu_auth signs with it; tests sign with a key of their own, published by a test JWKS.
//! Both sign [`Claims`], the type every verifier decodes.
//!
//! Why EdDSA over RS256: 32-byte keys that are cheap to generate for every dev data folder,
//! deterministic signatures (no nonce to get wrong), and fast signing.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use serde_json::{Value, json};

use crate::Claims;

/// Why a key could not be read or made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The bytes are not an Ed25519 PKCS#8 private key.
    #[error("not an Ed25519 PKCS#8 private key")]
    NotEd25519,
    /// The text is not a PEM block.
    #[error("not a PEM block")]
    NotPem,
    /// A PEM block of another kind.
    #[error("a PEM PRIVATE KEY is expected, not {0}")]
    WrongPemTag(String),
    /// The system's random source failed.
    #[error("no randomness")]
    NoRandomness,
}

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
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, KeyError> {
        let pair =
            Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(|_| KeyError::NotEd25519)?;
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
    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        let block = pem::parse(text).map_err(|_| KeyError::NotPem)?;
        if block.tag() != "PRIVATE KEY" {
            return Err(KeyError::WrongPemTag(block.tag().to_owned()));
        }
        Self::from_pkcs8(block.contents())
    }

    /// A new random key and its PEM text.
    pub fn generate() -> Result<(Self, String), KeyError> {
        let rng = ring::rand::SystemRandom::new();
        let der = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| KeyError::NoRandomness)?;
        let text = pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref().to_vec()));
        Ok((Self::from_pkcs8(der.as_ref())?, text))
    }

    /// The public half as a JWK.
    pub fn jwk(&self) -> Value {
        json!({"kty": "OKP", "crv": "Ed25519", "x": self.x, "kid": self.kid,
               "alg": "EdDSA", "use": "sig"})
    }

    /// Signs `claims` as a compact JWT with this key's `kid`.
    pub fn sign(&self, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
        self.sign_any(claims)
    }

    /// Signs any claims set: for tests that need a token the issuer would never make.
    pub fn sign_any<T: serde::Serialize>(
        &self,
        claims: &T,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
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
        assert_eq!(
            SigningKey::from_pem("-----BEGIN NOPE-----").unwrap_err(),
            KeyError::NotPem
        );
    }
}
