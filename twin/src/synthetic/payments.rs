//! Customers paying invoices, each by its habit (on time, late, partial, failed, never).

use super::{Company, at};
use ascent_core::catalog::{InvoiceIssued, PaymentFailed, PaymentReceived};
use ascent_core::money::Money;

/// What a paying customer does with an invoice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PayerHabit {
    OnTime,
    Late,
    Partial,
    FailsThenPays,
    Never,
}

impl Company {
    /// The customer's answer to an invoice, per its habit.
    pub fn on_invoice(&mut self, inv: &InvoiceIssued, today: u32) {
        let habit = match self.rng.below(100) {
            0..=64 => PayerHabit::OnTime,
            65..=79 => PayerHabit::Late,
            80..=89 => PayerHabit::Partial,
            90..=94 => PayerHabit::FailsThenPays,
            _ => PayerHabit::Never,
        };
        let terms = inv.payment_terms_days;
        let pay = |company: &mut Company, day: u32, amount: i64| {
            company.next_payment += 1;
            let payment = PaymentReceived {
                payment_id: format!("P{:06}", company.next_payment),
                invoice_id: inv.invoice_id.clone(),
                amount: Money::new(amount, &inv.total.currency),
                received_at: at(company.start, day, 12 * 60),
                method: "ach".into(),
            };
            company.schedule(day, "ascent.payments", payment);
        };
        let total = inv.total.amount_minor;
        match habit {
            PayerHabit::OnTime => {
                let d = today + self.rng.range(3, terms.max(4) as i64) as u32;
                pay(self, d, total)
            }
            PayerHabit::Late => {
                let d = today + terms + self.rng.range(4, 40) as u32;
                pay(self, d, total)
            }
            PayerHabit::Partial => {
                pay(self, today + terms, total / 2);
                let d = today + terms + self.rng.range(10, 30) as u32;
                pay(self, d, total - total / 2)
            }
            PayerHabit::FailsThenPays => {
                let d = today + terms.saturating_sub(2).max(1);
                self.next_payment += 1;
                let failed = PaymentFailed {
                    payment_id: format!("P{:06}", self.next_payment),
                    invoice_id: inv.invoice_id.clone(),
                    amount: inv.total.clone(),
                    reason: "insufficient funds".into(),
                };
                self.schedule(d, "ascent.payments", failed);
                pay(self, d + 3, total)
            }
            PayerHabit::Never => {}
        }
    }
}
