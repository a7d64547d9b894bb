//! Money in minor units (cents) with an ISO 4217 currency, so sums never drift.
//!
//! Each currency's minor unit is ISO 4217's ([`minor_unit_exponent`]): amounts are written
//! with as many decimals as the currency has (`1000000 JPY`, `12.50 USD`, `1.234 KWD`), and
//! conversions between currencies scale by both exponents.

mod iso4217;
#[cfg(test)]
mod tests_config;

pub use iso4217::minor_unit_exponent;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// An amount of money in minor units (e.g. cents) of one currency.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Money {
    /// Amount in minor units (cents for USD/EUR). Never fractional.
    pub amount_minor: i64,
    /// ISO 4217 code, three upper-case letters.
    #[schemars(regex(pattern = r"^[A-Z]{3}$"))]
    pub currency: String,
}

impl Money {
    pub fn new(amount_minor: i64, currency: &str) -> Self {
        Self {
            amount_minor,
            currency: currency.to_string(),
        }
    }

    pub fn usd(amount_minor: i64) -> Self {
        Self::new(amount_minor, "USD")
    }

    pub fn zero(currency: &str) -> Self {
        Self::new(0, currency)
    }

    /// Checks the currency code's shape; the error names the problem.
    pub fn check(&self) -> Result<(), String> {
        let ok = self.currency.len() == 3 && self.currency.chars().all(|c| c.is_ascii_uppercase());
        if ok {
            Ok(())
        } else {
            Err(format!(
                "currency `{}` is not a three-letter ISO 4217 code",
                self.currency
            ))
        }
    }

    /// Checks shape and that the amount is not negative.
    pub fn check_non_negative(&self) -> Result<(), String> {
        self.check()?;
        if self.amount_minor < 0 {
            return Err(format!("amount {} is negative", self.amount_minor));
        }
        Ok(())
    }

    /// Same currency sum; `None` when currencies differ.
    pub fn checked_add(&self, other: &Money) -> Option<Money> {
        (self.currency == other.currency).then(|| Money {
            amount_minor: self.amount_minor + other.amount_minor,
            currency: self.currency.clone(),
        })
    }

    /// Applies a rate in basis points (1/100 of a percent), rounding half away from zero.
    pub fn percent_bp(&self, basis_points: i64) -> Money {
        let raw = self.amount_minor as i128 * basis_points as i128;
        let rounded = if raw >= 0 {
            (raw + 5_000) / 10_000
        } else {
            (raw - 5_000) / 10_000
        };
        Money {
            amount_minor: rounded as i64,
            currency: self.currency.clone(),
        }
    }

    /// The decimals of this currency's minor unit (ISO 4217); 2 for a code ISO 4217 does not
    /// list (such a code is refused wherever money enters: see [`FxRates::check_accepted`]).
    pub fn exponent(&self) -> u8 {
        minor_unit_exponent(&self.currency).unwrap_or(2)
    }

    /// The amount as a decimal number with the currency's decimals and no separators, as
    /// exports write it: `1000000` (JPY), `-12.50` (USD), `1.234` (KWD).
    pub fn to_decimal_string(&self) -> String {
        decimal(self.amount_minor, self.exponent())
    }
}

/// `minor` as a decimal number of `exponent` decimals.
fn decimal(minor: i64, exponent: u8) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    if exponent == 0 {
        return format!("{sign}{abs}");
    }
    let unit = 10u64.pow(exponent as u32);
    format!(
        "{sign}{}.{:0width$}",
        abs / unit,
        abs % unit,
        width = exponent as usize
    )
}

/// `value × num ÷ den`, rounded half away from zero (`den` > 0).
fn div_round(value: i128, den: i128) -> i128 {
    let q = value / den;
    let r = value % den;
    if 2 * r.abs() >= den {
        q + value.signum()
    } else {
        q
    }
}

/// Conversion rates into a base currency (budgets, limits and reports are kept in it):
/// `[currency]` of `ascent.toml` ([`crate::config::platform::Currency`]). A currency is
/// accepted when today's table has a rate for it; a conversion on a date uses the rates in
/// effect that day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FxRates {
    pub base: String,
    /// Today's rates: base-currency micro-units per unit of each accepted currency (USD 1.08
    /// per EUR → `EUR: 1_080_000`). The base itself is listed at 1_000_000.
    pub ppm: BTreeMap<String, i64>,
    /// Earlier rates, oldest first: each table is in effect from its date until the next one
    /// (or `ppm`'s `from`); `ppm` is in effect from `from` on.
    #[serde(default)]
    pub dated: Vec<(NaiveDate, BTreeMap<String, i64>)>,
    /// The first day of today's rates; `None`: they apply to every date without an earlier
    /// table.
    #[serde(default)]
    pub from: Option<NaiveDate>,
}

/// Why an amount could not be converted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FxError {
    #[error("currency {code} is not accepted (accepted: {accepted})")]
    NotAccepted { code: String, accepted: String },
    #[error("no rate for {code} on {on}: [currency] has rates from {first} on")]
    BeforeFirstRate {
        code: String,
        on: NaiveDate,
        first: NaiveDate,
    },
    #[error("no rate for {code} on {on} in the rates in effect from {from}")]
    NoRateThatDay {
        code: String,
        on: NaiveDate,
        from: NaiveDate,
    },
}

impl FxRates {
    /// Rates that never change (no dates): `ppm` applies to every date.
    pub fn fixed(base: &str, ppm: BTreeMap<String, i64>) -> Self {
        FxRates {
            base: base.to_string(),
            ppm,
            dated: Vec::new(),
            from: None,
        }
    }

    /// Refuses a currency that is not accepted (no rate today): the one check every agent
    /// makes on money that enters.
    pub fn check_accepted(&self, code: &str) -> Result<(), FxError> {
        if self.ppm.contains_key(code) {
            Ok(())
        } else {
            Err(FxError::NotAccepted {
                code: code.to_string(),
                accepted: self.ppm.keys().cloned().collect::<Vec<_>>().join(", "),
            })
        }
    }

    /// Converts into the base currency at today's rates (budgets and limits set in the base
    /// currency, amounts without a date).
    pub fn to_base(&self, m: &Money) -> Result<Money, String> {
        self.check_accepted(&m.currency)
            .map_err(|e| e.to_string())?;
        Ok(self.at_rate(m, self.ppm[&m.currency]))
    }

    /// Converts into the base currency at the rate in effect on `on` (the transaction's
    /// date): the latest table from on or before that day.
    pub fn to_base_on(&self, m: &Money, on: NaiveDate) -> Result<Money, FxError> {
        self.check_accepted(&m.currency)?;
        let rate = self.rate_on(&m.currency, on)?;
        Ok(self.at_rate(m, rate))
    }

    /// Converts `m` into currency `to` at the rates in effect on `on`, in one step through the
    /// base currency (`m`'s rate ÷ `to`'s rate), scaled by both currencies' minor units and
    /// rounded half away from zero once: EUR 1,000.00 at 1.08 into yen at 0.0067 is ¥161,194.
    pub fn convert_on(&self, m: &Money, to: &str, on: NaiveDate) -> Result<Money, FxError> {
        self.check_accepted(&m.currency)?;
        self.check_accepted(to)?;
        let from_rate = self.rate_on(&m.currency, on)?;
        let to_rate = self.rate_on(to, on)?;
        let to_exp = minor_unit_exponent(to).unwrap_or(2) as u32;
        let num = m.amount_minor as i128 * from_rate as i128 * 10i128.pow(to_exp);
        let den = to_rate as i128 * 10i128.pow(m.exponent() as u32);
        Ok(Money::new(div_round(num, den) as i64, to))
    }

    /// The rate of `code` (base micro-units per unit) in effect on `on`. Without a `from`
    /// (and so without earlier tables: the configuration refuses that) today's rates apply
    /// to every date.
    pub fn rate_on(&self, code: &str, on: NaiveDate) -> Result<i64, FxError> {
        let (from, table) = match self.from {
            None => (on, &self.ppm),
            Some(from) if on >= from => (from, &self.ppm),
            Some(from) => match self.dated.iter().rev().find(|(d, _)| *d <= on) {
                Some((d, t)) => (*d, t),
                None => {
                    return Err(FxError::BeforeFirstRate {
                        code: code.to_string(),
                        on,
                        first: self.dated.first().map_or(from, |(d, _)| *d),
                    });
                }
            },
        };
        table
            .get(code)
            .copied()
            .ok_or_else(|| FxError::NoRateThatDay {
                code: code.to_string(),
                on,
                from,
            })
    }

    /// `m` in the base currency at `rate` (base micro-units per unit of `m`'s currency),
    /// scaled by both currencies' minor units, rounded half away from zero: ¥1,000,000 at
    /// 6,700 (USD 0.0067 per JPY) is USD 6,700.00.
    fn at_rate(&self, m: &Money, rate: i64) -> Money {
        let to = minor_unit_exponent(&self.base).unwrap_or(2) as u32;
        let from = m.exponent() as u32;
        let num = m.amount_minor as i128 * rate as i128 * 10i128.pow(to);
        let den = 1_000_000i128 * 10i128.pow(from);
        Money::new(div_round(num, den) as i64, &self.base)
    }
}

/// `<amount> <CODE>` with the currency's decimals: `1234.56 USD`, `1000000 JPY`.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_rounds_half_away_from_zero() {
        assert_eq!(Money::usd(1_000).percent_bp(725).amount_minor, 73); // 72.5 -> 73
        assert_eq!(Money::usd(-1_000).percent_bp(725).amount_minor, -73);
        assert_eq!(Money::usd(12_345).percent_bp(10_000).amount_minor, 12_345);
    }

    #[test]
    fn rejects_bad_currency_and_negative() {
        assert!(Money::new(1, "usd").check().is_err());
        assert!(Money::new(1, "US").check().is_err());
        assert!(Money::usd(-1).check_non_negative().is_err());
        assert!(Money::usd(0).check_non_negative().is_ok());
    }

    #[test]
    fn converts_to_base() {
        let fx = crate::config::ConfigFile::shipped()
            .section::<crate::config::platform::Currency>("currency")
            .unwrap()
            .fx();
        assert_eq!(fx.to_base(&Money::new(1_000, "EUR")), Ok(Money::usd(1_080)));
        assert_eq!(fx.to_base(&Money::new(1, "EUR")), Ok(Money::usd(1)));
        assert!(
            fx.to_base(&Money::new(1, "KWD"))
                .unwrap_err()
                .contains("KWD")
        );
    }

    fn fx() -> FxRates {
        let table = |pairs: &[(&str, i64)]| -> BTreeMap<String, i64> {
            pairs.iter().map(|(c, r)| (c.to_string(), *r)).collect()
        };
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        FxRates {
            base: "USD".into(),
            ppm: table(&[
                ("USD", 1_000_000),
                ("JPY", 6_700),
                ("EUR", 1_100_000),
                ("KWD", 3_250_000),
            ]),
            dated: vec![(
                day("2026-01-01"),
                table(&[("USD", 1_000_000), ("JPY", 6_500), ("EUR", 1_050_000)]),
            )],
            from: Some(day("2026-04-01")),
        }
    }

    #[test]
    fn a_yen_amount_converts_by_both_minor_units() {
        // ¥1,000,000 (JPY has no minor unit) at USD 0.0067 per yen = USD 6,700.00 = 670,000
        // cents: 1,000,000 × 6,700 × 10² ÷ (10⁶ × 10⁰). Read as cents it would be 6,700.
        let d = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        assert_eq!(
            fx().to_base_on(&Money::new(1_000_000, "JPY"), d),
            Ok(Money::usd(670_000))
        );
        // 1.234 KWD (three decimals: 1,234 fils) at 3.25 = USD 4.0105 -> 4.01 (401 cents).
        assert_eq!(
            fx().to_base_on(&Money::new(1_234, "KWD"), d),
            Ok(Money::usd(401))
        );
    }

    #[test]
    fn a_conversion_uses_the_rates_of_the_transaction_date() {
        let fx = fx();
        let eur = Money::new(10_000, "EUR"); // EUR 100.00
        let on = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // 31 March: the January table (1.05) -> USD 105.00; 1 April: today's (1.10) -> 110.00.
        assert_eq!(
            fx.to_base_on(&eur, on("2026-03-31")),
            Ok(Money::usd(10_500))
        );
        assert_eq!(
            fx.to_base_on(&eur, on("2026-04-01")),
            Ok(Money::usd(11_000))
        );
        // Before the first table: refused, naming the first date.
        assert_eq!(
            fx.to_base_on(&eur, on("2025-12-31"))
                .unwrap_err()
                .to_string(),
            "no rate for EUR on 2025-12-31: [currency] has rates from 2026-01-01 on"
        );
        // A currency accepted today but without a rate that day.
        assert!(matches!(
            fx.to_base_on(&Money::new(1, "KWD"), on("2026-02-01")),
            Err(FxError::NoRateThatDay { .. })
        ));
        // Not accepted at all.
        assert!(matches!(
            fx.to_base_on(&Money::new(1, "CHF"), on("2026-05-01")),
            Err(FxError::NotAccepted { .. })
        ));
    }

    #[test]
    fn a_conversion_between_two_foreign_currencies_goes_through_the_base_once() {
        let fx = fx();
        let on = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // EUR 1,000.00 on 1 May (EUR 1.10, JPY 0.0067): 100,000 cents × 1,100,000 × 10⁰
        // ÷ (6,700 × 10²) = 164,179.10… -> ¥164,179.
        let eur = Money::new(100_000, "EUR");
        assert_eq!(
            fx.convert_on(&eur, "JPY", on("2026-05-01")),
            Ok(Money::new(164_179, "JPY"))
        );
        // 2 February (the January table: EUR 1.05, JPY 0.0065): 1,000 × 1.05 ÷ 0.0065
        // = 161,538.46… -> ¥161,538.
        assert_eq!(
            fx.convert_on(&eur, "JPY", on("2026-02-02")),
            Ok(Money::new(161_538, "JPY"))
        );
        // ¥1,000,000 into EUR on 1 May: 1,000,000 × 6,700 × 10² ÷ (1,100,000 × 10⁰)
        // = 609,090.9… -> EUR 6,090.91.
        assert_eq!(
            fx.convert_on(&Money::new(1_000_000, "JPY"), "EUR", on("2026-05-01")),
            Ok(Money::new(609_091, "EUR"))
        );
        // Into a currency that is not accepted: refused.
        assert!(matches!(
            fx.convert_on(&eur, "CHF", on("2026-05-01")),
            Err(FxError::NotAccepted { .. })
        ));
    }

    #[test]
    fn conversions_round_half_away_from_zero() {
        let fx = FxRates::fixed(
            "USD",
            [
                ("USD".to_string(), 1_000_000),
                ("EUR".to_string(), 1_050_000),
            ]
            .into(),
        );
        // 0.10 EUR × 1.05 = 0.105 USD -> 0.11; -0.10 EUR -> -0.11 (not -0.10).
        assert_eq!(fx.to_base(&Money::new(10, "EUR")), Ok(Money::usd(11)));
        assert_eq!(fx.to_base(&Money::new(-10, "EUR")), Ok(Money::usd(-11)));
    }

    #[test]
    fn amounts_are_written_with_their_currencys_decimals() {
        assert_eq!(Money::new(1_000_000, "JPY").to_string(), "1000000 JPY");
        assert_eq!(Money::new(1_234, "KWD").to_string(), "1.234 KWD");
        assert_eq!(Money::new(-1_250, "USD").to_string(), "-12.50 USD");
        assert_eq!(Money::new(5, "EUR").to_string(), "0.05 EUR");
        assert_eq!(Money::new(12_345, "CLF").to_string(), "1.2345 CLF");
        assert_eq!(Money::new(1_000_000, "JPY").to_decimal_string(), "1000000");
        assert_eq!(Money::new(-1_250, "USD").to_decimal_string(), "-12.50");
        assert_eq!(Money::new(-5, "KWD").to_decimal_string(), "-0.005");
    }

    #[test]
    fn display_and_add() {
        assert_eq!(Money::usd(123_456).to_string(), "1234.56 USD");
        assert!(Money::usd(1).checked_add(&Money::new(1, "EUR")).is_none());
        assert_eq!(
            Money::usd(1).checked_add(&Money::usd(2)),
            Some(Money::usd(3))
        );
    }
}
