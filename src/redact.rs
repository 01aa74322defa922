//! Redaction of secrets in strings that come from inputs (error messages, labels, URLs), so a
//! report can be published: cookies, authorization headers, bearer tokens, passwords in URLs and
//! secret-looking query parameters become `[redacted]`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

pub const REDACTED: &str = "[redacted]";

struct Rule {
    pattern: Regex,
    replacement: &'static str,
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let rule = |pattern: &str, replacement: &'static str| Rule {
        pattern: Regex::new(pattern).expect("redaction patterns are valid"),
        replacement,
    };
    vec![
        // Header lines: everything after the colon up to the end of the line.
        rule(
            r"(?i)\b((?:proxy-)?authorization|cookie|set-cookie|x-api-key|x-auth-token|api-key)(\s*:\s*)[^\r\n]+",
            "${1}${2}[redacted]",
        ),
        rule(
            r"(?i)\b(bearer|basic|token)(\s+)[A-Za-z0-9._~+/=-]{8,}",
            "${1}${2}[redacted]",
        ),
        // user:password@ in URLs.
        rule(
            r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@",
            "${1}[redacted]@",
        ),
        // Secret-looking query or form parameters and cookie pairs.
        rule(
            r"(?i)([?&;\s]|^)((?:access|refresh|id|auth)?_?token|api[_-]?key|apikey|key|secret|client_secret|password|passwd|pwd|pass|auth|session|session_?id|sessionid|jsessionid|phpsessid|sid|signature|sig|x-amz-signature|x-amz-credential|x-amz-security-token|code)=[^&#\s;'\x22]+",
            "${1}${2}=[redacted]",
        ),
    ]
});

/// The string with secrets replaced by `[redacted]`; borrowed when nothing matched.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for rule in RULES.iter() {
        if rule.pattern.is_match(&out) {
            out = Cow::Owned(
                rule.pattern
                    .replace_all(&out, rule.replacement)
                    .into_owned(),
            );
        }
    }
    out
}

/// Redacts the keys of a count map, adding up counts of keys that become equal.
pub fn redact_keys(map: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (key, count) in map {
        *out.entry(redact(key).into_owned()).or_insert(0) += count;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        let cases = [
            (
                "Cookie: sessionid=abc123; csrftoken=x",
                "Cookie: [redacted]",
            ),
            (
                "Authorization: Bearer eyJhbGciOi.J9",
                "Authorization: [redacted]",
            ),
            (
                "GET https://api.example.com/v1?api_key=SECRET123&page=2",
                "GET https://api.example.com/v1?api_key=[redacted]&page=2",
            ),
            (
                "http://bob:hunter2@example.com/x",
                "http://[redacted]@example.com/x",
            ),
            ("token abcdefghijklmnop", "token [redacted]"),
            (
                "https://s3/x?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA",
                "https://s3/x?X-Amz-Signature=[redacted]&X-Amz-Credential=[redacted]",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(redact(input), expected, "{input}");
        }
    }

    #[test]
    fn ordinary_text_is_untouched() {
        for text in [
            "Non HTTP response message: Connection refused",
            "Get \"data\", big",
            "http://127.0.0.1:8000/index.html?page=2",
            "Number of samples in transaction : 2, number of failing samples : 0",
        ] {
            assert!(matches!(redact(text), Cow::Borrowed(_)), "{text}");
        }
    }

    #[test]
    fn keys_that_become_equal_are_added_up() {
        let mut m = BTreeMap::new();
        m.insert("GET /?token=a1".to_string(), 2);
        m.insert("GET /?token=b2".to_string(), 3);
        let r = redact_keys(&m);
        assert_eq!(r.get("GET /?token=[redacted]"), Some(&5));
    }
}
