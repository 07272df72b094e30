//! The bounds billing accepts on what callers send. The OpenAPI document
//! states the same numbers (`minimum`/`maximum`), so a schema-valid request is never refused
//! for its size.

/// Largest amount a payment or payout may name, in minor units (10 billion units of any
/// currency). Contractual's largest price is about 4·10¹⁰ cents, so every invoice can be paid;
/// anything larger is a mistake, refused rather than summed towards an overflow.
pub const MAX_AMOUNT_CENTS: i64 = 1_000_000_000_000;
/// Longest ride distance a charge may report, in metres (contractual's own bound).
pub const MAX_DISTANCE_M: i64 = 1_000_000;
/// Longest ride duration a charge may report, in seconds (contractual's own bound).
pub const MAX_DURATION_S: i64 = 172_800;
/// Longest external payment reference, in characters.
pub const MAX_REFERENCE_CHARS: usize = 128;

/// Whether `amount` is a positive amount within [`MAX_AMOUNT_CENTS`].
pub const fn amount_in_range(amount: i64) -> bool {
    amount >= 1 && amount <= MAX_AMOUNT_CENTS
}

/// Whether `reference` has 1 to [`MAX_REFERENCE_CHARS`] characters.
pub fn reference_in_range(reference: &str) -> bool {
    let chars = reference.chars().count();
    (1..=MAX_REFERENCE_CHARS).contains(&chars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_references_are_bounded() {
        assert!(amount_in_range(1) && amount_in_range(MAX_AMOUNT_CENTS));
        for bad in [0, -1, MAX_AMOUNT_CENTS + 1, i64::MAX, i64::MIN] {
            assert!(!amount_in_range(bad), "{bad}");
        }
        assert!(reference_in_range("psp_ch_1") && reference_in_range(&"é".repeat(128)));
        assert!(!reference_in_range("") && !reference_in_range(&"x".repeat(129)));
    }
}
