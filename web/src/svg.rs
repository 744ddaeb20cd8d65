//! Numbers for SVG attributes.
//!
//! A coordinate is written with at most one decimal through integer formatting: formatting a
//! float in full is slow (a full redraw of the workshop diagram writes thousands of them) and
//! pulls Rust's float-printing code into the download. A tenth of a pixel is finer than any
//! screen draws the diagram.

/// `v` to a tenth, as SVG reads it: `12`, `12.5`, `-3.2`.
pub fn num(v: f64) -> String {
    let tenths = (v * 10.0).round() as i64;
    let sign = if tenths < 0 { "-" } else { "" };
    let (whole, tenth) = (tenths.abs() / 10, tenths.abs() % 10);
    if tenth == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{tenth}")
    }
}

#[cfg(test)]
mod tests {
    use super::num;

    #[test]
    fn numbers_to_a_tenth() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.46), "12.5");
        assert_eq!(num(0.04), "0");
        assert_eq!(num(-3.21), "-3.2");
        assert_eq!(num(-0.5), "-0.5");
        assert_eq!(num(16.8333), "16.8");
    }
}
