//! Lead identity: normalised email and company domain, for deduplication.

/// Consumer mailbox providers: their domain says nothing about the company.
const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "yahoo.com",
    "icloud.com",
    "me.com",
    "proton.me",
    "protonmail.com",
    "aol.com",
    "gmx.com",
    "gmx.de",
];

/// Lower-cases, trims, drops `+tags`, and for Gmail drops dots and folds googlemail.com.
/// Returns `None` when it is not an email address.
pub fn normalise_email(raw: &str) -> Option<String> {
    let e = raw.trim().to_ascii_lowercase();
    let (local, domain) = e.rsplit_once('@')?;
    if local.is_empty() || !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.')
    {
        return None;
    }
    let local = local.split('+').next().unwrap_or(local);
    let (local, domain) = match domain {
        "gmail.com" | "googlemail.com" => (local.replace('.', ""), "gmail.com"),
        d => (local.to_string(), d),
    };
    if local.is_empty() {
        return None;
    }
    Some(format!("{local}@{domain}"))
}

/// The company domain of a normalised email, unless it is a free-mail provider.
pub fn company_domain(normalised_email: &str) -> Option<&str> {
    let (_, domain) = normalised_email.rsplit_once('@')?;
    (!FREE_MAIL.contains(&domain)).then_some(domain)
}

/// A person key within a company domain: letters of the full name, lower-case, in order.
pub fn person_key(full_name: &str) -> String {
    full_name
        .split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises() {
        assert_eq!(
            normalise_email(" Ana.Ruiz+xr@Example.COM ").as_deref(),
            Some("ana.ruiz@example.com")
        );
        assert_eq!(
            normalise_email("a.n.a+x@googlemail.com").as_deref(),
            Some("ana@gmail.com")
        );
        assert_eq!(normalise_email("not-an-email"), None);
        assert_eq!(normalise_email("@example.com"), None);
        assert_eq!(normalise_email("a@localhost"), None);
    }

    #[test]
    fn domains_and_people() {
        assert_eq!(company_domain("ana@example.com"), Some("example.com"));
        assert_eq!(company_domain("ana@gmail.com"), None);
        assert_eq!(person_key("  Ana  Ruiz-Díaz "), "ana-ruizdíaz");
        assert_eq!(person_key("Dr. O'Neil"), "dr-oneil");
    }
}
