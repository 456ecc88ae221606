//! Every link leads somewhere the user may go: each demo role's pages are walked from
//! the start page, link by link, and any link that answers 4xx or 5xx to the role that
//! sees it fails the test.

use crate::harness::{spawn, Client};
use std::collections::{HashMap, HashSet, VecDeque};

/// The links (`href` of `<a>`) of a page that stay on the site.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<a ") {
        rest = &rest[i + 3..];
        let Some(end) = rest.find('>') else { break };
        let tag = &rest[..end];
        if let Some(h) = tag.find("href=\"") {
            let href = &tag[h + 6..];
            if let Some(q) = href.find('"') {
                let href = href[..q].replace("&amp;", "&");
                if href.starts_with('/') && !href.starts_with("//") {
                    out.push(href);
                }
            }
        }
    }
    out
}

/// A path with its ids replaced, so that one of a kind is walked a few times, not for
/// every person of a school.
fn shape(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    path.split('/')
        .map(|s| {
            if s.len() >= 32 && s.contains('-') {
                "{id}"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn walk(c: &Client, role: &str) -> Vec<String> {
    let mut failures = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut per_shape: HashMap<String, usize> = HashMap::new();
    let mut queue: VecDeque<(String, String)> =
        VecDeque::from([("/".to_string(), "—".to_string())]);
    let mut pages = 0;
    while let Some((path, from)) = queue.pop_front() {
        if !seen.insert(path.clone()) || pages >= 200 {
            continue;
        }
        // Not pages: the API's reference, files to download, display preferences.
        if path.starts_with("/api/") || path.starts_with("/prefs") || path.starts_with("/static/") {
            continue;
        }
        let n = per_shape.entry(shape(&path)).or_default();
        *n += 1;
        if *n > 3 {
            continue;
        }
        pages += 1;
        let res = c.get(&path).await;
        let status = res.status().as_u16();
        if status >= 400 {
            failures.push(format!("{role}: {path} → {status} (a link on {from})"));
            continue;
        }
        if status >= 300 {
            continue;
        }
        let is_html = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        if !is_html {
            continue;
        }
        let html = res.text().await.unwrap_or_default();
        for l in links(&html) {
            if !seen.contains(&l) {
                queue.push_back((l, path.clone()));
            }
        }
    }
    failures
}

#[tokio::test]
async fn every_link_of_every_role_leads_somewhere_it_may_go() {
    let app = spawn().await;
    let mut failures = Vec::new();
    for role in [
        "admin",
        "region",
        "municipality",
        "director",
        "teacher",
        "parent",
        "student",
    ] {
        let c = app.login(role).await;
        failures.extend(walk(&c, role).await);
    }
    assert!(
        failures.is_empty(),
        "links that lead nowhere the role may go:\n{}",
        failures.join("\n")
    );
}
