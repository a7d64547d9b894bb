//! ISO 4217 minor units: how many decimals each currency's amounts have.
//!
//! The active codes of ISO 4217 list one (the currencies and funds in use, as the SIX
//! maintenance agency publishes them, amendments to 2025: HRK, SLL and ZWL withdrawn; XCG
//! and ZWG added) with their minor unit. Most have 2; those below with 0, 3 or 4 are the ones
//! a two-decimal assumption gets wrong (¥1,000,000 is `1000000 JPY`, not `10000.00 JPY`).
//! Codes without a minor unit (precious metals, SDR, test codes) are not money here.

/// (code, minor unit) of every active currency code, sorted by code.
#[rustfmt::skip]
const TABLE: &[(&str, u8)] = &[
    ("AED", 2), ("AFN", 2), ("ALL", 2), ("AMD", 2), ("AOA", 2), ("ARS", 2), ("AUD", 2),
    ("AWG", 2), ("AZN", 2), ("BAM", 2), ("BBD", 2), ("BDT", 2), ("BHD", 3), ("BIF", 0),
    ("BMD", 2), ("BND", 2), ("BOB", 2), ("BOV", 2), ("BRL", 2), ("BSD", 2), ("BTN", 2),
    ("BWP", 2), ("BYN", 2), ("BZD", 2), ("CAD", 2), ("CDF", 2), ("CHE", 2), ("CHF", 2),
    ("CHW", 2), ("CLF", 4), ("CLP", 0), ("CNY", 2), ("COP", 2), ("COU", 2), ("CRC", 2),
    ("CUP", 2), ("CVE", 2), ("CZK", 2), ("DJF", 0), ("DKK", 2), ("DOP", 2), ("DZD", 2),
    ("EGP", 2), ("ERN", 2), ("ETB", 2), ("EUR", 2), ("FJD", 2), ("FKP", 2), ("GBP", 2),
    ("GEL", 2), ("GHS", 2), ("GIP", 2), ("GMD", 2), ("GNF", 0), ("GTQ", 2), ("GYD", 2),
    ("HKD", 2), ("HNL", 2), ("HTG", 2), ("HUF", 2), ("IDR", 2), ("ILS", 2), ("INR", 2),
    ("IQD", 3), ("IRR", 2), ("ISK", 0), ("JMD", 2), ("JOD", 3), ("JPY", 0), ("KES", 2),
    ("KGS", 2), ("KHR", 2), ("KMF", 0), ("KPW", 2), ("KRW", 0), ("KWD", 3), ("KYD", 2),
    ("KZT", 2), ("LAK", 2), ("LBP", 2), ("LKR", 2), ("LRD", 2), ("LSL", 2), ("LYD", 3),
    ("MAD", 2), ("MDL", 2), ("MGA", 2), ("MKD", 2), ("MMK", 2), ("MNT", 2), ("MOP", 2),
    ("MRU", 2), ("MUR", 2), ("MVR", 2), ("MWK", 2), ("MXN", 2), ("MXV", 2), ("MYR", 2),
    ("MZN", 2), ("NAD", 2), ("NGN", 2), ("NIO", 2), ("NOK", 2), ("NPR", 2), ("NZD", 2),
    ("OMR", 3), ("PAB", 2), ("PEN", 2), ("PGK", 2), ("PHP", 2), ("PKR", 2), ("PLN", 2),
    ("PYG", 0), ("QAR", 2), ("RON", 2), ("RSD", 2), ("RUB", 2), ("RWF", 0), ("SAR", 2),
    ("SBD", 2), ("SCR", 2), ("SDG", 2), ("SEK", 2), ("SGD", 2), ("SHP", 2), ("SLE", 2),
    ("SOS", 2), ("SRD", 2), ("SSP", 2), ("STN", 2), ("SVC", 2), ("SYP", 2), ("SZL", 2),
    ("THB", 2), ("TJS", 2), ("TMT", 2), ("TND", 3), ("TOP", 2), ("TRY", 2), ("TTD", 2),
    ("TWD", 2), ("TZS", 2), ("UAH", 2), ("UGX", 0), ("USD", 2), ("USN", 2), ("UYI", 0),
    ("UYU", 2), ("UYW", 4), ("UZS", 2), ("VED", 2), ("VES", 2), ("VND", 0), ("VUV", 0),
    ("WST", 2), ("XAF", 0), ("XCD", 2), ("XCG", 2), ("XOF", 0), ("XPF", 0), ("YER", 2),
    ("ZAR", 2), ("ZMW", 2), ("ZWG", 2),
];

/// The number of decimals of `code`'s minor unit (JPY 0, USD 2, KWD 3, CLF 4); `None` for a
/// code that is not an active ISO 4217 currency.
pub fn minor_unit_exponent(code: &str) -> Option<u8> {
    TABLE
        .binary_search_by(|(c, _)| (*c).cmp(code))
        .ok()
        .map(|i| TABLE[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_without_duplicates_so_lookups_find_every_code() {
        assert!(TABLE.windows(2).all(|w| w[0].0 < w[1].0));
        for (code, e) in TABLE {
            assert_eq!(minor_unit_exponent(code), Some(*e), "{code}");
            assert!(code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()));
        }
        // The active codes of list one, funds included, without the metals and test codes.
        assert_eq!(TABLE.len(), 164);
    }

    #[test]
    fn currencies_a_two_decimal_assumption_gets_wrong() {
        for (code, e) in [
            ("JPY", 0),
            ("KRW", 0),
            ("ISK", 0),
            ("CLP", 0),
            ("VND", 0),
            ("KWD", 3),
            ("BHD", 3),
            ("OMR", 3),
            ("TND", 3),
            ("CLF", 4),
            ("USD", 2),
            ("EUR", 2),
            ("GBP", 2),
        ] {
            assert_eq!(minor_unit_exponent(code), Some(e), "{code}");
        }
        for not_money in ["XAU", "XDR", "XXX", "HRK", "usd", "US", "ABC"] {
            assert_eq!(minor_unit_exponent(not_money), None, "{not_money}");
        }
    }
}
