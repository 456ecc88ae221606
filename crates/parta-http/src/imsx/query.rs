//! The query parameters of a OneRoster 1.2 collection — `filter`, `sort`, `orderBy`,
//! `fields`, `limit`, `offset` — parsed and applied to the JSON objects of a collection.
//! Pure: no I/O.
//!
//! The filter grammar of the specification (§3.4.2 of the REST binding):
//! `field<predicate>'value'`, predicates `=`, `!=`, `>`, `>=`, `<`, `<=`, `~` (contains),
//! joined by ` AND ` or ` OR ` (one kind of logical operator in one filter). A field may
//! name a nested value with dots (`roles.role`, `school.sourcedId`); on a list, a
//! predicate holds when it holds for one of its items.

use serde_json::{Map, Value};
use std::cmp::Ordering;

/// The most objects one answer carries (the spec lets the server set it).
pub const MAX_LIMIT: usize = 1000;
/// When `limit` is not given.
pub const DEFAULT_LIMIT: usize = 100;
/// Longest filter accepted, and most predicates in one.
const MAX_FILTER: usize = 2000;
const MAX_PREDICATES: usize = 16;

/// What is wrong with a query, as the spec's `imsx_CodeMinor` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// `invalid_filter_field`, `invalid_selection_field`, `invalid_sort_field`,
    /// `invaliddata`.
    pub code_minor: &'static str,
    /// The parameter at fault (`filter`, `fields`, `sort`, `limit`, `offset`).
    pub parameter: &'static str,
    /// Russian, naming what is wrong.
    pub message: String,
}

impl From<QueryError> for parta_core::Problem {
    fn from(e: QueryError) -> Self {
        let mut p = parta_core::Problem::new(
            axum::http::StatusCode::BAD_REQUEST,
            e.code_minor,
            "Запрос к OneRoster не понят.",
        )
        .with_detail(e.message.clone());
        p.field = Some(e.parameter.to_string());
        p.errors = vec![parta_core::FieldError::new(e.parameter, e.message)];
        p
    }
}

impl QueryError {
    /// A filter this collection cannot apply.
    pub fn filter(message: impl Into<String>) -> Self {
        Self::new("invalid_filter_field", "filter", message.into())
    }

    fn new(code_minor: &'static str, parameter: &'static str, message: String) -> Self {
        Self {
            code_minor,
            parameter,
            message,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Predicate {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Contains,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub path: Vec<String>,
    pub predicate: Predicate,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    All(Vec<Condition>),
    Any(Vec<Condition>),
}

/// The raw parameters, as the query string gives them.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RawQuery {
    /// `field<predicate>'value'` joined by ` AND ` or ` OR `; predicates `=`, `!=`,
    /// `>`, `>=`, `<`, `<=`, `~`.
    pub filter: Option<String>,
    /// A field to sort by.
    pub sort: Option<String>,
    /// `asc` (default) or `desc`.
    #[serde(rename = "orderBy")]
    #[param(rename = "orderBy")]
    pub order_by: Option<String>,
    /// Comma-separated fields to return.
    pub fields: Option<String>,
    /// 1–1000, default 100.
    pub limit: Option<String>,
    /// Default 0.
    pub offset: Option<String>,
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub filter: Option<Filter>,
    pub sort: Option<Vec<String>>,
    pub descending: bool,
    pub fields: Option<Vec<String>>,
    pub limit: usize,
    pub offset: usize,
}

impl ListQuery {
    /// No filter, sort or selection; the first `limit` objects.
    pub fn first(limit: usize) -> Self {
        ListQuery {
            filter: None,
            sort: None,
            descending: false,
            fields: None,
            limit,
            offset: 0,
        }
    }
}

/// Parses the parameters against the fields the collection's objects have.
pub fn parse(raw: &RawQuery, known: &[&str]) -> Result<ListQuery, QueryError> {
    let field_known = |path: &str| {
        let top = path.split('.').next().unwrap_or_default();
        known.contains(&top)
    };
    let filter = match raw.filter.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(f) => Some(parse_filter(f, &field_known)?),
    };
    let sort = match raw.sort.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) if field_known(s) => Some(s.split('.').map(str::to_string).collect()),
        Some(s) => {
            return Err(QueryError::new(
                "invalid_sort_field",
                "sort",
                format!("Сортировка по неизвестному полю «{s}»."),
            ))
        }
    };
    let descending = match raw.order_by.as_deref().map(str::trim) {
        None | Some("") | Some("asc") => false,
        Some("desc") => true,
        Some(o) => {
            return Err(QueryError::new(
                "invaliddata",
                "orderBy",
                format!("orderBy: «asc» или «desc», а не «{o}»."),
            ))
        }
    };
    let fields = match raw.fields.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(f) => {
            let list: Vec<String> = f.split(',').map(|s| s.trim().to_string()).collect();
            if let Some(bad) = list
                .iter()
                .find(|s| s.is_empty() || !known.contains(&s.as_str()))
            {
                return Err(QueryError::new(
                    "invalid_selection_field",
                    "fields",
                    format!("Неизвестное поле «{bad}» в fields."),
                ));
            }
            Some(list)
        }
    };
    let number = |v: &Option<String>, name: &'static str, default: usize| match v.as_deref() {
        None | Some("") => Ok(default),
        Some(s) => s.trim().parse::<usize>().map_err(|_| {
            QueryError::new(
                "invaliddata",
                name,
                format!("{name}: нужно целое неотрицательное число, а не «{s}»."),
            )
        }),
    };
    let limit = number(&raw.limit, "limit", DEFAULT_LIMIT)?;
    if limit == 0 || limit > MAX_LIMIT {
        return Err(QueryError::new(
            "invaliddata",
            "limit",
            format!("limit: от 1 до {MAX_LIMIT}."),
        ));
    }
    let offset = number(&raw.offset, "offset", 0)?;
    Ok(ListQuery {
        filter,
        sort,
        descending,
        fields,
        limit,
        offset,
    })
}

fn parse_filter(f: &str, known: &dyn Fn(&str) -> bool) -> Result<Filter, QueryError> {
    let bad = |m: String| QueryError::new("invalid_filter_field", "filter", m);
    if f.len() > MAX_FILTER {
        return Err(bad(format!("Фильтр длиннее {MAX_FILTER} символов.")));
    }
    let mut conditions = Vec::new();
    let mut logic: Option<&str> = None;
    let mut rest = f;
    loop {
        let (cond, after) = parse_condition(rest).map_err(|m| bad(m.to_string()))?;
        if !known(&cond.path.join(".")) {
            return Err(bad(format!(
                "Фильтр по неизвестному полю «{}».",
                cond.path.join(".")
            )));
        }
        conditions.push(cond);
        if conditions.len() > MAX_PREDICATES {
            return Err(bad(format!("В фильтре больше {MAX_PREDICATES} условий.")));
        }
        let after = after.trim_start();
        if after.is_empty() {
            break;
        }
        let (op, next) = if let Some(n) = after.strip_prefix("AND ") {
            ("AND", n)
        } else if let Some(n) = after.strip_prefix("OR ") {
            ("OR", n)
        } else {
            return Err(bad(format!(
                "После условия ожидается AND или OR: «{}».",
                after.chars().take(40).collect::<String>()
            )));
        };
        if logic.is_some_and(|l| l != op) {
            return Err(bad(
                "В одном фильтре — только AND или только OR.".to_string()
            ));
        }
        logic = Some(op);
        rest = next.trim_start();
    }
    Ok(match logic {
        Some("OR") => Filter::Any(conditions),
        _ => Filter::All(conditions),
    })
}

/// One `field<predicate>'value'`, and what follows it.
fn parse_condition(s: &str) -> Result<(Condition, &str), &'static str> {
    let s = s.trim_start();
    let end = s
        .find(['=', '!', '>', '<', '~'])
        .ok_or("Условие фильтра: поле, знак сравнения и значение в кавычках ('…').")?;
    let field = s[..end].trim();
    if field.is_empty()
        || !field
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
    {
        return Err("Условие фильтра начинается с имени поля.");
    }
    let ops = [
        ("!=", Predicate::Ne),
        (">=", Predicate::Ge),
        ("<=", Predicate::Le),
        ("=", Predicate::Eq),
        (">", Predicate::Gt),
        ("<", Predicate::Lt),
        ("~", Predicate::Contains),
    ];
    let rest = &s[end..];
    let (op, predicate) = ops
        .iter()
        .find(|(o, _)| rest.starts_with(o))
        .ok_or("Неизвестный знак сравнения в фильтре.")?;
    let rest = rest[op.len()..].trim_start();
    let rest = rest
        .strip_prefix('\'')
        .ok_or("Значение в фильтре берётся в одинарные кавычки ('…').")?;
    // The value ends at a quote not doubled (`''` is a quote inside it).
    let mut value = String::new();
    let mut chars = rest.char_indices().peekable();
    let close = loop {
        match chars.next() {
            None => return Err("Значение в фильтре не закрыто кавычкой."),
            Some((i, '\'')) => {
                if matches!(chars.peek(), Some((_, '\''))) {
                    chars.next();
                    value.push('\'');
                } else {
                    break i;
                }
            }
            Some((_, c)) => value.push(c),
        }
    };
    Ok((
        Condition {
            path: field.split('.').map(str::to_string).collect(),
            predicate: *predicate,
            value,
        },
        &rest[close + 1..],
    ))
}

/// The values at `path` (a list's items each count).
fn values_at<'a>(v: &'a Value, path: &[String], out: &mut Vec<&'a Value>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| values_at(i, path, out)),
        _ if path.is_empty() => out.push(v),
        Value::Object(m) => {
            if let Some(next) = m.get(&path[0]) {
                values_at(next, &path[1..], out)
            }
        }
        _ => {}
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn compare(a: &str, b: &str) -> Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => a.cmp(b),
    }
}

fn holds(obj: &Value, c: &Condition) -> bool {
    let mut found = Vec::new();
    values_at(obj, &c.path, &mut found);
    let texts: Vec<String> = found.into_iter().filter_map(text).collect();
    if c.predicate == Predicate::Ne {
        // No value equals: a missing field is «not equal» too.
        return texts.iter().all(|t| t != &c.value);
    }
    texts.iter().any(|t| match c.predicate {
        Predicate::Eq => t == &c.value,
        Predicate::Contains => t.to_lowercase().contains(&c.value.to_lowercase()),
        Predicate::Gt => compare(t, &c.value) == Ordering::Greater,
        Predicate::Ge => compare(t, &c.value) != Ordering::Less,
        Predicate::Lt => compare(t, &c.value) == Ordering::Less,
        Predicate::Le => compare(t, &c.value) != Ordering::Greater,
        Predicate::Ne => false,
    })
}

/// Filters, sorts, pages and selects: (the total that matched, the page).
pub fn apply<T: std::borrow::Borrow<Value>>(items: Vec<T>, q: &ListQuery) -> (usize, Vec<Value>) {
    let mut items: Vec<T> = match &q.filter {
        None => items,
        Some(Filter::All(cs)) => items
            .into_iter()
            .filter(|o| cs.iter().all(|c| holds(o.borrow(), c)))
            .collect(),
        Some(Filter::Any(cs)) => items
            .into_iter()
            .filter(|o| cs.iter().any(|c| holds(o.borrow(), c)))
            .collect(),
    };
    if let Some(path) = &q.sort {
        let key = |o: &Value| {
            let mut found = Vec::new();
            values_at(o, path, &mut found);
            found.first().and_then(|v| text(v)).unwrap_or_default()
        };
        let mut keyed: Vec<(String, T)> = items.into_iter().map(|o| (key(o.borrow()), o)).collect();
        keyed.sort_by(|a, b| compare(&a.0, &b.0));
        if q.descending {
            keyed.reverse();
        }
        items = keyed.into_iter().map(|(_, o)| o).collect();
    }
    let total = items.len();
    // Only the page is copied out.
    let page = items
        .into_iter()
        .skip(q.offset)
        .take(q.limit)
        .map(|o| select(o.borrow().clone(), q.fields.as_deref()))
        .collect();
    (total, page)
}

/// Only the asked fields of an object.
pub fn select(o: Value, fields: Option<&[String]>) -> Value {
    match (o, fields) {
        (Value::Object(m), Some(fields)) => {
            let mut out = Map::new();
            for (k, v) in m {
                if fields.iter().any(|f| f == &k) {
                    out.insert(k, v);
                }
            }
            Value::Object(out)
        }
        (o, _) => o,
    }
}

/// The `Link` header of a page: first, prev, next, last (RFC 8288), as the spec asks.
pub fn link_header(path: &str, raw_query: &str, total: usize, q: &ListQuery) -> String {
    let base: Vec<&str> = raw_query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("limit=") && !p.starts_with("offset="))
        .collect();
    let href = |offset: usize| {
        let mut parts = base.clone();
        let paging = format!("limit={}&offset={offset}", q.limit);
        parts.push(&paging);
        format!("<{path}?{}>", parts.join("&"))
    };
    let last = if total == 0 {
        0
    } else {
        (total - 1) / q.limit * q.limit
    };
    let mut links = vec![format!("{}; rel=\"first\"", href(0))];
    if q.offset > 0 {
        links.push(format!(
            "{}; rel=\"prev\"",
            href(q.offset.saturating_sub(q.limit))
        ));
    }
    if q.offset + q.limit < total {
        links.push(format!("{}; rel=\"next\"", href(q.offset + q.limit)));
    }
    links.push(format!("{}; rel=\"last\"", href(last)));
    links.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KNOWN: &[&str] = &[
        "sourcedId",
        "givenName",
        "familyName",
        "roles",
        "grades",
        "dateLastModified",
    ];

    fn q(filter: &str) -> Result<ListQuery, QueryError> {
        parse(
            &RawQuery {
                filter: Some(filter.into()),
                ..Default::default()
            },
            KNOWN,
        )
    }

    fn people() -> Vec<Value> {
        vec![
            json!({"sourcedId": "1", "givenName": "Анна", "familyName": "Иванова", "grades": ["05"], "roles": [{"role": "student"}], "dateLastModified": "2026-09-01T00:00:00.000Z"}),
            json!({"sourcedId": "2", "givenName": "Пётр", "familyName": "Смирнов", "grades": [], "roles": [{"role": "teacher"}, {"role": "parent"}], "dateLastModified": "2026-10-01T00:00:00.000Z"}),
            json!({"sourcedId": "10", "givenName": "Олег", "familyName": "Алексеев", "grades": ["06"], "roles": [{"role": "student"}], "dateLastModified": "2026-11-01T00:00:00.000Z"}),
        ]
    }

    fn ids(v: &[Value]) -> Vec<&str> {
        v.iter()
            .map(|o| o["sourcedId"].as_str().unwrap_or(""))
            .collect()
    }

    #[test]
    fn filters_by_the_spec_grammar() {
        let (n, page) = apply(people(), &q("roles.role='student'").unwrap());
        assert_eq!((n, ids(&page)), (2, vec!["1", "10"]));
        let (_, page) = apply(people(), &q("roles.role='parent' OR grades='06'").unwrap());
        assert_eq!(ids(&page), vec!["2", "10"]);
        let (_, page) = apply(
            people(),
            &q("roles.role='student' AND familyName~'ива'").unwrap(),
        );
        assert_eq!(ids(&page), vec!["1"]);
        let (_, page) = apply(people(), &q("dateLastModified>'2026-09-15'").unwrap());
        assert_eq!(ids(&page), vec!["2", "10"]);
        let (_, page) = apply(people(), &q("sourcedId>='2'").unwrap());
        assert_eq!(ids(&page), vec!["2", "10"], "numbers compare as numbers");
        let (_, page) = apply(people(), &q("familyName!='О''Нил'").unwrap());
        assert_eq!(page.len(), 3, "a doubled quote is a quote inside the value");
        assert_eq!(
            q("familyName='О''Нил'").unwrap().filter,
            Some(Filter::All(vec![Condition {
                path: vec!["familyName".into()],
                predicate: Predicate::Eq,
                value: "О'Нил".into()
            }]))
        );
        let (_, page) = apply(people(), &q("roles.role!='student'").unwrap());
        assert_eq!(ids(&page), vec!["2"]);
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        assert_eq!(
            q("password='x'").unwrap_err().code_minor,
            "invalid_filter_field"
        );
        assert_eq!(
            q("givenName=Анна").unwrap_err().code_minor,
            "invalid_filter_field"
        );
        assert!(q("givenName='a' AND familyName='b' OR sourcedId='1'").is_err());
        assert!(q("givenName='a' XOR familyName='b'").is_err());
        let e = parse(
            &RawQuery {
                fields: Some("sourcedId,secret".into()),
                ..Default::default()
            },
            KNOWN,
        )
        .unwrap_err();
        assert_eq!(
            (e.code_minor, e.parameter),
            ("invalid_selection_field", "fields")
        );
        let e = parse(
            &RawQuery {
                sort: Some("age".into()),
                ..Default::default()
            },
            KNOWN,
        )
        .unwrap_err();
        assert_eq!(e.code_minor, "invalid_sort_field");
        for bad in ["0", "1001", "-1", "x"] {
            let raw = RawQuery {
                limit: Some(bad.into()),
                ..Default::default()
            };
            assert_eq!(parse(&raw, KNOWN).unwrap_err().parameter, "limit", "{bad}");
        }
    }

    #[test]
    fn sorts_pages_and_selects() {
        let raw = RawQuery {
            sort: Some("familyName".into()),
            order_by: Some("desc".into()),
            fields: Some("sourcedId,familyName".into()),
            limit: Some("2".into()),
            offset: Some("1".into()),
            ..Default::default()
        };
        let query = parse(&raw, KNOWN).unwrap();
        let (n, page) = apply(people(), &query);
        assert_eq!(n, 3);
        assert_eq!(
            page,
            vec![
                json!({"sourcedId": "1", "familyName": "Иванова"}),
                json!({"sourcedId": "10", "familyName": "Алексеев"})
            ]
        );
        let link = link_header("/x/users", "sort=familyName&limit=2&offset=1", n, &query);
        assert!(
            link.contains("</x/users?sort=familyName&limit=2&offset=0>; rel=\"first\""),
            "{link}"
        );
        assert!(link.contains("offset=0>; rel=\"prev\""), "{link}");
        assert!(!link.contains("rel=\"next\""), "{link}");
        assert!(link.contains("offset=2>; rel=\"last\""), "{link}");
    }
}
