//! СНИЛС — the federal personal insurance number, the one identifier that follows a
//! person between schools and systems.

/// Checks СНИЛС `123-456-789 01` or 11 digits, with its checksum.
pub fn valid_snils(snils: &str) -> bool {
    let d: Vec<u32> = snils.chars().filter_map(|c| c.to_digit(10)).collect();
    if d.len() != 11 {
        return false;
    }
    let sum: u32 = d[..9]
        .iter()
        .enumerate()
        .map(|(i, x)| x * (9 - i as u32))
        .sum();
    let check = match sum % 101 {
        100 => 0,
        s => s,
    };
    check == d[9] * 10 + d[10]
}

/// `123-456-789 01` from any spelling of 11 digits.
pub fn normalise(s: &str) -> Option<String> {
    let d: String = s.chars().filter(char::is_ascii_digit).collect();
    (d.len() == 11).then(|| format!("{}-{}-{} {}", &d[0..3], &d[3..6], &d[6..9], &d[9..11]))
}
