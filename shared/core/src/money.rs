//! Money in minor units (cents) with an ISO 4217 currency, so sums never drift.

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
}

/// Fixed conversion rates into a base currency (budgets, limits and reports are kept in it):
/// `[currency]` of `ascent.toml` ([`crate::config::platform::Currency`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FxRates {
    pub base: String,
    /// Base-currency micro-units per unit of each accepted currency (USD 1.08 per EUR →
    /// `EUR: 1_080_000`). The base itself must be listed at 1_000_000.
    pub ppm: BTreeMap<String, i64>,
}

impl FxRates {
    /// Converts into the base currency, rounding half up; `Err` names the unknown currency.
    pub fn to_base(&self, m: &Money) -> Result<Money, String> {
        let rate = self.ppm.get(&m.currency).ok_or_else(|| {
            format!(
                "currency {} is not accepted (accepted: {})",
                m.currency,
                self.ppm.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })?;
        let base = (m.amount_minor as i128 * *rate as i128 + 500_000).div_euclid(1_000_000);
        Ok(Money::new(base as i64, &self.base))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let abs = self.amount_minor.unsigned_abs();
        write!(f, "{sign}{}.{:02} {}", abs / 100, abs % 100, self.currency)
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
            fx.to_base(&Money::new(1, "JPY"))
                .unwrap_err()
                .contains("JPY")
        );
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
