//! Development credentials of the local stack: a dev admin and one client secret per service,
//! generated on first run into the data folder (mode 0600) and reused afterwards. Production
//! takes them from its secret store instead.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use odmu_topology::SERVICES;

/// The dev admin's email.
pub const DEV_ADMIN_EMAIL: &str = "admin@odmu.local";

/// The local stack's credentials.
pub struct DevSecrets {
    /// The dev admin's password.
    pub admin_password: String,
    /// Client secret per service name (odmu_auth itself has none).
    pub client_secrets: BTreeMap<String, String>,
    /// Whether they were generated just now (the admin password is printed then, once).
    pub created: bool,
    /// Where they are kept.
    pub path: PathBuf,
}

fn random_secret() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| std::io::Error::other("no randomness"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

impl DevSecrets {
    /// The dev admin's password of the stack whose data folder is `data_dir`, if it has run.
    pub fn admin_password_in(data_dir: &Path) -> Option<String> {
        let text = std::fs::read_to_string(data_dir.join("dev-secrets.env")).ok()?;
        text.lines()
            .filter_map(|l| l.strip_prefix("ADMIN_PASSWORD="))
            .map(str::to_owned)
            .next()
    }

    /// Reads `dev-secrets.env` in `data_dir`, creating it on first run.
    pub fn load_or_create(data_dir: &Path) -> std::io::Result<Self> {
        let path = data_dir.join("dev-secrets.env");
        let (text, created) = match std::fs::read_to_string(&path) {
            Ok(text) => (text, false),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut text = String::from(
                    "# Development credentials of the local stack. Never use them elsewhere.\n",
                );
                text.push_str(&format!("ADMIN_PASSWORD={}\n", random_secret()?));
                for s in SERVICES
                    .iter()
                    .filter(|s| s.name != odmu_topology::AUTH.name)
                {
                    text.push_str(&format!("CLIENT_SECRET_{}={}\n", s.name, random_secret()?));
                }
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&path)?;
                file.write_all(text.as_bytes())?;
                (text, true)
            }
            Err(e) => return Err(e),
        };
        let values: BTreeMap<&str, &str> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .collect();
        let missing = |what: &str| {
            std::io::Error::other(format!(
                "{} lacks {what}; delete it to regenerate",
                path.display()
            ))
        };
        let admin_password = values
            .get("ADMIN_PASSWORD")
            .ok_or_else(|| missing("ADMIN_PASSWORD"))?
            .to_string();
        let mut client_secrets = BTreeMap::new();
        for s in SERVICES
            .iter()
            .filter(|s| s.name != odmu_topology::AUTH.name)
        {
            let key = format!("CLIENT_SECRET_{}", s.name);
            let secret = values.get(key.as_str()).ok_or_else(|| missing(&key))?;
            client_secrets.insert(s.name.to_owned(), (*secret).to_owned());
        }
        Ok(Self {
            admin_password,
            client_secrets,
            created,
            path,
        })
    }

    /// The variables for one service: odmu_auth gets the admin and the secrets' hashes (hashed
    /// by odmu_auth's own function, so the two cannot drift), every other service its own
    /// client id and secret.
    pub fn env_for(&self, service: &str) -> Vec<(String, String)> {
        if service == odmu_topology::AUTH.name {
            let clients: Vec<String> = self
                .client_secrets
                .iter()
                .map(|(name, secret)| format!("{name}:{}", odmu_auth::sha256_hex(secret)))
                .collect();
            vec![
                ("AUTH_BOOTSTRAP_ADMIN_EMAIL".into(), DEV_ADMIN_EMAIL.into()),
                (
                    "AUTH_BOOTSTRAP_ADMIN_PASSWORD".into(),
                    self.admin_password.clone(),
                ),
                ("AUTH_SERVICE_CLIENTS".into(), clients.join(";")),
            ]
        } else {
            match self.client_secrets.get(service) {
                Some(secret) => vec![
                    ("SERVICE_CLIENT_ID".into(), service.into()),
                    ("SERVICE_CLIENT_SECRET".into(), secret.clone()),
                ],
                None => Vec::new(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_created_once_private_and_handed_out_per_service() {
        let dir = tempfile::tempdir().unwrap();
        let first = DevSecrets::load_or_create(dir.path()).unwrap();
        assert!(first.created);
        let again = DevSecrets::load_or_create(dir.path()).unwrap();
        assert!(!again.created);
        assert_eq!(first.admin_password, again.admin_password);
        assert_eq!(first.client_secrets, again.client_secrets);
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&first.path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);

        let billing = first.env_for("billing");
        assert_eq!(billing[0], ("SERVICE_CLIENT_ID".into(), "billing".into()));
        let auth = first.env_for("odmu_auth");
        let clients = &auth
            .iter()
            .find(|(k, _)| k == "AUTH_SERVICE_CLIENTS")
            .unwrap()
            .1;
        assert_eq!(clients.split(';').count(), 4);
        assert!(clients.contains(&format!(
            "billing:{}",
            odmu_auth::sha256_hex(&first.client_secrets["billing"])
        )));
        assert!(!clients.contains(&first.client_secrets["billing"]));
    }
}
