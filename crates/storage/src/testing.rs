//! A fresh database per test: a SQLite file in a temporary folder by default, or a new
//! PostgreSQL database on the server `TEST_DATABASE_URL` points at, dropped afterwards.

use sqlx::{AnyConnection, Connection as _, Executor as _};

use crate::with_database;

/// One test's own database. Dropping it deletes it.
pub struct TestDatabase {
    url: String,
    kind: Kind,
}

enum Kind {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// A new, empty database.
    ///
    /// # Panics
    /// When `TEST_DATABASE_URL` is set but the server refuses to create a database: a test
    /// cannot run without its database.
    pub async fn new() -> Self {
        crate::DRIVERS.call_once(sqlx::any::install_default_drivers);
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.trim().is_empty() => {
                let name = format!("odmu_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = AnyConnection::connect(&admin_url)
                    .await
                    .expect("TEST_DATABASE_URL: cannot connect");
                admin
                    .execute(format!("CREATE DATABASE \"{name}\"").as_str())
                    .await
                    .expect("TEST_DATABASE_URL: cannot create a database");
                let _ = admin.close().await;
                Self {
                    url: with_database(&admin_url, &name),
                    kind: Kind::Postgres { admin_url, name },
                }
            }
            _ => {
                let dir = tempfile::Builder::new()
                    .prefix("odmu-test-")
                    .tempdir()
                    .expect("cannot create a temporary folder");
                let url = format!("sqlite://{}/test.db?mode=rwc", dir.path().display());
                Self {
                    url,
                    kind: Kind::Sqlite(dir),
                }
            }
        }
    }

    /// The URL to hand to the code under test as `DATABASE_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Kind::Postgres { admin_url, name } = &self.kind else {
            return; // the temporary folder removes itself
        };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Drop runs inside the test's runtime; a thread with its own runtime may block.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(mut admin) = AnyConnection::connect(&admin_url).await {
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    let _ = admin.execute(sql.as_str()).await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}
