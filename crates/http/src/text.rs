//! Text that cannot break storage or logs: control characters are refused in every JSON body
//! (422 naming each field), whatever the endpoint. PostgreSQL refuses NUL in text, SQLite's
//! `length()` stops at it, and terminals and log pipelines act on the others.

use serde_json::Value;

use crate::Problem;

/// What a field holding a control character is told.
pub const CONTROL_MESSAGE: &str = "must not contain control characters (U+0000 to U+001F other \
    than tab, line feed and carriage return, or U+007F to U+009F)";

/// A character no text field of odmu accepts: the C0 controls but tab, line feed and carriage
/// return (multi-line text keeps its lines), DEL, and the C1 controls.
pub fn is_forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

/// Whether `text` holds a character of [`is_forbidden`].
pub fn has_forbidden(text: &str) -> bool {
    text.chars().any(is_forbidden)
}

/// Whether the raw JSON `body` may hold a forbidden character in a string: an escape of one
/// (`\u0000`, `\b`, ...), a raw DEL, or a raw C1 character. A fast scan of the bytes, so the
/// common body costs no second parse; a `true` is confirmed by [`fields_with_controls`].
pub fn json_may_hold_controls(body: &[u8]) -> bool {
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'\\' => match body.get(i + 1) {
                Some(b'b' | b'f') => return true,
                Some(b'u') => {
                    let unit = body
                        .get(i + 2..i + 6)
                        .and_then(|h| std::str::from_utf8(h).ok())
                        .and_then(|h| u32::from_str_radix(h, 16).ok());
                    if unit.and_then(char::from_u32).is_some_and(is_forbidden) {
                        return true;
                    }
                    i += 6;
                    continue;
                }
                _ => i += 2,
            },
            0x7f => return true,
            // U+0080 to U+009F in UTF-8.
            0xc2 if body.get(i + 1).is_some_and(|b| (0x80..=0x9f).contains(b)) => return true,
            _ => i += 1,
        }
    }
    false
}

/// The dotted path (`pickup.name`, `items[2]`) of every string, and of every member name,
/// in `value` that holds a forbidden character.
pub fn fields_with_controls(value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    walk(value, String::new(), &mut found);
    found
}

fn walk(value: &Value, path: String, found: &mut Vec<String>) {
    match value {
        Value::String(s) if has_forbidden(s) => found.push(display(path)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, format!("{path}[{i}]"), found);
            }
        }
        Value::Object(members) => {
            for (name, member) in members {
                let child = match path.is_empty() {
                    true => name.clone(),
                    false => format!("{path}.{name}"),
                };
                if has_forbidden(name) {
                    found.push(display(child.clone()));
                }
                walk(member, child, found);
            }
        }
        _ => {}
    }
}

fn display(path: String) -> String {
    match path.is_empty() {
        true => "(body)".to_owned(),
        // A member name with a control in it is shown escaped, never raw.
        false => path.chars().flat_map(char::escape_debug).collect(),
    }
}

/// The 422 for a JSON body with control characters, or `None` when it has none.
pub fn json_problem(body: &[u8]) -> Option<Problem> {
    if !json_may_hold_controls(body) {
        return None;
    }
    // Not JSON at all: the parse that follows answers 400.
    let value: Value = serde_json::from_slice(body).ok()?;
    let fields = fields_with_controls(&value);
    if fields.is_empty() {
        return None;
    }
    let mut problem = Problem::unprocessable("The body holds control characters.");
    for field in fields {
        problem = problem.with_field_error(field, CONTROL_MESSAGE);
    }
    Some(problem)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn controls_are_found_escaped_or_raw_and_lines_are_kept() {
        assert!(json_may_hold_controls(br#"{"a":"\u0000x"}"#));
        assert!(json_may_hold_controls(br#"{"a":"\u001B[31m"}"#));
        assert!(json_may_hold_controls(br#"{"a":"\b"}"#));
        assert!(json_may_hold_controls("{\"a\":\"\u{85}\"}".as_bytes()));
        assert!(json_may_hold_controls(b"{\"a\":\"\x7f\"}"));
        assert!(!json_may_hold_controls(
            br#"{"a":"line\nline\tcol\r","b":"\u00e9\"\\u0000"}"#
        ));
        assert!(!json_may_hold_controls("{\"a\":\"é ü 日本\"}".as_bytes()));
    }

    #[test]
    fn every_field_with_a_control_is_named() {
        let body = json!({"name": "ok", "ref": "\u{0}abc", "items": [{"x": "a\u{7}"}],
                          "bad\u{1}key": 1});
        assert_eq!(
            fields_with_controls(&body),
            ["bad\\u{1}key", "items[0].x", "ref"]
        );
        let problem = json_problem(serde_json::to_string(&body).unwrap().as_bytes()).unwrap();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors.len(), 3);
        assert!(
            json_problem(br#"{"a":"\u0000"#).is_none(),
            "not JSON: the parse answers"
        );
    }
}
