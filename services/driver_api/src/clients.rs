//! One typed client per service driver_api calls, each with its own timeout: a dependency
//! that is down or slow is a 503 for our caller, never a hang.

pub mod billing;
pub mod contractual;

/// `text` as one URL path segment: unreserved characters as they are, the rest
/// percent-encoded (ids come from tokens and quotes, but a `/` must never change the path).
pub(crate) fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn segments_cannot_change_the_path() {
        assert_eq!(super::segment("a1-b_c.d~"), "a1-b_c.d~");
        assert_eq!(super::segment("../x?y#z"), "..%2Fx%3Fy%23z");
    }
}
