//! `ascent cost` as text: the bill per part and per service, its total and the bill per
//! million business events; `--detail` adds every part's lines with their formulas.

use super::bill::{Bill, Service};
use std::fmt::Write;

/// `n` with thousands separators (`27,670`; two decimals below 1,000 when not whole).
pub fn grouped(n: f64) -> String {
    if n.fract().abs() > 1e-9 && n.abs() < 1.0 {
        return format!("{n:.4}");
    }
    if n.fract().abs() > 1e-9 && n.abs() < 1000.0 {
        return format!("{n:.2}");
    }
    let digits = format!("{:.0}", n.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0.0 { format!("-{out}") } else { out }
}

/// An amount of the table, `-` when nothing.
fn usd(amount: f64) -> String {
    if amount == 0.0 {
        "-".into()
    } else {
        format!("{amount:.4}")
    }
}

/// A service's name in the table's header.
fn short(service: Service) -> &'static str {
    match service {
        Service::StepFunctions => "StepFns",
        other => other.label(),
    }
}

/// The per-service lines: every part's quantities of one item added, at its price.
fn service_lines(bill: &Bill) -> Vec<(Service, &'static str, f64, f64, f64, f64)> {
    let mut out: Vec<(Service, &'static str, f64, f64, f64, f64)> = Vec::new();
    for line in bill.parts.iter().flat_map(|p| &p.lines) {
        match out
            .iter_mut()
            .find(|o| o.0 == line.service && o.1 == line.item)
        {
            Some(o) => {
                o.2 += line.quantity;
                o.5 += line.usd;
            }
            None => out.push((
                line.service,
                line.item,
                line.quantity,
                line.price,
                line.per,
                line.usd,
            )),
        }
    }
    out.sort_by_key(|o| o.0);
    out
}

/// The bill as a table.
pub fn text(bill: &Bill, detail: bool) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "AWS bill of a {}-day month of this traffic ({} list prices taken {}; free tiers not deducted)",
        bill.month_days, bill.region, bill.prices_taken
    );
    let _ = writeln!(
        s,
        "  run {}: {} day(s) of traffic, scaled ×{:.4}; {} business events a month",
        bill.database,
        grouped(bill.run_days),
        bill.scale,
        grouped(bill.business_events_per_month)
    );
    let _ = writeln!(s);
    let _ = write!(s, "{:<26}", "USD a month");
    for service in Service::ALL {
        let _ = write!(s, " {:>11}", short(service));
    }
    let _ = writeln!(s, " {:>10}", "total");
    for p in &bill.parts {
        let _ = write!(s, "{:<26}", p.name);
        for service in Service::ALL {
            let _ = write!(s, " {:>11}", usd(p.service(service)));
        }
        let _ = writeln!(s, " {:>10.4}", p.usd);
    }
    let _ = write!(s, "{:<26}", "total");
    for (_, amount) in &bill.per_service {
        let _ = write!(s, " {:>11}", usd(*amount));
    }
    let _ = writeln!(s, " {:>10.4}", bill.total_usd);
    let _ = writeln!(s);
    let _ = writeln!(s, "per service (quantity a month × price)");
    for (service, item, quantity, price, per, usd) in service_lines(bill) {
        let per = if per == 1.0 {
            String::new()
        } else {
            format!(" per {}", grouped(per))
        };
        let _ = writeln!(
            s,
            "  {:<15} {:<18} {:>14} × {price}{per} = {usd:.4}",
            service.label(),
            item,
            grouped(quantity),
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "total {:.2} USD a month, {:.4} USD per 1 million business events",
        bill.total_usd, bill.per_million_business_events
    );
    let _ = writeln!(
        s,
        "  of which {:.2} USD whatever the traffic (idle polling, cold starts, storage held); \
         the rest is {:.4} USD per 1 million business events",
        bill.fixed_usd, bill.per_million_business_events_traffic
    );
    if detail {
        let _ = writeln!(s);
        let _ = writeln!(s, "lines of each part");
        for p in &bill.parts {
            let _ = writeln!(s, "  {}", p.name);
            for l in &p.lines {
                let _ = writeln!(
                    s,
                    "    {:<14} {:<18} {:>14} = {}  ({:.4} USD)",
                    l.service.label(),
                    l.item,
                    grouped(l.quantity),
                    l.formula,
                    l.usd
                );
            }
        }
    }
    s
}
