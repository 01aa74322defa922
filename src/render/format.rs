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
    }
}
