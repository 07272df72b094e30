//! Text checks that agree with the OpenAPI document's constraints character for character.

/// Whether `c` is white space as JSON Schema's ECMA-262 regular expressions judge it (`\s`):
/// the document says `pattern: "\S"` for "not blank", so the server must call blank exactly
/// what a schema validator calls blank. Rust's `char::is_whitespace` differs in two places:
/// it counts U+0085 (which ECMA-262 does not) and misses U+FEFF (which ECMA-262 counts).
#[must_use]
pub fn is_schema_space(c: char) -> bool {
    (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}'
}

/// Whether `text` has no character besides white space (see [`is_schema_space`]).
#[must_use]
pub fn is_blank(text: &str) -> bool {
    text.chars().all(is_schema_space)
}

/// Whether `text` has `min..=max` characters, counted as JSON Schema counts them (code
/// points, not bytes).
#[must_use]
pub fn has_length(text: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&text.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_means_what_the_schema_pattern_means() {
        for blank in ["", " ", "\t\n", "\u{a0}\u{3000}", "\u{feff}"] {
            assert!(is_blank(blank), "{blank:?}");
        }
        for not_blank in ["a", " x ", "\u{85}", "\u{1c}", "\u{200b}"] {
            assert!(!is_blank(not_blank), "{not_blank:?}");
        }
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert!(has_length("été", 3, 3));
        assert!(!has_length("", 1, 5));
        assert!(!has_length("abcdef", 1, 5));
    }
}
