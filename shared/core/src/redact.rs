//! Refusal messages without the values they refused: serde's messages quote what they got
//! (`invalid type: string "ana@x.example", expected u32`, ``unknown variant `ana@x.example` ``),
//! and refusals end up in HTTP answers, logs and dead letters. [`serde_message`] keeps the
//! rule (the kind of value, what was expected, the allowed variants, field names) and drops
//! the value.

/// What stands for a personal segment of a key in a message.
pub const PERSONAL: &str = "<personal>";

/// An address or a phone number that is not a pseudonym (pseudonyms may be shown: they name
/// nobody without the privacy key).
fn shows_a_person(s: &str) -> bool {
    crate::privacy::looks_personal(s) && !crate::privacy::is_pseudonym(s)
}

/// A data-lake key as failure reasons and logs show it: every segment (split at `#` and `/`)
/// that is an email address or a phone number ([`crate::privacy::looks_personal`]:
/// `email#ana@x.example`, `dnc#+4930123456`) becomes [`PERSONAL`]; prefixes and ids stay, so
/// the message still names the record's kind and which one.
pub fn key(key: &str) -> std::borrow::Cow<'_, str> {
    let personal = |piece: &str| shows_a_person(piece.trim_end_matches(['#', '/']));
    if !key.split_inclusive(['#', '/']).any(personal) {
        return key.into();
    }
    let mut out = String::with_capacity(key.len());
    for piece in key.split_inclusive(['#', '/']) {
        let segment = piece.trim_end_matches(['#', '/']);
        out.push_str(if personal(piece) { PERSONAL } else { segment });
        out.push_str(&piece[segment.len()..]);
    }
    out.into()
}

/// Free text from elsewhere (a provider's error message) with every word that is an email
/// address or a phone number ([`crate::privacy::looks_personal`]) shown as [`PERSONAL`]: SES,
/// for one, names the recipient it refused, and such messages become logged failure reasons.
/// Words are split as [`crate::audit::pseudonymise_text`] splits them.
pub fn text(text: &str) -> std::borrow::Cow<'_, str> {
    let is_word =
        |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '@' | '~');
    let personal = |word: &str| shows_a_person(word.trim_end_matches('.'));
    if !text.split(|c: char| !is_word(c)).any(personal) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(|c: char| !is_word(c)).unwrap_or(rest.len());
        let (word, after) = rest.split_at(end);
        let bare = word.trim_end_matches('.');
        if personal(word) {
            out.push_str(PERSONAL);
            out.push_str(&word[bare.len()..]);
        } else {
            out.push_str(word);
        }
        let sep = after.chars().next().map_or(0, char::len_utf8);
        out.push_str(&after[..sep]);
        rest = &after[sep..];
    }
    out.into()
}

/// Kinds of value serde's `Unexpected` names, as its `Display` starts.
const KINDS: &[&str] = &[
    "string",
    "integer",
    "floating point",
    "boolean",
    "character",
    "byte array",
    "unit value",
    "Option value",
    "newtype struct",
    "sequence",
    "map",
    "enum",
    "unit variant",
    "newtype variant",
    "tuple variant",
    "struct variant",
];

/// Refusals are cut to this many characters (an `expected` list cannot flood a log).
const MAX_CHARS: usize = 300;

/// `message` (a serde error's text) without the value it quotes.
pub fn serde_message(message: &str) -> String {
    let redacted = if let Some(rest) = message.strip_prefix("invalid type: ") {
        kind_and_expected("invalid type", rest)
    } else if let Some(rest) = message.strip_prefix("invalid value: ") {
        kind_and_expected("invalid value", rest)
    } else if let Some(rest) = message.strip_prefix("unknown variant `") {
        // `unknown variant `<value>`, expected <variants>` / `…, there are no variants`.
        match rest.rfind("`, expected ") {
            Some(i) => format!("unknown variant, {}", &rest[i + 3..]),
            None if rest.ends_with("`, there are no variants") => {
                "unknown variant, there are no variants".to_string()
            }
            None => "unknown variant".to_string(),
        }
    } else if message.starts_with("unknown field `")
        || message.starts_with("missing field `")
        || message.starts_with("duplicate field `")
        || message.starts_with("invalid length ")
    {
        // Field names and lengths are the rule, not the value.
        message.to_string()
    } else {
        // A custom message (chrono, uuid, …): none of these quote a whole value, but drop
        // anything quoted to be sure.
        drop_quoted(message)
    };
    cut(redacted)
}

/// `<unexpected>, expected <what>` → `<kind>, expected <what>`.
fn kind_and_expected(prefix: &str, rest: &str) -> String {
    // The value comes first and may itself contain ", expected ": the template's is the last.
    let (unexpected, expected) = match rest.rfind(", expected ") {
        Some(i) => (&rest[..i], &rest[i + 2..]),
        None => (rest, ""),
    };
    let kind = KINDS
        .iter()
        .find(|k| {
            unexpected
                .strip_prefix(**k)
                .is_some_and(|after| after.is_empty() || after.starts_with(' '))
        })
        .copied()
        .unwrap_or("a value");
    if expected.is_empty() {
        format!("{prefix}: {kind}")
    } else {
        format!("{prefix}: {kind}, {expected}")
    }
}

/// Replaces each `"…"` run (a quoted value) with `"…"`.
fn drop_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut parts = message.split('"');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    let rest: Vec<&str> = parts.collect();
    // Pairs of quotes enclose values; an unpaired last quote hides the rest too.
    let mut i = 0;
    while i < rest.len() {
        out.push_str("\"…\"");
        if i + 1 < rest.len() {
            out.push_str(rest[i + 1]);
        }
        i += 2;
    }
    out
}

fn cut(message: String) -> String {
    match message.char_indices().nth(MAX_CHARS) {
        None => message,
        Some((i, _)) => format!("{}…", &message[..i]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct T {
        n: u32,
        small: u8,
        s: String,
        k: Kind,
        d: chrono::NaiveDate,
        u: uuid::Uuid,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Hard,
        Soft,
        Other,
    }

    fn error_of(patch: serde_json::Value) -> String {
        let mut v = json!({"n": 1, "small": 1, "s": "x", "k": "hard", "d": "2026-01-01",
            "u": "00000000-0000-0000-0000-000000000000"});
        for (k, x) in patch.as_object().unwrap() {
            v[k] = x.clone();
        }
        serde_message(&serde_json::from_value::<T>(v).unwrap_err().to_string())
    }

    #[test]
    fn values_are_dropped_rules_kept() {
        let secret = "ana@secret.example";
        let cases = [
            (json!({"n": secret}), "invalid type: string, expected u32"),
            (
                json!({"n": "x\", expected u32, got \"ana"}),
                "invalid type: string, expected u32",
            ),
            (json!({"n": -5}), "invalid value: integer, expected u32"),
            (json!({"small": 300}), "invalid value: integer, expected u8"),
            (
                json!({"n": 2.5}),
                "invalid type: floating point, expected u32",
            ),
            (
                json!({"s": true}),
                "invalid type: boolean, expected a string",
            ),
            (
                json!({"s": [1]}),
                "invalid type: sequence, expected a string",
            ),
            (
                json!({"s": {"a": 1}}),
                "invalid type: map, expected a string",
            ),
            (
                json!({"k": secret}),
                "unknown variant, expected one of `hard`, `soft`, `other`",
            ),
            (
                json!({"k": "x`, expected `hard`"}),
                "unknown variant, expected one of `hard`, `soft`, `other`",
            ),
            (
                json!({"extra": secret}),
                "unknown field `extra`, expected one of `n`, `small`, `s`, `k`, `d`, `u`",
            ),
        ];
        for (patch, expected) in cases {
            assert_eq!(error_of(patch), expected);
        }
        for patch in [
            json!({"d": secret}),
            json!({"u": secret}),
            json!({"d": "2026-13-45"}),
        ] {
            let m = error_of(patch);
            assert!(!m.contains("secret") && !m.contains("2026-13"), "{m}");
        }
    }

    #[test]
    fn personal_key_segments_are_hidden_ids_kept() {
        assert_eq!(key("email#Ana.Ruiz@x.example"), "email#<personal>");
        assert_eq!(
            key("lead#L1/email#ana@x.example#2026"),
            "lead#L1/email#<personal>#2026"
        );
        assert_eq!(key("dnc#+4930123456"), "dnc#<personal>");
        assert_eq!(key("lead#L000123"), "lead#L000123");
        let kept = "email#p~0123456789abcdef01234567@erased.invalid/+999012345678901";
        assert_eq!(key(kept), kept);
        assert_eq!(text(kept), kept);
        assert_eq!(
            key("suppression#p~0123456789abcdef01234567"),
            "suppression#p~0123456789abcdef01234567"
        );
    }

    #[test]
    fn addresses_and_numbers_in_free_text_are_hidden() {
        let ses = "MessageRejected: Email address is not verified. The following identities \
                   failed the check in region US-EAST-1: Ana.Ruiz@x.example, +4930123456.";
        assert_eq!(
            text(ses),
            "MessageRejected: Email address is not verified. The following identities failed \
             the check in region US-EAST-1: <personal>, <personal>."
        );
        assert_eq!(text("throttled (rate 14/s)"), "throttled (rate 14/s)");
    }

    #[test]
    fn lake_and_limit_errors_name_records_without_their_personal_keys() {
        use crate::limits::LimitError;
        use crate::ports::LakeError;
        let said = [
            LakeError::ConditionFailed {
                domain: "customer".into(),
                pk: "email#ana@x.example".into(),
                sk: "reg#+4930123456".into(),
                condition: "not exists".into(),
            }
            .to_string(),
            crate::ports::Item::new("touches#ana@x.example", "p", json!({"n": "ana@x.example"}))
                .parse::<T>()
                .unwrap_err()
                .to_string(),
            LimitError::ItemTooLarge {
                pk: "touches#ana@x.example".into(),
                sk: "+4930123456".into(),
                bytes: 500_000,
            }
            .to_string(),
            LimitError::KeyTooLong {
                which: "sort key",
                pk: "contact#ana@x.example".into(),
                bytes: 2_000,
                limit: 1_024,
            }
            .to_string(),
        ];
        for s in said {
            assert!(!s.contains("ana@") && !s.contains("4930123456"), "{s}");
            assert!(s.contains(PERSONAL), "{s}");
        }
    }

    #[test]
    fn custom_messages_lose_quoted_text_and_length() {
        assert_eq!(drop_quoted(r#"bad "ana" here"#), r#"bad "…" here"#);
        assert_eq!(drop_quoted(r#"bad "ana"#), r#"bad "…""#);
        assert_eq!(drop_quoted("plain"), "plain");
        let long = serde_message(&"x".repeat(1000));
        assert_eq!(long.chars().count(), MAX_CHARS + 1);
        assert_eq!(
            serde_message("missing field `email`"),
            "missing field `email`"
        );
    }
}
