//! Live reload: the messages `gen serve` sends to browsers over Server-Sent
//! Events, the script that receives them, and what is injected into pages.

use crate::error::Error;
use serde_json::json;

/// The browser side, served at `/__gen/live.js`.
pub const SCRIPT: &str = include_str!("live.js");

/// One Server-Sent Event: its name and its JSON data (one line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub event: &'static str,
    pub data: String,
}

impl Message {
    /// Sent first on every connection: the version served and the current errors.
    /// A page whose version differs reloads (it missed a rebuild).
    pub fn hello(version: &str, errors: &[Error], failed: bool) -> Message {
        Message { event: "hello", data: json!({ "version": version, "errors": errors_json(errors), "failed": failed }).to_string() }
    }

    /// The pages changed: reload. `errors` are the references the new
    /// output has broken (shown by the pages that do not reload).
    pub fn reload(version: &str, changed: &[String], errors: &[Error]) -> Message {
        Message { event: "reload", data: json!({ "version": version, "changed": changed, "errors": errors_json(errors) }).to_string() }
    }

    /// Only stylesheets changed: swap them without reloading.
    pub fn css(version: &str, changed: &[String], errors: &[Error]) -> Message {
        Message { event: "css", data: json!({ "version": version, "changed": changed, "errors": errors_json(errors) }).to_string() }
    }

    /// The errors changed without a new output: the latest build failed
    /// (`failed`; the last good pages stay), or the output's broken
    /// references changed, or (no errors) it was fixed.
    pub fn errors(version: &str, errors: &[Error], failed: bool) -> Message {
        Message { event: "errors", data: json!({ "version": version, "errors": errors_json(errors), "failed": failed }).to_string() }
    }
}

/// Errors as JSON for the overlay: location, message and the full text as
/// the terminal shows it (`path:line:col: error: message` plus excerpt).
pub fn errors_json(errors: &[Error]) -> serde_json::Value {
    errors
        .iter()
        .map(|e| {
            json!({
                "path": crate::error::display_path(&e.path),
                "line": e.line,
                "col": e.col,
                "message": e.message,
                "text": e.to_string(),
            })
        })
        .collect()
}

/// What goes before `</body>` of every served page: the current errors (as
/// JSON the script shows at once) and the script tagged with the version and,
/// for a file of the output, its path there (`posts/hello/index.html`): the
/// page then reloads only when a rebuild changed it or something it may show
/// (see `live.js`). Without a file (a 404, the error page) it reloads on
/// every rebuild.
pub fn snippet(version: &str, errors: &[Error], failed: bool, file: Option<&str>) -> String {
    let mut s = String::new();
    if !errors.is_empty() {
        // `<` is escaped so no text in an error can close the script element.
        let data = json!({ "errors": errors_json(errors), "failed": failed }).to_string().replace('<', "\\u003c");
        s.push_str(&format!("<script type=\"application/json\" id=\"__gen-errors\">{data}</script>"));
    }
    let file = file.map(|f| format!(" data-file=\"{}\"", crate::escape::html(f))).unwrap_or_default();
    s.push_str(&format!("<script src=\"/__gen/live.js\" data-version=\"{}\"{file}></script>", crate::escape::html(version)));
    s
}

/// The page served in place of the site while no build has succeeded yet.
pub fn error_page(version: &str, errors: &[Error]) -> String {
    let mut list = String::new();
    for e in errors {
        list.push_str(&format!("<pre>{}</pre>\n", crate::escape::html(&e.to_string())));
    }
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>gen: build failed</title>\
         <meta name=\"viewport\" content=\"width=device-width\"></head>\n<body>\n<h1>The site could not be built</h1>\n\
         <p>gen serve keeps watching; this page reloads when the build succeeds.</p>\n{list}{}</body>\n</html>\n",
        snippet(version, errors, true, None)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_carries_errors_safely() {
        let e = Error::new("content/posts/a.md", 3, 7, "bad </script><script>alert(1)</script>");
        let s = snippet("v1", &[e], true, None);
        assert_eq!(s.matches("</script>").count(), 2, "{s}");
        assert!(s.contains("\\u003c/script>"));
        assert!(s.contains("content/posts/a.md:3:7: error: bad"));
        assert!(s.ends_with("<script src=\"/__gen/live.js\" data-version=\"v1\"></script>"));
        assert_eq!(snippet("v2", &[], false, None), "<script src=\"/__gen/live.js\" data-version=\"v2\"></script>");
        assert_eq!(
            snippet("v3", &[], false, Some("posts/a&b/index.html")),
            "<script src=\"/__gen/live.js\" data-version=\"v3\" data-file=\"posts/a&amp;b/index.html\"></script>"
        );
    }

    #[test]
    fn messages_are_one_line_json() {
        let e = Error::new("a.md", 1, 2, "x").with_source("line one\n");
        let m = Message::errors("v", &[e], true);
        assert_eq!(m.event, "errors");
        assert!(!m.data.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&m.data).unwrap();
        assert_eq!(v["errors"][0]["path"], "a.md");
        assert_eq!(v["errors"][0]["line"], 1);
        assert!(v["errors"][0]["text"].as_str().unwrap().contains("1 | line one"));
        assert_eq!(v["failed"], true);
        assert_eq!(Message::reload("v", &["index.html".into()], &[]).data, r#"{"changed":["index.html"],"errors":[],"version":"v"}"#);
    }

    #[test]
    fn error_page_escapes() {
        let p = error_page("v", &[Error::file("config.yaml", "<b>")]);
        assert!(p.contains("<pre>config.yaml: error: &lt;b&gt;</pre>"));
        assert!(p.contains("/__gen/live.js"));
    }
}
