//! The HTTP side of `gen serve` (axum): pages from the built output with the
//! live-reload script added, the event stream, and the current errors.

use super::http::{self, Resolved};
use super::reload::{self, Message};
use super::{Shared, Snapshot};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::Stream;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Every route of the live preview. The `/__gen/` paths belong to gen; all
/// others are the site's.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/__gen/live.js", get(live_js))
        .route("/__gen/events", get(events))
        .route("/__gen/errors", get(errors))
        .fallback(site)
        .with_state(shared)
}

async fn live_js() -> Response {
    respond(StatusCode::OK, "text/javascript; charset=utf-8", reload::SCRIPT)
}

/// The current errors as JSON (an empty list when the latest build succeeded).
async fn errors(State(shared): State<Arc<Shared>>) -> Response {
    let snap = shared.snapshot();
    let body = serde_json::json!({ "version": snap.version, "errors": reload::errors_json(&snap.errors), "failed": snap.failed }).to_string();
    respond(StatusCode::OK, "application/json; charset=utf-8", body)
}

/// Server-Sent Events: `hello` at once, then `reload`, `css` and `errors`
/// as builds finish. The stream ends when the server stops.
async fn events(State(shared): State<Arc<Shared>>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = shared.subscribe();
    let stop = shared.stopping();
    let first = hello(&shared);
    let stream = futures_util::stream::unfold((Some(first), rx, stop, shared), |(first, mut rx, mut stop, shared)| async move {
        if let Some(m) = first {
            return Some((Ok(to_event(&m)), (None, rx, stop, shared)));
        }
        if *stop.borrow() {
            return None;
        }
        let message = tokio::select! {
            received = rx.recv() => match received {
                Ok(m) => m,
                // Missed messages: say where things stand; the page reloads if it is behind.
                Err(RecvError::Lagged(_)) => hello(&shared),
                Err(RecvError::Closed) => return None,
            },
            _ = stop.changed() => return None,
        };
        Some((Ok(to_event(&message)), (None, rx, stop, shared)))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

fn hello(shared: &Shared) -> Message {
    let snap = shared.snapshot();
    Message::hello(&snap.version, &snap.errors, snap.failed)
}

fn to_event(m: &Message) -> Event {
    Event::default().event(m.event).data(&m.data)
}

/// A file of the site, a redirect, or the site's 404 page.
async fn site(State(shared): State<Arc<Shared>>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        let mut r = respond(StatusCode::METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", "405 Method Not Allowed\n");
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let snap = shared.snapshot();
    if !snap.built {
        let page = reload::error_page(&snap.version, &snap.errors);
        return respond(StatusCode::INTERNAL_SERVER_ERROR, "text/html; charset=utf-8", page);
    }
    match http::resolve(&snap.output, &snap.base_path, uri.path(), uri.query()) {
        Resolved::File(key) => file(StatusCode::OK, &key, &snap),
        Resolved::Redirect { location, permanent } => {
            let status = if permanent { StatusCode::MOVED_PERMANENTLY } else { StatusCode::TEMPORARY_REDIRECT };
            let mut r = respond(status, "text/plain; charset=utf-8", format!("See {location}\n"));
            if let Ok(v) = HeaderValue::from_str(&location) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        Resolved::NotFound => match not_found_page(&snap, uri.path()) {
            Some(key) => file(StatusCode::NOT_FOUND, &key, &snap),
            None => respond(StatusCode::NOT_FOUND, "text/plain; charset=utf-8", "404 Not Found\n"),
        },
        Resolved::BadRequest => respond(StatusCode::BAD_REQUEST, "text/plain; charset=utf-8", "400 Bad Request\n"),
    }
}

/// The 404 page for a missing `path`: that of the language whose folder the
/// path is in (`/en/…` → `en/404.html`), else the site's `404.html`.
fn not_found_page(snap: &Snapshot, path: &str) -> Option<String> {
    let rest = path.strip_prefix(snap.base_path.as_str()).unwrap_or(path).trim_start_matches('/');
    let folder = rest.split('/').next().filter(|s| !s.is_empty() && rest.len() > s.len()).map(|s| format!("{s}/404.html"));
    folder.into_iter().chain(["404.html".to_string()]).find(|k| snap.output.files.contains_key(k))
}

fn file(status: StatusCode, key: &str, snap: &Snapshot) -> Response {
    let Some(bytes) = snap.output.read(key) else {
        return respond(StatusCode::NOT_FOUND, "text/plain; charset=utf-8", "404 Not Found\n");
    };
    // A page served for another path (a 404) waits for that path, not for its own file.
    let shown = (status == StatusCode::OK).then_some(key);
    let body = if http::is_html(key) { http::inject(&bytes, &reload::snippet(&snap.version, &snap.errors, snap.failed, shown)) } else { bytes };
    respond(status, http::content_type(key), body)
}

/// A response that browsers do not cache (the preview changes under them).
fn respond(status: StatusCode, content_type: &'static str, body: impl Into<Body>) -> Response {
    let mut r = (status, body.into()).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}
