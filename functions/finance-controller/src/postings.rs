//! Posting the revenue cycle to the ledger: invoices, payments, refunds and credit notes
//! as balanced journal entries in the month they belong to, with the month's running totals.

use super::*;

impl FinanceController {
    pub(crate) async fn summary(
        &self,
        ctx: &mut Ctx<'_>,
        period: &str,
    ) -> Result<PeriodSummary, AgentError> {
        Ok(ctx
            .get_as::<PeriodSummary>(Domain::Financial, &format!("period#{period}"), "summary")
            .await?
            .unwrap_or_else(|| PeriodSummary {
                period: period.to_string(),
                ..Default::default()
            }))
    }

    /// What was booked of an invoice (its customer and split), if it was journaled.
    pub(crate) async fn booked(
        &self,
        ctx: &mut Ctx<'_>,
        invoice_id: &str,
    ) -> Result<Option<credit::InvoiceBooked>, AgentError> {
        ctx.get_as::<credit::InvoiceBooked>(
            Domain::Financial,
            &invoice_marker(invoice_id),
            "booked",
        )
        .await
    }

    /// The customer (QuickBooks "Name") of receivable lines on `invoice_id`: the invoice's
    /// account, or the invoice id when the invoice was never booked here.
    pub(crate) async fn customer(
        &self,
        ctx: &mut Ctx<'_>,
        invoice_id: &str,
    ) -> Result<String, AgentError> {
        Ok(self
            .booked(ctx, invoice_id)
            .await?
            .map(|b| b.account_id)
            .unwrap_or_else(|| invoice_id.to_string()))
    }

    pub(crate) fn save_summary(
        &self,
        ctx: &mut Ctx<'_>,
        mut s: PeriodSummary,
    ) -> Result<(), AgentError> {
        let condition = if s.version == 0 {
            Condition::NotExists
        } else {
            Condition::version(Some(s.version))
        };
        s.version += 1;
        ctx.put_record(
            Domain::Financial,
            &format!("period#{}", s.period),
            "summary",
            &s,
            None,
            condition,
        )
    }

    /// Posts `entries` and applies `apply` to the summary of the month of `date`, or of the
    /// open month when that one is closed. `source` makes a business fact post once even when
    /// it is announced twice. Returns the updated summary for the caller to save once (a
    /// transaction writes an item at most once), `None` when already posted.
    pub(crate) async fn post(
        &self,
        ctx: &mut Ctx<'_>,
        source: &str,
        date: NaiveDate,
        entries: Vec<JournalEntry>,
        apply: impl FnOnce(&mut PeriodSummary),
    ) -> Result<Option<PeriodSummary>, AgentError> {
        let marker = format!("posted#{source}");
        if ctx
            .get(Domain::Financial, &marker, "posted")
            .await?
            .is_some()
        {
            return Ok(None);
        }
        let mut summary = self.summary(ctx, &period_of(date)).await?;
        let mut late = None;
        let mut month = month_of(date);
        if summary.closed {
            late = Some(summary.period.clone());
            // The first month after it still open: decided by the books, never by the clock
            // of the machine processing it (closed months are finitely many).
            while summary.closed {
                month = month + Months::new(1);
                summary = self.summary(ctx, &period_of(month)).await?;
            }
        }
        let late_date =
            late_posting_date(month, self.config.company.business_date(ctx.cause().time));
        // The customers' running A/R balances move with the posting (reconciliation).
        let mut receivables: std::collections::BTreeMap<(String, String), i64> = Default::default();
        for e in &entries {
            for l in e
                .lines
                .iter()
                .filter(|l| l.account == self.config.chart.receivables)
            {
                *receivables
                    .entry((l.name.clone(), e.currency.clone()))
                    .or_default() += l.debit_minor - l.credit_minor;
            }
        }
        self.move_receivables(ctx, receivables).await?;
        for mut e in entries {
            if !e.is_balanced() {
                return Err(AgentError::Invalid(format!(
                    "{source}: the journal entry does not balance (or is zero)"
                )));
            }
            summary.entries += 1;
            e.entry_no = format!("{}-{:04}", summary.period, summary.entries);
            if let Some(closed) = &late {
                e.memo = format!("{} (belongs to closed period {closed})", e.memo);
                e.date = late_date;
            }
            summary.journal_lines += e.lines.len() as u32;
            ctx.put_record(
                Domain::Financial,
                &format!("journal#{}", summary.period),
                &format!("{}#{}", e.date, e.entry_no),
                &e,
                None,
                Condition::NotExists,
            )?;
            self.queue_export(ctx, &e)?;
        }
        apply(&mut summary);
        ctx.put_record(
            Domain::Financial,
            &marker,
            "posted",
            &json!({"period": summary.period}),
            None,
            Condition::NotExists,
        )?;
        Ok(Some(summary))
    }

    /// Posts and saves the summary.
    pub(crate) async fn post_and_save(
        &self,
        ctx: &mut Ctx<'_>,
        source: &str,
        date: NaiveDate,
        entries: Vec<JournalEntry>,
        apply: impl FnOnce(&mut PeriodSummary),
    ) -> Result<(), AgentError> {
        match self.post(ctx, source, date, entries, apply).await? {
            Some(s) => self.save_summary(ctx, s),
            None => Ok(()),
        }
    }

    pub(crate) async fn on_invoice(
        &self,
        ctx: &mut Ctx<'_>,
        i: &InvoiceIssued,
    ) -> Result<(), AgentError> {
        let c = &self.config.chart;
        let cur = i.total.currency.clone();
        let line = |account: &str, debit: i64, credit: i64| JournalLine {
            account: account.into(),
            debit_minor: debit,
            credit_minor: credit,
            name: i.account_id.clone(),
        };
        // What is earned now goes to revenue, what is not yet earned to Deferred Revenue.
        let recognition = self.recognise(ctx, i).await?;
        let (earned, deferred) = (recognition.earned_now, recognition.deferred_total());
        let mut lines = vec![line(&c.receivables, i.total.amount_minor, 0)];
        for (account, amount) in [(&c.revenue, earned), (&c.deferred_revenue, deferred)] {
            if amount > 0 {
                lines.push(line(account, 0, amount));
            } else if amount < 0 {
                lines.push(line(account, -amount, 0));
            }
        }
        if i.tax.amount_minor != 0 {
            lines.push(line(&c.sales_tax, 0, i.tax.amount_minor));
        }
        let entry = JournalEntry {
            entry_no: String::new(),
            date: i.issued_on,
            currency: cur.clone(),
            memo: format!("Invoice {}", i.invoice_id),
            source: format!("invoice {}", i.invoice_id),
            lines,
        };
        // The customer and split, for payments, refunds and credit notes on this invoice.
        if ctx
            .get(Domain::Financial, &invoice_marker(&i.invoice_id), "booked")
            .await?
            .is_none()
        {
            ctx.put_record(
                Domain::Financial,
                &invoice_marker(&i.invoice_id),
                "booked",
                &credit::InvoiceBooked {
                    account_id: i.account_id.clone(),
                    subtotal_minor: i.subtotal.amount_minor,
                    tax_minor: i.tax.amount_minor,
                },
                None,
                Condition::NotExists,
            )?;
        }
        let posted = self
            .post(
                ctx,
                &invoice_source(&i.invoice_id),
                i.issued_on,
                vec![entry],
                |s| {
                    add(&mut s.revenue_invoiced, &cur, i.subtotal.amount_minor);
                    add(&mut s.revenue_recognised, &cur, earned);
                    add(&mut s.deferred_billed, &cur, deferred);
                    add(&mut s.tax_invoiced, &cur, i.tax.amount_minor);
                    add(&mut s.ar_movement, &cur, i.total.amount_minor);
                },
            )
            .await?;
        match posted {
            Some(summary) => {
                self.record_schedules(ctx, recognition)?;
                self.save_summary(ctx, summary)
            }
            None => Ok(()),
        }
    }

    pub(crate) async fn on_payment(
        &self,
        ctx: &mut Ctx<'_>,
        p: &PaymentReceived,
    ) -> Result<(), AgentError> {
        // No cash against an invoice not journaled: as Billing does, retry (the payment may
        // have overtaken its invoice), then dead-letter with the reason.
        let journaled = ctx
            .get(Domain::Financial, &invoice_marker(&p.invoice_id), "posted")
            .await?
            .is_some();
        require_journaled(&p.invoice_id, journaled)?;
        let customer = self.customer(ctx, &p.invoice_id).await?;
        let c = &self.config.chart;
        let date = self.config.company.business_date(p.received_at);
        let entry = JournalEntry::simple(
            date,
            &p.amount,
            &c.cash,
            &c.receivables,
            &customer,
            format!(
                "Payment {} on {} ({})",
                p.payment_id, p.invoice_id, p.method
            ),
            format!("payment {}", p.payment_id),
        );
        let cur = p.amount.currency.clone();
        self.post_and_save(
            ctx,
            &format!("payment#{}", p.payment_id),
            date,
            vec![entry],
            |s| {
                add(&mut s.collected, &cur, p.amount.amount_minor);
                add(&mut s.ar_movement, &cur, -p.amount.amount_minor);
            },
        )
        .await
    }

    pub(crate) async fn on_refund(
        &self,
        ctx: &mut Ctx<'_>,
        r: &PaymentRefunded,
    ) -> Result<(), AgentError> {
        // A refund paid out of customer credit is booked by Billing's CustomerCreditApplied
        // (Dr Customer Credits, Cr cash); booking it here too would take the cash out twice.
        if r.from_customer_credit {
            return Ok(());
        }
        let customer = self.customer(ctx, &r.invoice_id).await?;
        let c = &self.config.chart;
        // Dated when the refund was made (a day in the company's zone), however late it is
        // delivered.
        let date = self.config.company.business_date(ctx.cause().time);
        let entry = JournalEntry::simple(
            date,
            &r.amount,
            &c.receivables,
            &c.cash,
            &customer,
            format!(
                "Refund {} of payment {} ({})",
                r.refund_id, r.payment_id, r.reason
            ),
            format!("refund {}", r.refund_id),
        );
        let cur = r.amount.currency.clone();
        self.post_and_save(
            ctx,
            &format!("refund#{}", r.refund_id),
            date,
            vec![entry],
            |s| {
                add(&mut s.refunded, &cur, r.amount.amount_minor);
                add(&mut s.ar_movement, &cur, r.amount.amount_minor);
            },
        )
        .await
    }

    pub(crate) async fn on_credit(
        &self,
        ctx: &mut Ctx<'_>,
        n: &CreditNoteIssued,
    ) -> Result<(), AgentError> {
        let booked = self.booked(ctx, &n.invoice_id).await?;
        let (net, tax) = credit::credit_split(
            &n.amount,
            n.subtotal.as_ref(),
            n.tax.as_ref(),
            booked.as_ref(),
        );
        // The part of the net that reverses revenue not yet earned (Deferred Revenue); the rest
        // reverses earned revenue (Sales Returns).
        let unearned = match &booked {
            Some(b) => {
                self.credit_unearned(ctx, &n.account_id, &n.invoice_id, net, b.subtotal_minor)
                    .await?
            }
            None => 0,
        };
        let c = &self.config.chart;
        // Dated when the credit note was issued (Billing's business date, else the day in the
        // company's zone it was announced), however late it is delivered.
        let date = n
            .issued_on
            .unwrap_or_else(|| self.config.company.business_date(ctx.cause().time));
        let line = |account: &str, debit: i64, credit: i64| JournalLine {
            account: account.into(),
            debit_minor: debit,
            credit_minor: credit,
            name: n.account_id.clone(),
        };
        // Net to Sales Returns (a contra-revenue account) and Deferred Revenue, the tax back off
        // Sales Tax Payable.
        let mut lines = vec![line(&c.returns, net - unearned, 0)];
        if unearned != 0 {
            lines.push(line(&c.deferred_revenue, unearned, 0));
        }
        lines.retain(|l| l.debit_minor != 0 || l.credit_minor != 0);
        if tax != 0 {
            lines.push(line(&c.sales_tax, tax, 0));
        }
        lines.push(line(&c.receivables, 0, n.amount.amount_minor));
        let entry = JournalEntry {
            entry_no: String::new(),
            date,
            currency: n.amount.currency.clone(),
            memo: format!(
                "Credit note {} on {}: {}",
                n.credit_note_id, n.invoice_id, n.reason
            ),
            source: format!("credit note {}", n.credit_note_id),
            lines,
        };
        let cur = n.amount.currency.clone();
        self.post_and_save(
            ctx,
            &format!("credit#{}", n.credit_note_id),
            date,
            vec![entry],
            |s| {
                add(&mut s.credited, &cur, n.amount.amount_minor);
                add(&mut s.deferred_credited, &cur, unearned);
                add(&mut s.ar_movement, &cur, -n.amount.amount_minor);
            },
        )
        .await
    }
}
