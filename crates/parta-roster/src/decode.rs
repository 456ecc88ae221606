//! Text encodings of uploaded files: UTF-8 (with or without BOM) or Windows-1251, the
//! encoding Excel on a Russian Windows still writes. Anything else is refused.

/// The decoded text and the encoding found.
pub fn decode(bytes: &[u8]) -> Result<(String, &'static str), String> {
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.to_string(), "UTF-8"));
    }
    legacy(bytes)
}

/// As [`decode`], taking the bytes: UTF-8 becomes the text without a copy (a region's
/// package is ~100 MB of it).
pub fn decode_owned(mut bytes: Vec<u8>) -> Result<(String, &'static str), String> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(s) => Ok((s, "UTF-8")),
        Err(e) => legacy(e.as_bytes()),
    }
}

/// Text that is not UTF-8: Windows-1251 or refused.
fn legacy(bytes: &[u8]) -> Result<(String, &'static str), String> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err("Файл в кодировке UTF-16: сохраните его как «CSV UTF-8» или «CSV (разделители — запятые)».".into());
    }
    let (text, _, had_errors) = encoding_rs::WINDOWS_1251.decode(bytes);
    // Windows-1251 text is mostly Cyrillic letters; binary or another encoding is not.
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let cyrillic = text
        .chars()
        .filter(|c| ('\u{0400}'..='\u{04FF}').contains(c))
        .count();
    let controls = text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        .count();
    if had_errors
        || controls > 0
        || cyrillic * 2
            < letters.saturating_sub(text.chars().filter(char::is_ascii_alphabetic).count())
    {
        return Err(
            "Не удалось определить кодировку файла: сохраните его в UTF-8 или Windows-1251.".into(),
        );
    }
    Ok((text.into_owned(), "Windows-1251"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_bom_and_cp1251_are_read_and_binary_refused() {
        assert_eq!(
            decode("\u{FEFF}Фамилия".as_bytes()).unwrap(),
            ("Фамилия".to_string(), "UTF-8")
        );
        let (cp, _, _) = encoding_rs::WINDOWS_1251.encode("Фамилия;Имя\nИванов;Пётр");
        assert_eq!(
            decode(&cp).unwrap(),
            ("Фамилия;Имя\nИванов;Пётр".to_string(), "Windows-1251")
        );
        assert!(decode(&[0x00, 0x9f, 0x92, 0x96, 0x01]).is_err());
        assert!(decode(&[0xFF, 0xFE, 0x41, 0x00]).is_err());
        assert_eq!(
            decode_owned("\u{FEFF}Фамилия".as_bytes().to_vec()).unwrap(),
            ("Фамилия".to_string(), "UTF-8")
        );
        assert_eq!(decode_owned(cp.to_vec()).unwrap().1, "Windows-1251");
    }
}
