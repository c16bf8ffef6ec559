//! The report as one self-contained HTML page: what support reads first, the key before the
//! lock, the attacker's activity, a timeline picture, the steps, what to ask support for, and
//! the journal's head.
//!
//! The page loads nothing (inline CSS, inline SVG, no scripts, fonts, images or links that
//! fetch), so it can be mailed, attached to a ticket and opened offline; it reads on a phone
//! (fluid width, tables that scroll sideways) and prints (`@media print`). It is rendered with
//! minijinja from `templates/report.html`, whose `.html` name turns on HTML escaping of every
//! value, the SVG's hover texts included; the picture's geometry comes from
//! [`super::html_chart`]. It shows the report's fields as they are: what is not filled says
//! "not known".

use minijinja::value::Serde;
use minijinja::{Environment, Value, context};

use super::Timeline;
use super::html_chart::Chart;

/// The page's template.
const TEMPLATE: &str = include_str!("templates/report.html");

/// Renders the timeline as an HTML page.
pub fn render(t: &Timeline) -> String {
    match try_render(t) {
        Ok(page) => page,
        // A template fault must not cost the run its report: a page that says so, and where the
        // other forms are (the error names no value of the run, so it holds no secret).
        Err(err) => format!(
            "<!doctype html>\n<meta charset=\"utf-8\"><title>report</title>\n<p>the HTML report could not be rendered ({}); read report.md or report.json in the run folder</p>\n",
            escape(&err.to_string())
        ),
    }
}

fn try_render(t: &Timeline) -> Result<String, minijinja::Error> {
    let mut env = Environment::new();
    env.add_filter("code", code);
    env.add_template("report.html", TEMPLATE)?;
    let chart = Chart::layout(&t.merged);
    let mut page = env.get_template("report.html")?.render(context! {
        t => Value::from(Serde(t)),
        chart => Value::from(Serde(&chart)),
    })?;
    page.push('\n');
    Ok(page)
}

/// `text` safe inside HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The `code` filter: a line written for Markdown (step ids in backticks) as HTML, escaped,
/// each backticked part in `<code>`; an unpaired backtick stays as it is.
fn code(text: &str) -> Value {
    let parts: Vec<&str> = text.split('`').collect();
    let mut html = String::new();
    for (i, part) in parts.iter().enumerate() {
        let inside = i % 2 == 1 && i + 1 < parts.len();
        match (inside, i % 2 == 1) {
            (true, _) => html.push_str(&format!("<code>{}</code>", escape(part))),
            (false, true) => html.push_str(&format!("`{}", escape(part))),
            (false, false) => html.push_str(&escape(part)),
        }
    }
    Value::from_safe_string(html)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::report::content::{Lane, Mark, MergedEvent, SupportSection};

    fn timeline() -> Timeline {
        let mut t = Timeline::default();
        t.run.exchange = "bybit".into();
        t.run.id = "r1".into();
        t.summary.venue = "bybit".into();
        t.summary.key_id = "E7OahdK9FTokYAvrMl".into();
        t.unauthorized = vec![json!({"order_id": "o1"})];
        t.merged = vec![
            MergedEvent {
                at: "2026-12-05T10:00:00.000Z".into(),
                lane: Lane::Attacker,
                mark: Mark::Order,
                what: "unauthorized order o1: <script>alert(1)</script>".into(),
            },
            MergedEvent {
                at: "2026-12-05T10:00:02.000Z".into(),
                lane: Lane::Exchange,
                mark: Mark::Containment,
                what: "key contained".into(),
            },
        ];
        t.journal.seq = 31;
        t.journal.hash = "7de34dd9".into();
        t
    }

    #[test]
    fn a_page_with_its_picture_and_nothing_that_loads() {
        let page = render(&timeline());
        assert!(page.starts_with("<!doctype html>"), "{page}");
        assert!(page.contains(r#"<meta name="viewport""#));
        assert!(page.contains("@media print"));
        assert_eq!(page.matches(r#"class="mark order attacker""#).count(), 1);
        assert_eq!(page.matches(r#"class="containment""#).count(), 1);
        assert!(page.contains("E7OahdK9FTokYAvrMl"), "the whole key id");
        assert!(page.contains("7de34dd9"));
        // What a run holds is text, never markup: the order line is escaped in the picture
        // and in the list.
        assert!(!page.contains("<script"), "{page}");
        assert_eq!(page.matches("&lt;script&gt;").count(), 2, "{page}");
        for loads in ["src=", "href=", "url(", "@import", "http://", "https://"] {
            assert!(!page.contains(loads), "`{loads}` in the page");
        }
    }

    #[test]
    fn backticks_become_code_and_the_rest_is_escaped() {
        let html = |s: &str| code(s).to_string();
        assert_eq!(html("`lock` ok"), "<code>lock</code> ok");
        assert_eq!(
            html("a <b> `c&d` `e"),
            "a &lt;b&gt; <code>c&amp;d</code> `e"
        );
        assert_eq!(html("`<x>`"), "<code>&lt;x&gt;</code>");
    }

    #[test]
    fn empty_fields_say_not_known() {
        let page = render(&Timeline::default());
        assert!(page.contains("not known"), "{page}");
        assert!(
            !page.contains("<svg class=\"timeline\""),
            "no picture without events"
        );
        let mut t = timeline();
        t.support = Some(SupportSection {
            venue: "bybit".into(),
            ticket: "Account security > API key compromised".into(),
            attach: vec!["report.html".into()],
            request: vec!["reversal review".into()],
        });
        let page = render(&t);
        assert!(
            page.contains("Account security &gt; API key compromised"),
            "{page}"
        );
        assert!(page.contains("reversal review"));
    }
}
