//! Text that leaves the platform in spreadsheets.

use std::borrow::Cow;

/// A cell value safe to open in a spreadsheet (CSV/formula injection, OWASP): a value
/// starting with `=`, `+`, `-`, `@`, a tab or a carriage return would be run as a formula
/// by Excel or LibreOffice, so it gets a leading apostrophe, which they show as text.
/// Numbers (`-5`, `+7 912…` phone numbers are not numbers) stay as they are when they
/// parse as a plain number.
pub fn spreadsheet_safe(value: &str) -> Cow<'_, str> {
    let risky = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && value.parse::<f64>().is_err() {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// Reverses [`spreadsheet_safe`] for a value read back from a file the platform wrote.
pub fn spreadsheet_unescape(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_read_back() {
        for bad in [
            "=HYPERLINK(\"http://x\")",
            "+7 912 000",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
        ] {
            let safe = spreadsheet_safe(bad);
            assert!(safe.starts_with('\''), "{bad}");
            assert_eq!(spreadsheet_unescape(&safe), bad);
        }
        assert_eq!(spreadsheet_safe("Иванов"), "Иванов");
        assert_eq!(spreadsheet_safe("-5"), "-5");
        assert_eq!(spreadsheet_unescape("'обычный"), "'обычный");
    }
}
