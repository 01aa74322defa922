//! One place for number formatting, so the terminal, Markdown and HTML print identical strings.

/// A latency in milliseconds with precision that suits its size: `0.269`, `4.08`, `182.0`, `1410`.
pub fn ms(value: Option<f64>) -> String {
    match value {
        None => "-".to_string(),
        Some(v) if v.abs() < 1.0 => format!("{v:.3}"),
        Some(v) if v.abs() < 10.0 => format!("{v:.2}"),
        Some(v) if v.abs() < 1000.0 => format!("{v:.1}"),
        Some(v) => format!("{v:.0}"),
    }
}

/// A rate (requests per second) with two decimals: `58.35`.
pub fn rate(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.2}"))
}

/// A fraction as a percentage with two decimals: `0.99` -> `99.00%`.
pub fn fraction_percent(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{:.2}%", v * 100.0))
}

/// A CPU percentage with one decimal: `163.4%`.
pub fn cpu_percent(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.1}%"))
}

/// Memory in MiB with one decimal: `275.7 MB` (psrecord's "MB" are MiB).
pub fn mem_mb(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.1} MB"))
}

/// An integer count with thousands separators: `29,720`.
pub fn count(value: Option<u64>) -> String {
    let Some(v) = value else {
        return "-".to_string();
    };
    let digits = v.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A large count in words: `25.9 M`, `9.46 B`; exact below ten thousand.
pub fn big(value: Option<f64>) -> String {
    let Some(v) = value.filter(|v| v.is_finite()) else {
        return "-".to_string();
    };
    let scaled = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")]
        .iter()
        .find(|(unit, _)| v.abs() >= 1e4_f64.max(*unit))
        .map(|&(unit, suffix)| (v / unit, suffix));
    match scaled {
        Some((x, suffix)) => format!("{} {suffix}", three_significant(x)),
        None if v.fract() == 0.0 => count(Some(v as u64)),
        None => three_significant(v),
    }
}

fn three_significant(x: f64) -> String {
    if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// Money with its currency: `$0.61` for USD, `0.61 EUR` otherwise; small amounts keep four
/// decimals so a cost per million requests never shows as zero.
pub fn money(value: Option<f64>, currency: &str) -> String {
    let Some(v) = value.filter(|v| v.is_finite()) else {
        return "-".to_string();
    };
    let amount = if v.abs() < 0.01 && v != 0.0 {
        format!("{v:.4}")
    } else {
        format!("{v:.2}")
    };
    match currency {
        "USD" => format!("${amount}"),
        other => format!("{amount} {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(ms(Some(0.2687)), "0.269");
        assert_eq!(ms(Some(4.0766)), "4.08");
        assert_eq!(ms(Some(182.04)), "182.0");
        assert_eq!(ms(Some(1410.2)), "1410");
        assert_eq!(ms(None), "-");
        assert_eq!(rate(Some(58.3474)), "58.35");
        assert_eq!(fraction_percent(Some(1.0)), "100.00%");
        assert_eq!(cpu_percent(Some(163.4)), "163.4%");
        assert_eq!(mem_mb(Some(275.672)), "275.7 MB");
        assert_eq!(count(Some(29720)), "29,720");
        assert_eq!(count(Some(100)), "100");
        assert_eq!(count(Some(1_000_000)), "1,000,000");
        assert_eq!(big(Some(25_920_000.0)), "25.9 M");
        assert_eq!(big(Some(9_460_800_000.0)), "9.46 B");
        assert_eq!(big(Some(29.1003)), "29.1");
        assert_eq!(big(Some(1_800.0)), "1,800");
        assert_eq!(big(Some(432_000.0)), "432 k");
        assert_eq!(money(Some(0.6123), "USD"), "$0.61");
        assert_eq!(money(Some(0.00123), "EUR"), "0.0012 EUR");
    }
}
