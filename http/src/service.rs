//! What the server answers: a fixed text at `/`, and at `/echo` the body of
//! a POST, streamed back. The same on every runtime, byte for byte, so that
//! the bench compares runtimes and nothing else.

use std::convert::Infallible;

use http_body_util::{Either, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

/// The body of `GET /`.
pub const HELLO: &str = "Hello from hyper!\n";

/// A response's body: a text of ours, or the request's own body.
pub type Body = Either<Full<Bytes>, Incoming>;

// ANCHOR: respond
/// Answers one request. hyper calls it once per request, and polls the
/// future it returns as part of the connection's future.
pub async fn respond(request: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let response = match (request.method(), request.uri().path()) {
        (&Method::GET | &Method::HEAD, "/") => text(StatusCode::OK, HELLO),
        (&Method::POST, "/echo") => {
            // Streamed, not collected: hyper reads the body from the socket
            // as it writes it back, so any size echoes in constant memory.
            let content_type = request.headers().get(CONTENT_TYPE).cloned();
            let mut response = Response::new(Either::Right(request.into_body()));
            if let Some(content_type) = content_type {
                response.headers_mut().insert(CONTENT_TYPE, content_type);
            }
            response
        }
        (_, "/") => not_allowed("GET, HEAD"),
        (_, "/echo") => not_allowed("POST"),
        _ => text(
            StatusCode::NOT_FOUND,
            "Nothing here: try GET / or POST /echo.\n",
        ),
    };
    Ok(response)
}
// ANCHOR_END: respond

fn text(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut response = Response::new(Either::Left(Full::new(Bytes::from_static(text.as_bytes()))));
    *response.status_mut() = status;
    let plain = HeaderValue::from_static("text/plain; charset=utf-8");
    response.headers_mut().insert(CONTENT_TYPE, plain);
    response
}

fn not_allowed(allow: &'static str) -> Response<Body> {
    let mut response = text(
        StatusCode::METHOD_NOT_ALLOWED,
        "This path does not take that method: see the Allow header.\n",
    );
    let allow = HeaderValue::from_static(allow);
    response.headers_mut().insert(ALLOW, allow);
    response
}
