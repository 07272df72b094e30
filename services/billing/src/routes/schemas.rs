//! OpenAPI schemas of the domain's closed string sets, built from their own tables
//! (`ALL` and `as_str`), so the document and the parser never disagree on a spelling. The
//! domain stays free of documentation types; the impls live here.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::domain::invoice::{ChargeKind, InvoiceStatus, PaymentMethod};
use crate::domain::ledger::TxKind;

fn string_enum(description: &str, values: impl Iterator<Item = &'static str>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .description(Some(description))
        .enum_values(Some(values))
        .into()
}

macro_rules! enum_schema {
    ($ty:ty, $name:literal, $description:literal) => {
        impl PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                string_enum($description, <$ty>::ALL.iter().map(|v| v.as_str()))
            }
        }
        impl ToSchema for $ty {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
        }
    };
}

enum_schema!(
    ChargeKind,
    "ChargeKind",
    "What an invoice charges for: a completed ride or a cancellation fee."
);
enum_schema!(
    InvoiceStatus,
    "InvoiceStatus",
    "`open` (owed), then `paid` or `void` (both final)."
);
enum_schema!(PaymentMethod, "PaymentMethod", "How the rider paid.");
enum_schema!(
    TxKind,
    "TransactionKind",
    "The business event a ledger transaction records."
);
