//! billing over HTTP, on real ports, beside a real odmu_contractual that prices every charge
//! (both trust one test identity; billing calls contractual with a real service token).
//! One module per feature; SQLite by default, PostgreSQL with `TEST_DATABASE_URL`.

mod authz;
mod charges;
mod contractual_down;
mod earnings;
mod invoices;
mod ledger;
mod payments;
mod payouts;
mod randomised;
mod support;
mod validation;
