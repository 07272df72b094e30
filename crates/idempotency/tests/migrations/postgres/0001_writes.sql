-- What the test route writes: one row per execution of its handler.
CREATE TABLE writes (
    id TEXT PRIMARY KEY,
    caller TEXT NOT NULL,
    amount BIGINT NOT NULL
);
