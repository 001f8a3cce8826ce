//! The one place a URL is made fit to print: every message, repr and error field of
//! the core (HTTP requests, proxies, database URLs) shows URLs through `url`, so a
//! password never reaches a log, and no caller has its own idea of where one hides.

/// What a hidden secret is replaced by.
const MASK: &str = "***";

/// `raw` with the password of its user info and the value of any `password=` query
/// parameter replaced by `***`. Works on text that does not parse as a URL too: it
/// never fails, and when it cannot tell where the user info ends it hides too much
/// rather than too little.
pub(crate) fn url(raw: &str) -> String {
    let (head, rest) = match authority_start(raw) {
        Some(i) => raw.split_at(i),
        // No scheme (`user:pass@host:3128`, a typo'd proxy): the user info, if any, is
        // at the start.
        None => ("", raw),
    };
    let mut out = String::with_capacity(raw.len());
    out.push_str(head);
    // Database drivers read everything up to the `@` as user info; URL parsers end it
    // at the first `/`, `?` or `#`.
    let driver = head.starts_with("postgres");
    let end = if head.is_empty() {
        // No authority to find: from the first `:` to the last `@`, all is hidden
        // (`http//u:pw@h`, `u:p/w@proxy:3128`, `u:a@b@proxy`).
        rest.rfind('@')
            .and_then(|at| rest[..at].find(':').map(|c| (c, at)))
    } else {
        user_info_end(rest, driver).and_then(|at| rest[..at].find(':').map(|c| (c, at)))
    };
    let rest = match end {
        Some((colon, at)) => {
            out.push_str(&rest[..colon + 1]);
            out.push_str(MASK);
            &rest[at..]
        }
        // No password (a user name alone is no secret).
        None => rest,
    };
    match rest.split_once('?') {
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            for (i, pair) in query.split('&').enumerate() {
                if i > 0 {
                    out.push('&');
                }
                match pair.split_once('=') {
                    // A parser drops tabs, CR and LF and decodes the key:
                    // `pass%77ord=` and `pass\nword=` are passwords too.
                    Some((key, _))
                        if percent_decode(&key.replace(['\t', '\r', '\n'], ""))
                            .is_ok_and(|k| k.eq_ignore_ascii_case("password")) =>
                    {
                        out.push_str(key);
                        out.push('=');
                        out.push_str(MASK);
                    }
                    _ => out.push_str(pair),
                }
            }
        }
        None => out.push_str(rest),
    }
    out
}

/// Where the authority of `raw` starts: after a scheme, its `:` and the slashes that
/// follow. A URL parser takes one slash, or backslashes, as it takes two
/// (`http:/u:pw@h` is `http://u:pw@h/`) and drops tabs, CR and LF, so any number of
/// these counts; a `://` later
/// in the text (a query holding a URL) is no scheme.
fn authority_start(raw: &str) -> Option<usize> {
    let colon = raw.find(':')?;
    let scheme = &raw[..colon];
    let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    let slashes = raw[colon + 1..]
        .bytes()
        .take_while(|b| matches!(b, b'/' | b'\\' | b'\t' | b'\r' | b'\n'))
        .count();
    (is_scheme && slashes > 0).then_some(colon + 1 + slashes)
}

/// Where the user info of `rest` (what follows `scheme://`) ends: the index of its `@`.
///
/// The authority normally ends at the first `/`, `?` or `#`, and its user info at the
/// last `@` within it (`u:p@ss@host`). A password may also hold an unencoded `/`, `?`
/// or `#` (`u:p/ss@host`), which a URL parser refuses (and the message then quotes the
/// text) and a database `driver` reads as user info. So when the authority holds
/// `name:something` but no `@`, and an `@` follows, that `@` ends the user info,
/// unless `something` is a port and this is no driver's URL (`http://h:80/?m=a@b`:
/// a web URL that parses that way is sent to that port, and no password is in it).
/// An IPv6 host (`[::1]:8080`) is never user info.
fn user_info_end(rest: &str, driver: bool) -> Option<usize> {
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if let Some(at) = rest[..end].rfind('@') {
        return Some(at);
    }
    let (_, after_colon) = rest[..end].rsplit_once(':')?;
    if rest.starts_with('[') {
        return None;
    }
    let port = !after_colon.is_empty() && after_colon.bytes().all(|b| b.is_ascii_digit());
    if port && !driver {
        return None;
    }
    let first = end + rest[end..].find('@')?;
    // Up to the last `@` before the authority that follows (`u:p/s@s@host/db`).
    let stop = rest[first..]
        .find(['/', '?', '#'])
        .map_or(rest.len(), |i| first + i);
    rest[..stop].rfind('@')
}

/// `text` with every occurrence of `url`'s password (as written, and percent-decoded)
/// masked: for messages of libraries below the core, which may quote what they were
/// given.
pub(crate) fn secret_free(text: &str, url: &url::Url) -> String {
    let Some(password) = url.password().filter(|p| !p.is_empty()) else {
        return text.to_owned();
    };
    let mut out = text.replace(password, MASK);
    if let Ok(decoded) = percent_decode(password)
        && !decoded.is_empty()
        && decoded != password
    {
        out = out.replace(&decoded, MASK);
    }
    out
}

fn percent_decode(s: &str) -> Result<String, std::string::FromUtf8Error> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every shape a URL with a secret comes in, and what may be printed of it.
    #[test]
    fn every_url_shape_loses_its_password_and_keeps_the_rest() {
        let cases = [
            (
                "postgres://u:s3cret@h:5432/db?x=1",
                "postgres://u:***@h:5432/db?x=1",
            ),
            ("postgres://u@h/db", "postgres://u@h/db"),
            // One slash parses as two; a `://` later on is no scheme (found by fuzzing).
            (
                "http:/u:pw@h/?next=http://x",
                "http:/u:***@h/?next=http://x",
            ),
            ("http:\\\\u:pw@h/", "http:\\\\u:***@h/"),
            ("http:/\r/u:pw@h/", "http:/\r/u:***@h/"),
            ("http://h/?pass\nword=s", "http://h/?pass\nword=***"),
            (
                "postgres://h/db?pass%77ord=s",
                "postgres://h/db?pass%77ord=***",
            ),
            ("postgres://h/db", "postgres://h/db"),
            ("postgres://u:p@ss@h/db", "postgres://u:***@h/db"),
            ("postgres://u:p%40ss@h/db", "postgres://u:***@h/db"),
            ("postgres://u:p%2Fss@h/db", "postgres://u:***@h/db"),
            ("postgres://u:p%3Fss@h/db", "postgres://u:***@h/db"),
            ("postgres://u:p/ss@h/db", "postgres://u:***@h/db"),
            ("postgres://u:p?ss@h/db", "postgres://u:***@h/db"),
            ("postgres://u:p#ss@h/db", "postgres://u:***@h/db"),
            ("postgres://u:p/s@s@h/db", "postgres://u:***@h/db"),
            ("postgres://u:12/34@h/db", "postgres://u:***@h/db"),
            ("postgres://u:@h/db", "postgres://u:***@h/db"),
            (
                "postgres://u:pw@[::1]:5432/db",
                "postgres://u:***@[::1]:5432/db",
            ),
            ("http://u:pw@[::1]:8080/x", "http://u:***@[::1]:8080/x"),
            ("http://[::1]:8080/a@b", "http://[::1]:8080/a@b"),
            ("http://h:8080/p?mail=a@b", "http://h:8080/p?mail=a@b"),
            ("http://u:p/ss@h/x", "http://u:***@h/x"),
            ("http://u:p?ss@h/x", "http://u:***@h/x"),
            ("http://h/p?mail=a@b", "http://h/p?mail=a@b"),
            ("http://user:pw@h/p?q=1#f", "http://user:***@h/p?q=1#f"),
            ("postgres://h/db?password=x", "postgres://h/db?password=***"),
            (
                "postgres://h/db?a=1&PASSWORD=x&b=2",
                "postgres://h/db?a=1&PASSWORD=***&b=2",
            ),
            ("sqlite::memory:", "sqlite::memory:"),
            ("sqlite:///tmp/a@b.db", "sqlite:///tmp/a@b.db"),
            ("u:pw@proxy:3128", "u:***@proxy:3128"),
            ("u:a@p:w@proxy:3128", "u:***@proxy:3128"),
            ("http//u:pw@h", "http//u:***@h"),
            ("not a url", "not a url"),
            ("", ""),
        ];
        for (raw, shown) in cases {
            assert_eq!(url(raw), shown, "{raw}");
        }
    }

    #[test]
    fn secret_free_masks_the_password_as_written_and_decoded() {
        let u = url::Url::parse("http://u:p%2Fw@h/").unwrap();
        assert_eq!(secret_free("a p%2Fw b p/w c", &u), "a *** b *** c");
        let none = url::Url::parse("http://u@h/").unwrap();
        assert_eq!(secret_free("u@h", &none), "u@h");
    }
}
