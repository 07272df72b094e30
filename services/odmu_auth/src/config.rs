//! odmu_auth's own settings.

use std::collections::HashMap;
use std::time::Duration;

use odmu_config::{ConfigError, Env, Secret};

use crate::keys::SigningKeys;

/// Everything odmu_auth reads from the environment beyond the shared runtime settings.
#[derive(Debug)]
pub struct Config {
    /// `AUTH_ISSUER` (default `odmu`): the `iss` of every token (the verifiers expect it).
    pub issuer: String,
    /// `AUTH_AUDIENCE` (default `odmu`): the `aud` of every token.
    pub audience: String,
    /// Signing keys (see [`SigningKeys::from_env`]).
    pub keys: SigningKeys,
    /// Access token lifetime: 15 minutes (DESIGN.md §4).
    pub access_ttl: Duration,
    /// `AUTH_REFRESH_TTL_DAYS` (default 30).
    pub refresh_ttl: Duration,
    /// `AUTH_BOOTSTRAP_ADMIN_EMAIL` / `AUTH_BOOTSTRAP_ADMIN_PASSWORD`: the first admin.
    pub bootstrap_admin: Option<(String, Secret)>,
    /// `AUTH_SERVICE_CLIENTS`: `name:sha256hex;name:sha256hex`, the SHA-256 of each service's
    /// client secret. Secrets are 256-bit random values, not passwords, so a fast hash is
    /// enough to keep them out of the configuration.
    pub service_clients: HashMap<String, [u8; 32]>,
    /// Login attempts allowed per account from one client address in a window
    /// (`AUTH_LOGIN_LIMIT_PER_ACCOUNT`, 10).
    pub login_per_account: u32,
    /// Login attempts allowed per client address (`AUTH_LOGIN_LIMIT_PER_ADDRESS`, 50).
    pub login_per_address: u32,
    /// The window of those limits (`AUTH_LOGIN_LIMIT_WINDOW_MS`, 60000).
    pub login_window: Duration,
    /// Sign-ups allowed per client address in a window (`AUTH_SIGNUP_LIMIT_PER_ADDRESS`, 20).
    pub signup_per_address: u32,
    /// The window of that limit (`AUTH_SIGNUP_LIMIT_WINDOW_MS`, 3600000: an hour).
    pub signup_window: Duration,
    /// `AUTH_TRUSTED_PROXIES` (default `127.0.0.0/8,::1/128`): address ranges, comma-separated,
    /// of the load balancers whose `X-Forwarded-For` is believed (production: the VPC's). From
    /// any other peer the header is ignored and the peer is the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl odmu_runtime::FromEnv for Config {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Config::from_env(env)
    }
}

impl Config {
    /// Reads and checks odmu_auth's variables.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let refresh_days: u64 = env.parse_or("AUTH_REFRESH_TTL_DAYS", 30)?;
        if !(1..=365).contains(&refresh_days) {
            return Err(ConfigError::invalid(
                "AUTH_REFRESH_TTL_DAYS",
                "must be 1 to 365",
            ));
        }
        let bootstrap_admin = match (
            env.raw("AUTH_BOOTSTRAP_ADMIN_EMAIL"),
            env.secret("AUTH_BOOTSTRAP_ADMIN_PASSWORD"),
        ) {
            (Some(email), Some(password)) => {
                let email = crate::users::normalise_email(email).map_err(|p| {
                    ConfigError::invalid("AUTH_BOOTSTRAP_ADMIN_EMAIL", p.to_string())
                })?;
                crate::users::check_password(password.expose()).map_err(|p| {
                    ConfigError::invalid("AUTH_BOOTSTRAP_ADMIN_PASSWORD", p.to_string())
                })?;
                Some((email, password))
            }
            (None, None) => None,
            (Some(_), None) => {
                return Err(ConfigError::Missing {
                    var: "AUTH_BOOTSTRAP_ADMIN_PASSWORD".into(),
                });
            }
            (None, Some(_)) => {
                return Err(ConfigError::Missing {
                    var: "AUTH_BOOTSTRAP_ADMIN_EMAIL".into(),
                });
            }
        };
        let positive = |var: &str, default: u32| -> Result<u32, ConfigError> {
            match env.parse_or(var, default)? {
                0 => Err(ConfigError::invalid(var, "must be above 0")),
                n => Ok(n),
            }
        };
        let login_window = env.millis_or("AUTH_LOGIN_LIMIT_WINDOW_MS", Duration::from_secs(60))?;
        if login_window.is_zero() {
            return Err(ConfigError::invalid(
                "AUTH_LOGIN_LIMIT_WINDOW_MS",
                "must be above 0",
            ));
        }
        let signup_window =
            env.millis_or("AUTH_SIGNUP_LIMIT_WINDOW_MS", Duration::from_secs(3600))?;
        if signup_window.is_zero() {
            return Err(ConfigError::invalid(
                "AUTH_SIGNUP_LIMIT_WINDOW_MS",
                "must be above 0",
            ));
        }
        let trusted_proxies = env
            .string_or("AUTH_TRUSTED_PROXIES", "127.0.0.0/8,::1/128")
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| {
                r.parse::<ipnet::IpNet>().map_err(|_| {
                    ConfigError::invalid(
                        "AUTH_TRUSTED_PROXIES",
                        format!("{r:?} is not an address range like 10.0.0.0/16"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            issuer: env.string_or("AUTH_ISSUER", "odmu"),
            audience: env.string_or("AUTH_AUDIENCE", "odmu"),
            keys: SigningKeys::from_env(env)?,
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(refresh_days * 24 * 3600),
            bootstrap_admin,
            service_clients: parse_clients(env.secret("AUTH_SERVICE_CLIENTS"))?,
            login_per_account: positive("AUTH_LOGIN_LIMIT_PER_ACCOUNT", 10)?,
            login_per_address: positive("AUTH_LOGIN_LIMIT_PER_ADDRESS", 50)?,
            login_window,
            signup_per_address: positive("AUTH_SIGNUP_LIMIT_PER_ADDRESS", 20)?,
            signup_window,
            trusted_proxies,
        })
    }
}

fn parse_clients(value: Option<Secret>) -> Result<HashMap<String, [u8; 32]>, ConfigError> {
    let var = "AUTH_SERVICE_CLIENTS";
    let mut clients = HashMap::new();
    let Some(value) = value else {
        return Ok(clients);
    };
    for entry in value
        .expose()
        .split(';')
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let (name, hex) = entry
            .split_once(':')
            .ok_or_else(|| ConfigError::invalid(var, "each entry is name:sha256hex"))?;
        if odmu_topology::by_name(name).is_none() {
            return Err(ConfigError::invalid(
                var,
                format!("{name:?} is not an odmu service"),
            ));
        }
        let hash = decode_hex32(hex).ok_or_else(|| {
            ConfigError::invalid(var, format!("the hash for {name} is not 64 hex digits"))
        })?;
        clients.insert(name.to_owned(), hash);
    }
    Ok(clients)
}

fn decode_hex32(hex: &str) -> Option<[u8; 32]> {
    let bytes = hex.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks(2).enumerate() {
        let s = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)], dir: &tempfile::TempDir) -> Env {
        let mut all = vec![("ODMU_DATA_DIR", dir.path().to_str().unwrap())];
        all.extend_from_slice(pairs);
        Env::from_pairs(all)
    }

    #[test]
    fn service_clients_parse_and_reject_unknown_names_and_bad_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let h = "ab".repeat(32);
        let ok = format!("billing:{h}; driver_api:{h}");
        let c = Config::from_env(&env(&[("AUTH_SERVICE_CLIENTS", &ok)], &dir)).unwrap();
        assert_eq!(c.service_clients.len(), 2);
        assert_eq!(c.service_clients["billing"], [0xab; 32]);
        let bad = format!("mallory:{h}");
        let e = Config::from_env(&env(&[("AUTH_SERVICE_CLIENTS", &bad)], &dir)).unwrap_err();
        assert!(e.to_string().contains("AUTH_SERVICE_CLIENTS"));
        let e =
            Config::from_env(&env(&[("AUTH_SERVICE_CLIENTS", "billing:xyz")], &dir)).unwrap_err();
        assert!(e.to_string().contains("64 hex"));
    }

    #[test]
    fn half_a_bootstrap_admin_is_an_error_naming_the_missing_half() {
        let dir = tempfile::tempdir().unwrap();
        let e =
            Config::from_env(&env(&[("AUTH_BOOTSTRAP_ADMIN_EMAIL", "a@b.co")], &dir)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "AUTH_BOOTSTRAP_ADMIN_PASSWORD is required but not set"
        );
        let e = Config::from_env(&env(
            &[
                ("AUTH_BOOTSTRAP_ADMIN_EMAIL", "a@b.co"),
                ("AUTH_BOOTSTRAP_ADMIN_PASSWORD", "short"),
            ],
            &dir,
        ))
        .unwrap_err();
        assert!(e.to_string().contains("AUTH_BOOTSTRAP_ADMIN_PASSWORD"));
    }
}
