//! Services' messages in English. Services speak Russian (the problem details and field
//! errors they return); an English caller reads them through one catalogue keyed by the
//! Russian text, `messages.en.txt`, where `{}` stands for a value put in by the service
//! (a number, a name, a line of a file). A test reads every Russian string literal of the
//! services' sources and fails on one the catalogue lacks, so a new message cannot ship
//! in Russian only.

use crate::i18n::Lang;
use axum::http::{header, HeaderMap};
use parta_core::{FieldError, Problem};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

const CATALOGUE: &str = include_str!("messages.en.txt");

/// A catalogue entry with values in it: the Russian pieces between the `{}`.
struct Pattern {
    ru: Vec<&'static str>,
    en: &'static str,
}

struct Catalogue {
    exact: HashMap<&'static str, &'static str>,
    patterns: Vec<Pattern>,
}

/// The catalogue's entries: `(russian, english)`; english `-` marks a string that is not a
/// message (data, or already shown through the pages' own bilingual strings).
fn entries(text: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    let mut ru: Option<&'static str> = None;
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if let Some(en) = line.strip_prefix("= ") {
            if let Some(r) = ru.take() {
                out.push((r, en));
            }
        } else {
            ru = Some(line);
        }
    }
    out
}

static TABLE: LazyLock<Catalogue> = LazyLock::new(|| {
    let mut exact = HashMap::new();
    let mut patterns = Vec::new();
    for (ru, en) in entries(CATALOGUE) {
        if en == "-" {
            continue;
        }
        if ru.contains("{}") {
            patterns.push(Pattern {
                ru: ru.split("{}").collect(),
                en,
            });
        } else {
            exact.insert(ru, en);
        }
    }
    // The longest patterns first: the most specific wins.
    patterns.sort_by_key(|p| std::cmp::Reverse(p.ru.iter().map(|s| s.len()).sum::<usize>()));
    Catalogue { exact, patterns }
});

/// The values a pattern's `{}` took in `s`, when `s` is that pattern.
fn captures<'a>(pieces: &[&str], s: &'a str) -> Option<Vec<&'a str>> {
    let (first, rest) = pieces.split_first()?;
    let mut tail = s.strip_prefix(first)?;
    let mut caps = Vec::with_capacity(rest.len());
    for (i, piece) in rest.iter().enumerate() {
        let last = i + 1 == rest.len();
        if last {
            let value = tail.strip_suffix(piece)?;
            caps.push(value);
            tail = "";
        } else if piece.is_empty() {
            return None;
        } else {
            let at = tail.find(piece)?;
            caps.push(&tail[..at]);
            tail = &tail[at + piece.len()..];
        }
    }
    tail.is_empty().then_some(caps)
}

fn translate_depth(s: &str, depth: u8) -> Cow<'_, str> {
    let t = &*TABLE;
    if let Some(en) = t.exact.get(s) {
        return Cow::Borrowed(en);
    }
    if depth == 0 || s.is_empty() {
        return Cow::Borrowed(s);
    }
    for p in &t.patterns {
        if let Some(caps) = captures(&p.ru, s) {
            let mut out = String::with_capacity(p.en.len() + s.len());
            let mut values = caps.into_iter();
            let mut pieces = p.en.split("{}").peekable();
            while let Some(piece) = pieces.next() {
                out.push_str(piece);
                if pieces.peek().is_some() {
                    // A value may itself be a message (`строка 12: Укажите фамилию.`).
                    out.push_str(&translate_depth(
                        values.next().unwrap_or_default(),
                        depth - 1,
                    ));
                }
            }
            return Cow::Owned(out);
        }
    }
    Cow::Borrowed(s)
}

/// A service's message in the caller's language.
pub fn translate(lang: Lang, s: &str) -> Cow<'_, str> {
    match lang {
        Lang::Ru => Cow::Borrowed(s),
        Lang::En => translate_depth(s, 3),
    }
}

/// The problem with its title, detail and field messages in the caller's language.
pub fn localize(p: &Problem, lang: Lang) -> Problem {
    let mut out = p.clone();
    if lang == Lang::Ru {
        return out;
    }
    out.title = translate(lang, &p.title).into_owned();
    out.errors = p
        .errors
        .iter()
        .map(|e| FieldError {
            message: translate(lang, &e.message).into_owned(),
            ..e.clone()
        })
        .collect();
    out.detail = p.detail.as_ref().map(|d| {
        // A validation's detail is its first error, `field: message`.
        match (p.errors.first(), out.errors.first()) {
            (Some(ru), Some(en)) if *d == format!("{}: {}", ru.field, ru.message) => {
                format!("{}: {}", en.field, en.message)
            }
            _ => translate(lang, d).into_owned(),
        }
    });
    out
}

/// The language an API caller reads: the interface's cookie, else `Accept-Language`.
pub fn api_lang(h: &HeaderMap) -> Lang {
    if crate::caller::cookie(h, "lang").is_some() {
        return Lang::from_headers(h);
    }
    let first = h
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|t| t.trim().to_ascii_lowercase());
    match first {
        Some(t) if t.starts_with("en") => Lang::En,
        _ => Lang::Ru,
    }
}

/// Middleware: a problem+json answer in the caller's language (errors are rare and small,
/// so the body is read and written again only for them, and only for English callers).
pub async fn localize_problems(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let lang = api_lang(req.headers());
    let res = next.run(req).await;
    if lang == Lang::Ru {
        return res;
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !is_problem {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1024 * 1024).await else {
        return axum::response::IntoResponse::into_response(parts.status);
    };
    let out = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(mut v) => {
            localize_json(&mut v, lang);
            serde_json::to_vec(&v).unwrap_or_else(|_| bytes.to_vec())
        }
        Err(_) => bytes.to_vec(),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    axum::response::Response::from_parts(parts, axum::body::Body::from(out))
}

fn localize_json(v: &mut serde_json::Value, lang: Lang) {
    use serde_json::Value;
    let tr = |s: &mut Value| {
        if let Value::String(text) = s {
            let en = translate(lang, text).into_owned();
            *text = en;
        }
    };
    let Value::Object(o) = v else { return };
    let first = o
        .get("errors")
        .and_then(|e| e.get(0))
        .and_then(|e| Some((e.get("field")?.as_str()?, e.get("message")?.as_str()?)))
        .map(|(f, m)| (format!("{f}: {m}"), format!("{f}: {}", translate(lang, m))));
    if let Some(t) = o.get_mut("title") {
        tr(t);
    }
    if let Some(Value::String(d)) = o.get_mut("detail") {
        *d = match &first {
            Some((ru, en)) if ru == d => en.clone(),
            _ => translate(lang, d).into_owned(),
        };
    }
    if let Some(Value::Array(errors)) = o.get_mut("errors") {
        for e in errors {
            if let Some(m) = e.get_mut("message") {
                tr(m);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_put_values_back_and_translate_nested_messages() {
        let t = |s| translate(Lang::En, s).into_owned();
        assert_eq!(t("Не найдено"), "Not found");
        assert_eq!(
            t("Слишком много элементов за один запрос: 12, можно не больше 5. Разделите изменения на части."),
            "Too many items in one request: 12, at most 5 are allowed. Split the changes into parts."
        );
        assert_eq!(translate(Lang::Ru, "Не найдено"), "Не найдено");
        // Unknown text stays as it is.
        assert_eq!(t("Неизвестно что"), "Неизвестно что");
    }

    #[test]
    fn a_validation_problem_reads_in_english() {
        let p = Problem::invalid("last_name", "Укажите фамилию.");
        let en = localize(&p, Lang::En);
        assert_eq!(en.title, "Invalid data");
        assert_eq!(en.errors[0].message, "Enter the last name.");
        assert_eq!(
            en.detail.as_deref(),
            Some("last_name: Enter the last name.")
        );
    }

    /// Every catalogue entry has its translation, and the `{}` counts agree.
    #[test]
    fn catalogue_entries_are_whole() {
        for (ru, en) in entries(CATALOGUE) {
            assert!(!en.is_empty(), "empty translation of {ru:?}");
            if en != "-" {
                assert_eq!(
                    ru.matches("{}").count(),
                    en.matches("{}").count(),
                    "values differ: {ru:?} → {en:?}"
                );
                assert!(
                    !en.chars()
                        .any(|c| matches!(c, 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё')),
                    "Russian left in the translation of {ru:?}: {en:?}"
                );
            }
        }
    }

    /// The services' sources: every string literal with Russian in it (outside tests,
    /// doc comments and the files that are data or already bilingual) is in the catalogue.
    #[test]
    fn every_service_message_has_an_english_entry() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let known: std::collections::HashSet<&str> =
            entries(CATALOGUE).into_iter().map(|(ru, _)| ru).collect();
        let mut missing = std::collections::BTreeSet::new();
        let mut found = std::collections::HashSet::new();
        let mut files = Vec::new();
        collect_rs(&root, &mut files);
        for path in files {
            let rel = path
                .strip_prefix(&root)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            if NOT_MESSAGES.iter().any(|skip| rel.starts_with(skip)) {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let text = match text.find("#[cfg(test)]") {
                Some(at) => &text[..at],
                None => &text[..],
            };
            for lit in russian_literals(text) {
                // A text of several lines is a document (a template's example), not a message.
                if !known.contains(lit.as_str()) && !lit.contains('\n') {
                    missing.insert(format!("{rel}: {lit}"));
                }
                found.insert(lit);
            }
        }
        // And no entry outlives its message.
        let mut stale: Vec<&&str> = known.iter().filter(|k| !found.contains(**k)).collect();
        stale.sort();
        assert!(
            stale.is_empty(),
            "catalogue entries no service says any more (remove them): {stale:#?}"
        );
        if !missing.is_empty() {
            let list = missing.into_iter().collect::<Vec<_>>().join("\n");
            if let Ok(out) = std::env::var("PARTA_MISSING_MESSAGES") {
                let _ = std::fs::write(out, &list);
            }
            panic!("messages without an English entry in parta-http/src/messages.en.txt:\n{list}");
        }
    }

    /// Files whose Russian is not a service message: the pages' own bilingual strings,
    /// demo data, test tools, and the command line (its operators read Russian).
    const NOT_MESSAGES: &[&str] = &[
        "parta-gen/",
        "parta-fuzz/",
        "parta-bench/",
        "parta/src/main.rs",
        "parta-http/src/i18n.rs",
        "parta-http/src/messages.rs",
        // The API document's descriptions (the reference is Russian, like the codes' table).
        "parta-web/src/api.rs",
        // Bilingual already: a struct of words per language.
        "parta-schoolday/src/http/today.rs",
        "parta-notify/src/render.rs",
        // The demo region's chat messages: content people wrote, not the platform's words.
        "parta-chat/src/demo.rs",
    ];

    fn collect_rs(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            let name = e.file_name();
            let name = name.to_string_lossy();
            if p.is_dir() {
                // Sources only: a crate's tests, benches and templates are not services.
                if name != "tests"
                    && name != "target"
                    && name != "templates"
                    && name != "node_modules"
                {
                    collect_rs(&p, out);
                }
            } else if name.ends_with(".rs") && !name.ends_with("strings.rs") {
                out.push(p);
            }
        }
    }

    fn is_russian(s: &str) -> bool {
        s.chars()
            .any(|c| matches!(c, 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё'))
    }

    /// Russian string literals of a Rust source, as the program sees them: escapes
    /// resolved, line continuations joined, format arguments (`{max}`, `{:?}`) as `{}`.
    fn russian_literals(src: &str) -> Vec<String> {
        let b: Vec<char> = src.chars().collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if c == '/' && b.get(i + 1) == Some(&'/') {
                while i < b.len() && b[i] != '\n' {
                    i += 1;
                }
            } else if c == '/' && b.get(i + 1) == Some(&'*') {
                i += 2;
                while i + 1 < b.len() && !(b[i] == '*' && b[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
            } else if c == '\'' {
                // A char literal ('"', '\'') or a lifetime ('a).
                if b.get(i + 1) == Some(&'\\') {
                    i += 2;
                    while i < b.len() && b[i] != '\'' {
                        i += 1;
                    }
                    i += 1;
                } else if b.get(i + 2) == Some(&'\'') {
                    i += 3;
                } else {
                    i += 1;
                }
            } else if c == 'r'
                && (b.get(i + 1) == Some(&'"') || b.get(i + 1) == Some(&'#'))
                && (i == 0 || !(b[i - 1].is_alphanumeric() || b[i - 1] == '_'))
            {
                let mut j = i + 1;
                let mut hashes = 0;
                while b.get(j) == Some(&'#') {
                    hashes += 1;
                    j += 1;
                }
                if b.get(j) != Some(&'"') {
                    i += 1;
                    continue;
                }
                j += 1;
                let start = j;
                loop {
                    if j >= b.len() {
                        break;
                    }
                    if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                        break;
                    }
                    j += 1;
                }
                let s: String = b[start..j.min(b.len())].iter().collect();
                if is_russian(&s) {
                    out.push(normalize_format(&s));
                }
                i = j + 1 + hashes;
            } else if c == '"' {
                let mut j = i + 1;
                let mut s = String::new();
                while j < b.len() && b[j] != '"' {
                    if b[j] == '\\' {
                        match b.get(j + 1) {
                            Some('n') => s.push('\n'),
                            Some('r') => s.push('\r'),
                            Some('t') => s.push('\t'),
                            Some('\n') => {
                                j += 2;
                                while j < b.len() && b[j].is_whitespace() {
                                    j += 1;
                                }
                                continue;
                            }
                            Some(&other) => s.push(other),
                            None => {}
                        }
                        j += 2;
                    } else {
                        s.push(b[j]);
                        j += 1;
                    }
                }
                if is_russian(&s) {
                    out.push(normalize_format(&s));
                }
                i = j + 1;
            } else {
                i += 1;
            }
        }
        out
    }

    /// `{max}`, `{:?}`, `{}` → `{}`; `{{` → `{`.
    fn normalize_format(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut it = s.chars().peekable();
        while let Some(c) = it.next() {
            match c {
                '{' if it.peek() == Some(&'{') => {
                    it.next();
                    out.push('{');
                }
                '}' if it.peek() == Some(&'}') => {
                    it.next();
                    out.push('}');
                }
                '{' => {
                    for d in it.by_ref() {
                        if d == '}' {
                            break;
                        }
                    }
                    out.push_str("{}");
                }
                _ => out.push(c),
            }
        }
        out
    }

    #[test]
    fn the_scanner_reads_literals_as_the_program_sees_them() {
        let src = "let a = \"Можно не больше {max} — \\\n     строк\"; // «комментарий»\n/// Документация\nlet c = '\"'; let d = r#\"Сырой {x}\"#;";
        assert_eq!(
            russian_literals(src),
            vec![
                "Можно не больше {} — строк".to_string(),
                "Сырой {}".to_string()
            ]
        );
    }
}
