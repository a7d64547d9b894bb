//! ARR per currency for the weekly CS report: figures in different currencies are never
//! added as if they were one; where a single figure is wanted it is converted to the base
//! currency with the `[currency]` rates of the report's date, and labelled as converted.

use ascent_core::Money;
use ascent_core::money::FxRates;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// Sums amounts per currency, ordered by ISO 4217 code.
pub fn per_currency<I: IntoIterator<Item = Money>>(amounts: I) -> Vec<Money> {
    let mut sums: BTreeMap<String, i64> = BTreeMap::new();
    for m in amounts {
        *sums.entry(m.currency.clone()).or_default() += m.amount_minor;
    }
    sums.into_iter().map(|(c, v)| Money::new(v, &c)).collect()
}

/// Converts per-currency figures into one base-currency figure at the rates in effect on
/// `on`; a currency without a rate is named in the error.
pub fn converted(fx: &FxRates, by_currency: &[Money], on: NaiveDate) -> Result<Money, String> {
    let mut total = 0;
    for m in by_currency {
        total += fx
            .to_base_on(m, on)
            .map_err(|e| format!("{}: {e}", m.currency))?
            .amount_minor;
    }
    Ok(Money::new(total, &fx.base))
}

/// The label that goes with a converted figure.
pub fn conversion_label(fx: &FxRates, on: NaiveDate) -> String {
    format!("converted to {} at the [currency] rates of {on}", fx.base)
}

/// Shows per-currency figures as `EUR 500.00 + USD 1,000.00` style text.
pub fn show(by_currency: &[Money]) -> String {
    if by_currency.is_empty() {
        return "none".into();
    }
    by_currency
        .iter()
        .map(|m| m.to_string())
        .collect::<Vec<_>>()
        .join(" + ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fx() -> FxRates {
        FxRates::fixed(
            "USD",
            [
                ("USD".to_string(), 1_000_000),
                ("EUR".to_string(), 1_080_000),
            ]
            .into(),
        )
    }

    #[test]
    fn arr_is_kept_per_currency_and_converted_only_with_a_label() {
        // Given accounts billed USD 100,000.00, EUR 50,000.00 and USD 20,000.00
        let amounts = [
            Money::new(10_000_000, "USD"),
            Money::new(5_000_000, "EUR"),
            Money::new(2_000_000, "USD"),
        ];
        // When summed for the report
        let by = per_currency(amounts);
        // Then each currency stands alone: EUR 50,000.00 and USD 100,000 + 20,000 = 120,000.00
        // (the old report added 170,000 and called it USD)
        assert_eq!(
            by,
            [Money::new(5_000_000, "EUR"), Money::new(12_000_000, "USD")]
        );
        // And the single figure is converted: 50,000 × 1.08 = 54,000 + 120,000 = 174,000.00 USD
        let on = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        assert_eq!(converted(&fx(), &by, on), Ok(Money::new(17_400_000, "USD")));
        assert_eq!(
            conversion_label(&fx(), on),
            "converted to USD at the [currency] rates of 2026-03-02"
        );
        // A currency without a rate is refused with its code named.
        let e = converted(&fx(), &[Money::new(100, "GBP")], on).unwrap_err();
        assert!(e.starts_with("GBP"), "{e}");
    }
}
