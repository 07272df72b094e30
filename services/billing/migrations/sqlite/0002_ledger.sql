-- The bootstrap's invoices table (nothing depends on it yet) becomes the billing schema:
-- invoices, the double-entry ledger (append-only), its caches, payments and payouts.
DROP INDEX invoices_by_rider;
DROP TABLE invoices;

-- Invoices: exactly one per (ride_id, kind), enforced here rather than by a read-then-write.
-- `charge_tx_id` is the ledger transaction that charged it (NULL for an invoice of 0, which
-- posts nothing); `void_tx_id` the one that reversed it.
CREATE TABLE invoices (
    id TEXT PRIMARY KEY,
    ride_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('ride', 'cancellation')),
    rider_id TEXT NOT NULL,
    driver_id TEXT NOT NULL,
    quote_id TEXT NOT NULL,
    currency TEXT NOT NULL CHECK (length(currency) = 3),
    amount_cents BIGINT NOT NULL CHECK (amount_cents >= 0),
    platform_cents BIGINT NOT NULL CHECK (platform_cents >= 0),
    driver_cents BIGINT NOT NULL CHECK (driver_cents >= 0),
    basis TEXT NOT NULL,
    tariff_code TEXT,
    tariff_version BIGINT,
    status TEXT NOT NULL CHECK (status IN ('open', 'paid', 'void')),
    charge_tx_id TEXT,
    void_tx_id TEXT,
    created_at_ms BIGINT NOT NULL,
    paid_at_ms BIGINT,
    voided_at_ms BIGINT,
    CONSTRAINT invoices_one_per_ride_and_kind UNIQUE (ride_id, kind),
    CONSTRAINT invoices_split_adds_up CHECK (platform_cents + driver_cents = amount_cents)
);
CREATE INDEX invoices_by_time ON invoices (created_at_ms, id);
CREATE INDEX invoices_by_status ON invoices (status, created_at_ms, id);
CREATE INDEX invoices_by_rider ON invoices (rider_id, created_at_ms, id);
CREATE INDEX invoices_by_rider_status ON invoices (rider_id, status, created_at_ms, id);

-- Payouts to drivers (the ledger transaction `payout` points back here).
CREATE TABLE payouts (
    id TEXT PRIMARY KEY,
    driver_id TEXT NOT NULL,
    currency TEXT NOT NULL CHECK (length(currency) = 3),
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    transaction_id TEXT NOT NULL UNIQUE,
    admin_id TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX payouts_by_driver ON payouts (driver_id, created_at_ms, id);

-- The journal: one row per balanced transaction. At most one charge, one payment and one
-- void per invoice (NULL invoice_ids, i.e. payouts, never collide).
CREATE TABLE ledger_transactions (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('charge', 'payment', 'payout', 'void')),
    currency TEXT NOT NULL CHECK (length(currency) = 3),
    invoice_id TEXT REFERENCES invoices (id),
    payout_id TEXT REFERENCES payouts (id),
    created_at_ms BIGINT NOT NULL,
    CONSTRAINT ledger_one_per_invoice_and_kind UNIQUE (invoice_id, kind)
);
CREATE INDEX ledger_transactions_by_time ON ledger_transactions (created_at_ms, id);

-- The postings, append-only (triggers below): debit positive, credit negative.
CREATE TABLE ledger_entries (
    transaction_id TEXT NOT NULL REFERENCES ledger_transactions (id),
    seq BIGINT NOT NULL,
    account TEXT NOT NULL,
    currency TEXT NOT NULL CHECK (length(currency) = 3),
    amount_cents BIGINT NOT NULL CHECK (amount_cents <> 0),
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (transaction_id, seq),
    CONSTRAINT ledger_entries_one_per_account UNIQUE (transaction_id, account)
);
CREATE INDEX ledger_entries_by_account ON ledger_entries (account, currency, created_at_ms, transaction_id);

-- Caches derived from the entries, updated in the transaction that appends them.
CREATE TABLE ledger_balances (
    account TEXT NOT NULL,
    currency TEXT NOT NULL CHECK (length(currency) = 3),
    balance_cents BIGINT NOT NULL,
    postings BIGINT NOT NULL,
    PRIMARY KEY (account, currency)
);
CREATE TABLE ledger_totals (
    currency TEXT PRIMARY KEY CHECK (length(currency) = 3),
    debits_cents BIGINT NOT NULL,
    credits_cents BIGINT NOT NULL,
    postings BIGINT NOT NULL,
    transactions BIGINT NOT NULL
);

-- Payments recorded against invoices: whole, so at most one per invoice.
CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    invoice_id TEXT NOT NULL UNIQUE REFERENCES invoices (id),
    rider_id TEXT NOT NULL,
    currency TEXT NOT NULL CHECK (length(currency) = 3),
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    method TEXT NOT NULL CHECK (method IN ('card', 'cash')),
    reference TEXT NOT NULL CHECK (length(reference) BETWEEN 1 AND 128),
    transaction_id TEXT NOT NULL UNIQUE REFERENCES ledger_transactions (id),
    created_at_ms BIGINT NOT NULL
);

-- Entries and transactions are never updated or deleted.
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER ledger_transactions_no_update BEFORE UPDATE ON ledger_transactions
BEGIN SELECT RAISE(ABORT, 'ledger transactions are append-only'); END;
CREATE TRIGGER ledger_transactions_no_delete BEFORE DELETE ON ledger_transactions
BEGIN SELECT RAISE(ABORT, 'ledger transactions are append-only'); END;
