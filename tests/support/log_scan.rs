//! Scanning log lines for personal data and approval-link secrets: the known values of
//! hand-made people (names, email addresses, phone numbers in any spelling), any email address
//! or phone number at all, and approval-link tokens (`t=<body>.<tag>`) or signatures (`sig=`).
//! Pure functions over text, used by the whole-flow log test (`log_privacy.rs`, which captures
//! the twin's JSON lines) and by the Lambda binaries' test (their stdout and stderr).

/// A hand-made person whose values must never reach a log.
#[derive(Clone, Debug)]
pub struct Person {
    /// Full name and its parts (`Zofia Kowalczyk-Brandt`, `Zofia`, `Kowalczyk-Brandt`).
    pub names: Vec<String>,
    pub emails: Vec<String>,
    /// Phone numbers in any spelling: matched by their digits.
    pub phones: Vec<String>,
}

impl Person {
    /// A person with one full name (its parts of 4 letters or more are searched too).
    pub fn new(name: &str, emails: &[&str], phones: &[&str]) -> Person {
        let mut names = vec![name.to_string()];
        names.extend(
            name.split_whitespace()
                .filter(|p| p.chars().count() >= 4)
                .map(str::to_string),
        );
        Person {
            names,
            emails: emails.iter().map(|s| s.to_string()).collect(),
            phones: phones.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// What one line must not carry and does: `(line number, what, the line)`.
pub type Finding = (usize, String, String);

/// Every finding in `text` (one log line per text line): the people's names, addresses and
/// phone numbers (case-insensitive; phones by their digits), any email address, any phone
/// number, any of `secrets` (link tokens and their parts), and any link-token or signature
/// parameter (`t=`, `sig=`) of an approval link.
pub fn findings(text: &str, people: &[Person], secrets: &[String]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let lower = line.to_lowercase();
        let mut found = |what: String| out.push((n + 1, what, line.to_string()));
        for p in people {
            for v in p.names.iter().chain(&p.emails) {
                if lower.contains(&v.to_lowercase()) {
                    found(format!("personal value {v:?}"));
                }
            }
            for phone in &p.phones {
                let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
                // The national number alone (without the country code) too.
                let national = &digits[digits.len().saturating_sub(9)..];
                if digit_runs(line).iter().any(|r| r.contains(national)) {
                    found(format!("phone number {phone:?}"));
                }
            }
        }
        for s in secrets.iter().filter(|s| s.len() >= 8) {
            if line.contains(s.as_str()) {
                found(format!("link secret {s:?}"));
            }
        }
        for e in emails_in(line) {
            found(format!("email address {e:?}"));
        }
        for p in phones_in(line) {
            found(format!("phone number {p:?}"));
        }
        for param in ["?t=", "&t=", "&amp;t=", "sig="] {
            if line.contains(param) {
                found(format!("link parameter {param:?}"));
            }
        }
    }
    out
}

/// The parts of an approval link's token that must stay secret: the whole token, its signed
/// body (it encodes the approver's address) and its HMAC tag. `link` is a whole URL or path
/// with `t=<token>` in its query.
pub fn link_secrets(link: &str) -> Vec<String> {
    let Some(token) = link
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("t="))
        .map(|t| t.split(['#', ' ']).next().unwrap_or(t).to_string())
    else {
        return Vec::new();
    };
    let mut out = vec![token.clone()];
    if let Some((body, tag)) = token.split_once('.') {
        out.push(body.to_string());
        out.push(tag.to_string());
    }
    out
}

/// Every `t=` token of the approval links in `text` (a mail, an outbox file).
pub fn link_tokens_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("/approvals/") {
        let link: String = rest[i..]
            .chars()
            .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '\'' | '<' | '>'))
            .collect();
        out.extend(link_secrets(&link.replace("&amp;", "&")));
        rest = &rest[i + 1..];
    }
    out.sort();
    out.dedup();
    out
}

/// Email addresses in `line`: `local@domain.tld` (a dot-atom local part, a domain of two
/// labels or more ending in letters).
pub fn emails_in(line: &str) -> Vec<String> {
    let local = |c: char| c.is_ascii_alphanumeric() || "._%+-'".contains(c);
    let domain = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    for (i, _) in chars.iter().enumerate().filter(|(_, c)| **c == '@') {
        let start = (0..i).rev().take_while(|&j| local(chars[j])).last();
        let end = (i + 1..chars.len())
            .take_while(|&j| domain(chars[j]))
            .last();
        let (Some(start), Some(end)) = (start, end) else {
            continue;
        };
        let host: String = chars[i + 1..=end].iter().collect();
        let host = host.trim_end_matches(['.', '-']);
        let labels: Vec<&str> = host.split('.').collect();
        let tld_ok = labels
            .last()
            .is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()));
        // A pseudonym (`p~<hex>@erased.invalid`) stands for a person and names nobody.
        let pseudonym =
            host == "erased.invalid" && start >= 2 && chars[start - 2..start] == ['p', '~'];
        if labels.len() >= 2 && labels.iter().all(|l| !l.is_empty()) && tld_ok && !pseudonym {
            out.push(format!(
                "{}@{host}",
                chars[start..i].iter().collect::<String>()
            ));
        }
    }
    out
}

/// Phone numbers in `line`: a run of digits and separators (spaces, `-`, `.`, `(`, `)`) not
/// touching a letter or digit-bearing word on either side, that is `+` and 7–15 digits
/// (E.164 and its spellings), or 7–15 digits in groups split by a space or parentheses
/// (`(202) 555-0143`, `020 7946 0321`). Dates, times, decimals, ids and pseudonymised numbers
/// (`+999…`) are not phone numbers.
pub fn phones_in(line: &str) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let part = |c: char| c.is_ascii_digit() || " -.()+".contains(c);
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !(chars[i].is_ascii_digit() || chars[i] == '+' || chars[i] == '(') {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && part(chars[j]) && (chars[j] != '+' || j == i) {
            j += 1;
        }
        let run: String = chars[i..j].iter().collect();
        let run = run.trim_end_matches([' ', '-', '.', '(']).to_string();
        let touches_word = |k: Option<usize>| {
            k.and_then(|k| chars.get(k))
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
        };
        let before = touches_word(i.checked_sub(1));
        let after = touches_word(Some(i + run.chars().count()));
        let digits = run.chars().filter(char::is_ascii_digit).count();
        let grouped = run.trim_start_matches(['+', '(']).contains([' ', '(', ')']);
        let phone_like = (7..=15).contains(&digits)
            && ((run.starts_with('+') && run[1..].starts_with(|c: char| c.is_ascii_digit()))
                || grouped);
        // `+999…`: a pseudonymised number (a spare country code, nobody's).
        let pseudonym = run.starts_with("+999");
        if phone_like && !before && !after && !date_or_time(&run) && !pseudonym {
            out.push(run.clone());
        }
        i = j.max(i + 1);
    }
    out
}

/// Digit runs of `line` with their separators dropped (`+1 (202) 555-0143` → `12025550143`).
fn digit_runs(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    for c in line.chars() {
        if c.is_ascii_digit() {
            out.last_mut().unwrap().push(c);
        } else if !" -.()+/".contains(c) && !out.last().unwrap().is_empty() {
            out.push(String::new());
        }
    }
    out
}

/// `2026-03-01 10:00`-like runs: a date with its time, two dates, a date range.
fn date_or_time(run: &str) -> bool {
    run.split([' ', '(', ')'])
        .filter(|w| !w.is_empty())
        .all(|w| {
            let parts: Vec<&str> = w.split(['-', '.', ':']).collect();
            (parts.len() == 3 && parts[0].len() == 4 && parts[1].len() == 2 && parts[2].len() == 2)
                || w.chars().filter(char::is_ascii_digit).count() <= 2
        })
}
