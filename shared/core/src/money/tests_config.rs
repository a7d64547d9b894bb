//! The `[currency]` section as the agents read it: the shipped rates convert at the rate of the
//! transaction's date, and a dated table out of order or incomplete is refused with its key.

use crate::config::platform::Currency;
use crate::config::{ConfigError, ConfigFile};
use crate::money::{FxError, Money};
use chrono::NaiveDate;

fn shipped_with(from: &str, to: &str) -> Result<Currency, ConfigError> {
    let shipped = ConfigFile::shipped();
    assert!(
        shipped.text().contains(from),
        "the shipped file has `{from}`"
    );
    ConfigFile::parse("x.toml", shipped.text().replacen(from, to, 1))?.section("currency")
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn the_shipped_rates_convert_a_euro_amount_at_the_rate_of_its_date() {
    // Given the shipped [currency] (EUR 1.04 from 2025-01-01, 1.08 from 2026-01-01),
    let fx = ConfigFile::shipped()
        .section::<Currency>("currency")
        .unwrap()
        .fx();
    let eur = Money::new(50_000, "EUR"); // EUR 500.00
    // then 31 December 2025 converts at 1.04 (500 × 1.04 = 520.00) and 1 January 2026 at
    // 1.08 (500 × 1.08 = 540.00);
    assert_eq!(
        fx.to_base_on(&eur, day("2025-12-31")),
        Ok(Money::usd(52_000))
    );
    assert_eq!(
        fx.to_base_on(&eur, day("2026-01-01")),
        Ok(Money::usd(54_000))
    );
    // a yen amount is accepted by the one list (¥1,000,000 × 0.0067 = USD 6,700.00),
    assert_eq!(fx.check_accepted("JPY"), Ok(()));
    assert_eq!(
        fx.to_base_on(&Money::new(1_000_000, "JPY"), day("2026-02-01")),
        Ok(Money::usd(670_000))
    );
    // and a date before the first table is refused.
    assert!(matches!(
        fx.to_base_on(&eur, day("2024-12-31")),
        Err(FxError::BeforeFirstRate { .. })
    ));
}

#[test]
fn a_history_without_the_date_todays_rates_start_is_refused() {
    let e = shipped_with("rates_from = \"2026-01-01\"\n", "").unwrap_err();
    assert_eq!(e.path, "currency.rates_from");
}

#[test]
fn a_history_table_on_or_after_todays_rates_is_refused() {
    let e = shipped_with("from = \"2025-01-01\"", "from = \"2026-01-01\"").unwrap_err();
    assert_eq!(e.path, "currency.history[0].from");
    assert!(e.message.contains("out of order"), "{e}");
}

#[test]
fn a_history_table_without_the_base_or_with_a_code_not_in_iso_4217_is_refused() {
    let e = shipped_with(
        "rates_ppm = { USD = 1_000_000, EUR = 1_040_000",
        "rates_ppm = { EUR = 1_040_000",
    )
    .unwrap_err();
    assert_eq!(e.path, "currency.history[0].rates_ppm.USD");
    let e = shipped_with("JPY = 6_700,", "JPY = 6_700, ABC = 1,").unwrap_err();
    assert_eq!(e.path, "currency.rates_ppm.ABC");
    assert!(e.message.contains("not an active ISO 4217"), "{e}");
}

#[test]
fn a_bad_date_is_refused_with_its_key() {
    let e = shipped_with("rates_from = \"2026-01-01\"", "rates_from = \"1 Jan 2026\"").unwrap_err();
    assert_eq!(e.path, "currency.rates_from");
}
