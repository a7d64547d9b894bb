//! Receipt processing: merchant, date, total and currency from a receipt's text (OCR output
//! or an e-receipt). Each field is extracted on its own; what cannot be read is `None`, never
//! guessed, so the claim is checked only against what the receipt really says.

use chrono::NaiveDate;

/// What a receipt says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReceiptFacts {
    pub merchant: Option<String>,
    pub date: Option<NaiveDate>,
    /// Total in minor units.
    pub total_minor: Option<i64>,
    pub currency: Option<String>,
}

/// How to read `03/04/2026`: month first (US) or day first (most of the world). A first
/// number above 12 is read day-first whatever the setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    MonthFirst,
    DayFirst,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Extracts what it can from a receipt.
pub fn extract(text: &str, order: DateOrder) -> ReceiptFacts {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let (total_minor, line_currency) = total(&lines);
    ReceiptFacts {
        merchant: lines
            .iter()
            .find(|l| is_merchant_line(l, order))
            .map(|l| l.to_string()),
        date: lines.iter().find_map(|l| date_in(l, order)),
        total_minor,
        currency: line_currency.or_else(|| lines.iter().find_map(|l| currency_in(l))),
    }
}

fn is_merchant_line(line: &str, order: DateOrder) -> bool {
    let letters = line.chars().filter(|c| c.is_alphabetic()).count();
    let lower = line.to_lowercase();
    letters >= 3
        && date_in(line, order).is_none()
        && amount_in(line).is_none()
        && ![
            "receipt", "invoice", "date", "tel", "www.", "thank", "order", "booking",
        ]
        .iter()
        .any(|w| lower.starts_with(w))
}

/// The amount on the most specific total line: "grand total" / "amount due" / "total due"
/// beat a plain "total"; "subtotal" and "total tax" lines never count.
fn total(lines: &[&str]) -> (Option<i64>, Option<String>) {
    let mut best: Option<(u8, i64, Option<String>)> = None;
    for l in lines {
        let lower = l.to_lowercase();
        let rank = if lower.contains("grand total")
            || lower.contains("amount due")
            || lower.contains("total due")
            || lower.contains("total paid")
        {
            3
        } else if lower.contains("total")
            && !lower.contains("subtotal")
            && !lower.contains("sub-total")
            && !lower.contains("total tax")
            && !lower.contains("total vat")
        {
            2
        } else {
            continue;
        };
        if let Some(amount) = amount_in(l)
            && best.as_ref().is_none_or(|(r, _, _)| rank > *r)
        {
            best = Some((rank, amount, currency_in(l)));
        }
    }
    match best {
        Some((_, a, c)) => (Some(a), c),
        None => (None, None),
    }
}

/// The currency a line names by code or symbol.
fn currency_in(line: &str) -> Option<String> {
    for (symbol, code) in [("€", "EUR"), ("£", "GBP"), ("¥", "JPY"), ("$", "USD")] {
        if line.contains(symbol) {
            // `CA$`, `A$`, `US$` name their own code.
            if symbol == "$" {
                for (prefix, code) in [("CA$", "CAD"), ("A$", "AUD"), ("US$", "USD")] {
                    if line.contains(prefix) {
                        return Some(code.into());
                    }
                }
            }
            return Some(code.into());
        }
    }
    line.split(|c: char| !c.is_ascii_alphabetic())
        .find(|w| ["USD", "EUR", "GBP", "CHF", "CAD", "AUD", "JPY", "SEK"].contains(w))
        .map(str::to_string)
}

/// The last money-looking number of a line, in minor units: `1,234.56`, `1.234,56`,
/// `1234,56`, `12.40`, `12`.
fn amount_in(line: &str) -> Option<i64> {
    let mut found = None;
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_digit()
                    || ((chars[i] == ',' || chars[i] == '.')
                        && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit())))
            {
                i += 1;
            }
            let token: String = chars[start..i].iter().collect();
            // A date (2026-02-27 or 27.02.2026) is not an amount.
            let next_is_date_sep = chars.get(i).is_some_and(|c| *c == '-' || *c == '/');
            let prev_is_date_sep =
                start > 0 && (chars[start - 1] == '-' || chars[start - 1] == '/');
            if !next_is_date_sep
                && !prev_is_date_sep
                && let Some(v) = parse_amount(&token)
            {
                found = Some(v);
            }
        } else {
            i += 1;
        }
    }
    found
}

fn parse_amount(token: &str) -> Option<i64> {
    // The decimal separator is the last `.` or `,` followed by exactly two digits.
    let last_sep = token.rfind(['.', ',']);
    let (int_part, frac) = match last_sep {
        Some(p) if token.len() - p - 1 == 2 => (&token[..p], &token[p + 1..]),
        Some(p) if token.len() - p - 1 == 3 => (token, ""), // 1,234 or 1.234: thousands
        Some(_) => return None,                             // 27.02.2026, 1.5: not money
        None => (token, ""),
    };
    let digits: String = int_part.chars().filter(|c| c.is_ascii_digit()).collect();
    // Grouping must be in threes.
    if let Some(sep) = int_part.chars().find(|c| *c == '.' || *c == ',') {
        let groups: Vec<&str> = int_part.split(sep).collect();
        if groups.iter().skip(1).any(|g| g.len() != 3) {
            return None;
        }
    }
    let whole: i64 = digits.parse().ok()?;
    let cents: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    whole.checked_mul(100)?.checked_add(cents)
}

/// A date anywhere in a line: ISO `2026-02-27`, `27.02.2026`, `02/27/2026` (by `order`),
/// `Feb 27, 2026`, `27 Feb 2026`.
fn date_in(line: &str, order: DateOrder) -> Option<NaiveDate> {
    let words: Vec<&str> = line
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    for (i, w) in words.iter().enumerate() {
        if let Ok(d) = NaiveDate::parse_from_str(w, "%Y-%m-%d") {
            return Some(d);
        }
        for sep in ['.', '/', '-'] {
            let parts: Vec<&str> = w.split(sep).collect();
            if parts.len() == 3 && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit())) {
                let (a, b, y) = (
                    parts[0].parse::<u32>().ok()?,
                    parts[1].parse::<u32>().ok()?,
                    parts[2].parse::<i32>().ok()?,
                );
                let y = if y < 100 { 2000 + y } else { y };
                let day_first = sep == '.' || a > 12 || order == DateOrder::DayFirst && b <= 12;
                let (m, d) = if day_first { (b, a) } else { (a, b) };
                if let Some(date) = NaiveDate::from_ymd_opt(y, m, d) {
                    return Some(date);
                }
            }
        }
        let month = |s: &str| {
            let s = s.to_lowercase();
            MONTHS
                .iter()
                .position(|m| s.starts_with(m))
                .map(|p| p as u32 + 1)
        };
        let num = |s: Option<&&str>| s.and_then(|s| s.trim_end_matches('.').parse::<i32>().ok());
        if let Some(m) = month(w) {
            // `Feb 27 2026` or `27 Feb 2026`
            if let (Some(d), Some(y)) = (num(words.get(i + 1)), num(words.get(i + 2)))
                && y > 1900
                && let Some(date) = NaiveDate::from_ymd_opt(y, m, d as u32)
            {
                return Some(date);
            }
            if let (Some(d), Some(y)) = (
                num(i.checked_sub(1).and_then(|j| words.get(j))),
                num(words.get(i + 1)),
            ) && y > 1900
                && let Some(date) = NaiveDate::from_ymd_opt(y, m, d as u32)
            {
                return Some(date);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn us_restaurant_receipt() {
        let r = extract(
            "THE TADICH GRILL\n240 California St\nSan Francisco, CA\n03/04/2026 19:42\n\
             Cioppino 2 @ 38.00   76.00\nSubtotal 76.00\nTax 6.56\nTip 15.00\nTOTAL $97.56\nThank you!",
            DateOrder::MonthFirst,
        );
        assert_eq!(r.merchant.as_deref(), Some("THE TADICH GRILL"));
        assert_eq!(r.date, Some(d("2026-03-04")));
        assert_eq!(r.total_minor, Some(9_756));
        assert_eq!(r.currency.as_deref(), Some("USD"));
    }

    #[test]
    fn european_receipt_with_decimal_comma_and_grouping() {
        let r = extract(
            "Hotel Adlon Kempinski\nUnter den Linden 77, Berlin\nRechnung 4471\nDatum: 14.03.2026\n\
             2 Nächte 1.180,00\nMwSt 7% 77,20\nGesamtbetrag / Grand total EUR 1.257,20",
            DateOrder::DayFirst,
        );
        assert_eq!(r.merchant.as_deref(), Some("Hotel Adlon Kempinski"));
        assert_eq!(r.date, Some(d("2026-03-14")));
        assert_eq!(r.total_minor, Some(125_720));
        assert_eq!(r.currency.as_deref(), Some("EUR"));
    }

    #[test]
    fn written_month_and_symbol_currencies() {
        let r = extract(
            "Pret A Manger\nFeb 27, 2026\nTotal £8.45",
            DateOrder::MonthFirst,
        );
        assert_eq!(r.date, Some(d("2026-02-27")));
        assert_eq!(r.total_minor, Some(845));
        assert_eq!(r.currency.as_deref(), Some("GBP"));
        let r = extract("Uber\n27 Feb 2026\nTotal CA$23.10", DateOrder::DayFirst);
        assert_eq!(r.date, Some(d("2026-02-27")));
        assert_eq!(r.currency.as_deref(), Some("CAD"));
    }

    #[test]
    fn ambiguous_dates_follow_the_setting_unless_impossible() {
        assert_eq!(
            date_in("04/03/2026", DateOrder::MonthFirst),
            Some(d("2026-04-03"))
        );
        assert_eq!(
            date_in("04/03/2026", DateOrder::DayFirst),
            Some(d("2026-03-04"))
        );
        assert_eq!(
            date_in("25/03/2026", DateOrder::MonthFirst),
            Some(d("2026-03-25"))
        );
        assert_eq!(date_in("31/02/2026", DateOrder::DayFirst), None);
    }

    #[test]
    fn subtotals_and_tax_totals_are_not_the_total() {
        let r = extract(
            "Shop\nSubtotal 10.00\nTotal VAT 2.00\nTotal 12.00",
            DateOrder::MonthFirst,
        );
        assert_eq!(r.total_minor, Some(1_200));
        let r = extract(
            "Shop\nTotal 12.00\nAmount due 9.00 (gift card applied)",
            DateOrder::MonthFirst,
        );
        assert_eq!(r.total_minor, Some(900));
    }

    #[test]
    fn unreadable_receipts_yield_nothing_rather_than_guesses() {
        let r = extract("@@@ ### \n 12/", DateOrder::MonthFirst);
        assert_eq!(r, ReceiptFacts::default());
        // No total line: no total, even though numbers are present.
        assert_eq!(
            extract("Cafe\nLatte 4.50", DateOrder::MonthFirst).total_minor,
            None
        );
        assert_eq!(parse_amount("1.5"), None);
        assert_eq!(parse_amount("12,34,567.00"), None);
        assert_eq!(parse_amount("1,234.56"), Some(123_456));
    }
}
