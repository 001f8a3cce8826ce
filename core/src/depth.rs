//! How deeply a caller's value may nest (a JSON document, an array parameter), defined
//! once for the core and both bindings. Converting a host value walks it recursively:
//! input nested without bound would exhaust the stack of the thread converting it
//! (Node's main thread crashed on arrays 50,000 levels deep), so deeper input is
//! refused as E_INVALID_ARGUMENT before anything is built from it.

/// Levels of nesting a value may have: `[]` and `{}` are one level, `[[1]]` two. Below
/// serde_json's own parsing limit (127 levels), so a document a binding accepts can also
/// be read back when a database returns it or a server echoes it.
pub const MAX_DEPTH: usize = 100;

/// Why a value was refused; the binding says where it sits (which parameter, the body).
pub fn too_deep() -> String {
    format!("it nests deeper than {MAX_DEPTH} levels (or contains itself)")
}

/// The deepest nesting of arrays and objects in JSON text, read without recursion:
/// brackets inside strings do not count. Malformed text is left to the parser.
pub fn json_text_depth(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for b in text.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// JSON text a caller gave (already serialized by the host) as a document, refused when
/// it nests deeper than `MAX_DEPTH` or is not JSON. The error is for people; the binding
/// wraps it in E_INVALID_ARGUMENT naming the value.
pub fn parse_json(text: &str) -> Result<serde_json::Value, String> {
    if json_text_depth(text) > MAX_DEPTH {
        return Err(too_deep());
    }
    serde_json::from_str(text).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize) -> String {
        format!("{}1{}", "[".repeat(levels), "]".repeat(levels))
    }

    #[test]
    fn depth_counts_containers_not_brackets_in_strings() {
        assert_eq!(json_text_depth("1"), 0);
        assert_eq!(json_text_depth(r#"{"a": [1, {"b": "[[[\"]]"}]}"#), 3);
        assert_eq!(json_text_depth(&nested(7)), 7);
    }

    #[test]
    fn parse_takes_max_depth_and_refuses_one_more() {
        assert!(parse_json(&nested(MAX_DEPTH)).is_ok());
        assert_eq!(parse_json(&nested(MAX_DEPTH + 1)), Err(too_deep()));
        // Far deeper than any stack: refused by the scan, never parsed.
        assert_eq!(parse_json(&nested(1_000_000)), Err(too_deep()));
    }
}
