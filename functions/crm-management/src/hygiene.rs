//! Contact data hygiene as pure functions: email syntax (the core's RFC 5322 check) and the
//! key two addresses are compared by, phone numbers to E.164 (libphonenumber's metadata
//! through the `phonenumber` crate, then the core's E.164 check), countries to ISO 3166-1
//! alpha-2 (`data/countries.tsv`: codes, English short names and the names people write), and
//! person and company names normalised for display and for matching.

use crate::settings::EmailRules;
use ascent_core::contact::{ContactError, check_email, check_phone};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Why a value could not be cleaned; never the value itself (personal data).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HygieneError {
    #[error("{0}")]
    Contact(#[from] ContactError),
    #[error("not a phone number of a known country ({0})")]
    Phone(&'static str),
    #[error("not a country name or ISO 3166-1 code")]
    Country,
    #[error("empty")]
    Empty,
}

/// An email address trimmed, its domain lower-cased, refused unless RFC 5322.
pub fn clean_email(raw: &str) -> Result<String, HygieneError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(HygieneError::Empty);
    }
    let cleaned = match t.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.to_ascii_lowercase()),
        None => t.to_string(),
    };
    check_email(&cleaned)?;
    Ok(cleaned)
}

/// The key two addresses are one mailbox by: lower-cased; the domain through its alias
/// (`googlemail.com` → `gmail.com`); `+tag` dropped when the rules say so; dots of the local
/// part dropped at dotless domains (Gmail delivers `a.na@` and `ana@` to one mailbox).
pub fn match_key(email: &str, rules: &EmailRules) -> String {
    let lower = email.trim().to_lowercase();
    let Some((local, domain)) = lower.rsplit_once('@') else {
        return lower;
    };
    let domain = rules
        .domain_aliases
        .get(domain)
        .map(String::as_str)
        .unwrap_or(domain);
    let mut local = local.to_string();
    if rules.strip_plus_tags
        && let Some(i) = local.find('+')
        && i > 0
    {
        local.truncate(i);
    }
    if rules.dotless_domains.iter().any(|d| d == domain) {
        local.retain(|c| c != '.');
    }
    format!("{local}@{domain}")
}

/// The company domain of an address (after its alias); `None` for free-mail providers.
pub fn company_domain(email: &str, rules: &EmailRules) -> Option<String> {
    let key = match_key(email, rules);
    let domain = key.rsplit_once('@')?.1.to_string();
    (!rules.free_mail_domains.contains(&domain)).then_some(domain)
}

/// A phone number in E.164, read as a number of `country` (alpha-2) when it has no `+` and
/// country code, else of `default_region`. `00` international prefixes and `tel:` URIs read too.
pub fn phone_e164(
    raw: &str,
    country: Option<&str>,
    default_region: &str,
) -> Result<String, HygieneError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(HygieneError::Empty);
    }
    let t = t.strip_prefix("tel:").unwrap_or(t);
    // `+49 (0)30 …`: the trunk prefix some write after the country code is not dialled.
    let t = if t.starts_with('+') {
        t.replace("(0)", "")
    } else {
        t.to_string()
    };
    let t = t.as_str();
    let t = match t.strip_prefix("00") {
        Some(rest) if !t.starts_with('+') => format!("+{rest}"),
        _ => t.to_string(),
    };
    let region = country
        .unwrap_or(default_region)
        .parse::<phonenumber::country::Id>()
        .ok();
    let number = phonenumber::parse(region, &t)
        .map_err(|_| HygieneError::Phone("it does not read as a phone number"))?;
    let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
    check_phone(&e164)?;
    Ok(e164)
}

struct Countries {
    alpha2: HashMap<String, String>,
    alpha3: HashMap<String, String>,
    names: HashMap<String, String>,
}

fn countries() -> &'static Countries {
    static TABLE: OnceLock<Countries> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut c = Countries {
            alpha2: HashMap::new(),
            alpha3: HashMap::new(),
            names: HashMap::new(),
        };
        for line in include_str!("../data/countries.tsv").lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            let (a2, a3) = (f[0].to_string(), f[1].to_string());
            c.alpha2.insert(a2.clone(), a2.clone());
            c.alpha3.insert(a3, a2.clone());
            for name in f[2].split('|') {
                c.names.insert(fold(name), a2.clone());
            }
        }
        c
    })
}

/// The ISO 3166-1 alpha-2 code of a country written as a code (`de`, `DEU`) or a name
/// (`Germany`, `Deutschland`, `U.S.A.`); `None` when it is neither.
pub fn country_code(raw: &str) -> Option<String> {
    let t = raw.trim();
    let upper = t.to_ascii_uppercase();
    let c = countries();
    if t.len() == 2
        && let Some(a2) = c.alpha2.get(&upper)
    {
        return Some(a2.clone());
    }
    if t.len() == 3
        && let Some(a2) = c.alpha3.get(&upper)
    {
        return Some(a2.clone());
    }
    c.names.get(&fold(t)).cloned()
}

/// Lower case without accents (`Müller-Lüdenscheidt` → `muller ludenscheidt`), every run of
/// other characters one space: the form names are compared in.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = true;
    for ch in s.chars().flat_map(char::to_lowercase) {
        let base = match ch {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
            'æ' => "ae",
            'ç' | 'ć' | 'č' | 'ĉ' => "c",
            'ď' | 'đ' | 'ð' => "d",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
            'ğ' | 'ģ' => "g",
            'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
            'ķ' => "k",
            'ł' | 'ľ' | 'ļ' | 'ĺ' => "l",
            'ñ' | 'ń' | 'ň' | 'ņ' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
            'œ' => "oe",
            'ř' | 'ŕ' => "r",
            'ś' | 'š' | 'ş' | 'ș' => "s",
            'ß' => "ss",
            'ť' | 'ţ' | 'ț' => "t",
            'þ' => "th",
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
            'ý' | 'ÿ' => "y",
            'ź' | 'ż' | 'ž' => "z",
            '\'' | '’' => "",
            c if c.is_alphanumeric() => {
                out.push(c);
                space = false;
                continue;
            }
            _ => {
                if !space {
                    out.push(' ');
                    space = true;
                }
                continue;
            }
        };
        out.push_str(base);
        space = false;
    }
    out.trim_end().to_string()
}

/// Words that are not part of a person's name for matching.
const HONORIFICS: [&str; 9] = ["dr", "mr", "mrs", "ms", "prof", "sir", "jr", "sr", "phd"];

/// A person's name for display: whitespace collapsed, `Last, First` turned around, and a name
/// written all in capitals or all in lower case given capitals (`ANA RUIZ` → `Ana Ruiz`,
/// `mcdonald` → `McDonald`, `o'brien` → `O'Brien`); a name in mixed case is kept as written.
pub fn person_name(raw: &str) -> String {
    let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let turned = match collapsed.split_once(',') {
        Some((last, first)) if !first.trim().is_empty() && !last.trim().is_empty() => {
            format!("{} {}", first.trim(), last.trim())
        }
        _ => collapsed,
    };
    let has_lower = turned.chars().any(char::is_lowercase);
    let has_upper = turned.chars().any(char::is_uppercase);
    if has_lower && has_upper {
        return turned;
    }
    turned
        .split(' ')
        .map(capitalise_word)
        .collect::<Vec<_>>()
        .join(" ")
}

fn capitalise_word(word: &str) -> String {
    word.split('-')
        .map(capitalise_part)
        .collect::<Vec<_>>()
        .join("-")
}

fn capitalise_part(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut start = true;
    for c in word.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        start = matches!(c, '\'' | '’');
    }
    if let Some(rest) = out.strip_prefix("Mc")
        && let Some(first) = rest.chars().next()
    {
        return format!("Mc{}{}", first.to_uppercase(), &rest[first.len_utf8()..]);
    }
    out
}

/// A person's name as compared: folded, `Last, First` turned around, honorifics dropped.
pub fn name_key(raw: &str) -> String {
    let turned = match raw.split_once(',') {
        Some((last, first)) if !first.trim().is_empty() => format!("{first} {last}"),
        _ => raw.to_string(),
    };
    fold(&turned)
        .split(' ')
        .filter(|w| !w.is_empty() && !HONORIFICS.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Legal forms and how they are written (matched folded, at the end of a company name).
const LEGAL_FORMS: [(&str, &str); 16] = [
    ("inc", "Inc."),
    ("incorporated", "Inc."),
    ("llc", "LLC"),
    ("ltd", "Ltd"),
    ("limited", "Ltd"),
    ("gmbh", "GmbH"),
    ("ag", "AG"),
    ("sa", "S.A."),
    ("sas", "SAS"),
    ("bv", "B.V."),
    ("nv", "N.V."),
    ("plc", "plc"),
    ("corp", "Corp."),
    ("corporation", "Corp."),
    ("co", "Co."),
    ("srl", "S.r.l."),
];

/// A company name for display: whitespace collapsed, a trailing legal form written one way
/// (`boreal aero gmbh` → `boreal aero GmbH`, `Acme, inc` → `Acme, Inc.`).
pub fn company_name(raw: &str) -> String {
    let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let Some((head, last)) = collapsed.rsplit_once(' ') else {
        return collapsed;
    };
    match LEGAL_FORMS
        .iter()
        .find(|(k, _)| fold(last).replace(' ', "") == *k)
    {
        Some((_, written)) => format!("{head} {written}"),
        None => collapsed,
    }
}

/// The longest company key kept as written: it is part of an index key, which DynamoDB takes
/// up to 2,048 bytes.
const MAX_COMPANY_KEY_BYTES: usize = 200;

/// A company name as compared: folded, legal forms dropped (`Boreal Aero GmbH` and
/// `boreal-aero` are one company). A key longer than 200 bytes keeps its first 160 and a
/// SHA-256 digest of the whole, so equal names still give equal keys.
pub fn company_key(raw: &str) -> String {
    let folded = fold(&raw.replace('.', ""));
    let mut words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    while words.len() > 1 && LEGAL_FORMS.iter().any(|(k, _)| words.last() == Some(k)) {
        words.pop();
    }
    let key = words.join(" ");
    if key.len() <= MAX_COMPANY_KEY_BYTES {
        return key;
    }
    let mut head = 160;
    while !key.is_char_boundary(head) {
        head -= 1;
    }
    let digest = <sha2::Sha256 as sha2::Digest>::digest(key.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{}~{hex}", &key[..head])
}

#[cfg(test)]
#[path = "hygiene_tests.rs"]
mod tests;
