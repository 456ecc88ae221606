//! Bounds of what an uploaded roster may build — not only the bytes read, but the rows,
//! columns, cells, archive entries and unpacked sizes they turn into — and the one
//! bounded ZIP reader both formats use. A file over a bound is refused with a message
//! naming the bound; nothing is allocated for the part beyond it.

use crate::model::RowError;
use std::io::Read;

/// Entries in a ZIP upload (a OneRoster package has ≤ 10, an Excel workbook ~15–40).
pub const MAX_ENTRIES: usize = 200;
/// Bytes unpacked from all entries of a OneRoster package together.
pub const MAX_UNPACKED: u64 = 64 * 1024 * 1024;
/// Bytes unpacked from an Excel workbook (a 10,000-row template is ~10 MB unpacked; the
/// shared strings it holds are kept in memory by the reader, ~3 times their size).
pub const MAX_UNPACKED_XLSX: u64 = 24 * 1024 * 1024;
/// Data rows of one OneRoster file (a school's `enrollments.csv` has ~25,000).
pub const MAX_TABLE_ROWS: usize = 200_000;
/// A package of several schools (a municipality's or a region's, uploaded by its
/// operator): rows of one file — a region of 100,000 students has ~260,000 users with
/// their parents and ~1,000,000 rows in all.
pub const MAX_REGION_TABLE_ROWS: usize = 1_500_000;
/// Bytes unpacked from a region's package (100,000 students: ~110 MB of CSV).
pub const MAX_REGION_UNPACKED: u64 = 320 * 1024 * 1024;
/// The packed upload of a region's package.
pub const MAX_REGION_UPLOAD: usize = 96 * 1024 * 1024;
/// Schools in one package of several schools.
pub const MAX_REGION_SCHOOLS: usize = 2_000;
/// Data rows of the school template (one per student; the largest schools have ~4,000).
pub const MAX_TEMPLATE_ROWS: usize = 10_000;
/// Columns of any table (the template has 15, OneRoster's `users.csv` 20).
pub const MAX_COLUMNS: usize = 100;
/// Characters of one cell.
pub const MAX_CELL_CHARS: usize = 1_000;
/// Row errors reported for one file; the rest are counted.
pub const MAX_REPORTED_ERRORS: usize = 300;

/// One entry of an archive: its file name (without folders) and content.
pub type Entry = (String, Vec<u8>);

/// Reads every file of a ZIP, refusing before more than `max_unpacked` bytes in all or
/// [`MAX_ENTRIES`] entries are built. `keep = false` only checks (the bytes are counted,
/// not kept): an Excel reader then opens the archive knowing what it will unpack.
pub fn read_zip(
    bytes: &[u8],
    keep: bool,
    max_unpacked: u64,
    file: &str,
) -> Result<Vec<Entry>, RowError> {
    let bad = |m: String| RowError::new(file, 0, "", m);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|_| bad("Файл не является ZIP-архивом или повреждён.".into()))?;
    if zip.len() > MAX_ENTRIES {
        return Err(bad(format!(
            "В архиве {} файлов — больше допустимых {MAX_ENTRIES}.",
            zip.len()
        )));
    }
    let mut out = Vec::new();
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut f = zip
            .by_index(i)
            .map_err(|_| bad("Архив повреждён или зашифрован.".into()))?;
        if f.is_dir() {
            continue;
        }
        let name = f.name().rsplit('/').next().unwrap_or_default().to_string();
        // Never trust the declared size: read at most what is left of the budget, plus one
        // byte to see that it was exceeded.
        let budget = max_unpacked - total + 1;
        let read = if keep {
            let mut buf = Vec::new();
            (&mut f)
                .take(budget)
                .read_to_end(&mut buf)
                .map_err(|_| bad("Архив повреждён.".into()))?;
            let n = buf.len() as u64;
            out.push((name, buf));
            n
        } else {
            std::io::copy(&mut (&mut f).take(budget), &mut std::io::sink())
                .map_err(|_| bad("Архив повреждён.".into()))?
        };
        total += read;
        if total > max_unpacked {
            return Err(bad(format!(
                "Архив после распаковки больше {} МБ.",
                max_unpacked / 1024 / 1024
            )));
        }
    }
    Ok(out)
}

/// Keeps the first [`MAX_REPORTED_ERRORS`] errors and says how many more there were.
pub fn cap_errors(mut errors: Vec<RowError>) -> Vec<RowError> {
    if errors.len() > MAX_REPORTED_ERRORS {
        let more = errors.len() - MAX_REPORTED_ERRORS;
        errors.truncate(MAX_REPORTED_ERRORS);
        errors.push(RowError::new(
            "",
            0,
            "",
            format!("…и ещё ошибок: {more}. Исправьте перечисленные и загрузите файл снова."),
        ));
    }
    errors
}

/// Spreadsheet column letters of a 0-based index: 0 → A, 16383 → XFD.
pub fn column_letters(mut col: u32) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in files {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn a_zip_bomb_is_refused_before_it_is_unpacked() {
        // 65 MiB of zeros packs into ~65 KB.
        let bomb = zip_of(&[("users.csv", vec![0u8; 65 * 1024 * 1024])]);
        assert!(bomb.len() < 200 * 1024);
        for keep in [true, false] {
            let e = read_zip(&bomb, keep, MAX_UNPACKED, "x.zip").unwrap_err();
            assert!(e.message.contains("64 МБ"), "{}", e.message);
        }
        let many: Vec<(String, Vec<u8>)> = (0..=MAX_ENTRIES)
            .map(|i| (format!("f{i}.csv"), Vec::new()))
            .collect();
        let refs: Vec<(&str, Vec<u8>)> =
            many.iter().map(|(n, d)| (n.as_str(), d.clone())).collect();
        let e = read_zip(&zip_of(&refs), true, MAX_UNPACKED, "x.zip").unwrap_err();
        assert!(e.message.contains("файлов"), "{}", e.message);
        assert_eq!(
            read_zip(
                &zip_of(&[("a/b.csv", b"x".to_vec())]),
                true,
                MAX_UNPACKED,
                "x.zip"
            )
            .unwrap(),
            vec![("b.csv".to_string(), b"x".to_vec())]
        );
    }

    #[test]
    fn columns_are_lettered_as_in_excel() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(16383), "XFD");
    }

    #[test]
    fn errors_are_capped_with_a_count() {
        let many = vec![RowError::new("f", 1, "", "x"); MAX_REPORTED_ERRORS + 5];
        let capped = cap_errors(many);
        assert_eq!(capped.len(), MAX_REPORTED_ERRORS + 1);
        assert!(capped[MAX_REPORTED_ERRORS].message.contains('5'));
    }
}
