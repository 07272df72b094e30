-- Accounts. Emails are stored normalised (lower-case); the hash is Argon2id in PHC form.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('rider', 'driver', 'admin')),
    created_at_ms BIGINT NOT NULL
);
