//! What the HTTP scenarios share: hyper-util's client on its own
//! `HttpConnector` (the production client: it resolves host names with
//! `getaddrinfo`, which the simulation answers, and dials with
//! `tokio::net`), and requests with a deadline that return the status and
//! the body as text.
//!
//! Every request has a deadline because a host that crashed is silent: a
//! request to it (on a pooled connection, say) would otherwise wait for
//! TCP to give up, minutes later.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// The HTTP client of the scenarios.
pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// How long a request may take, connecting included.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(2);

/// A client whose connections time out after [`REQUEST_DEADLINE`].
pub fn client() -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(REQUEST_DEADLINE));
    Client::builder(TokioExecutor::new()).build(connector)
}

/// Sends `method uri` with `body`; the status and the body as text, or
/// what went wrong (including running past [`REQUEST_DEADLINE`]).
pub async fn request(
    client: &HttpClient,
    method: Method,
    uri: &str,
    body: String,
) -> Result<(StatusCode, String), String> {
    let request = Request::builder()
        .method(method.clone())
        .uri(uri)
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| format!("{method} {uri}: bad request: {e}"))?;
    let exchange = async {
        let response = client.request(request).await.map_err(|e| chain(&e))?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| chain(&e))?
            .to_bytes();
        Ok::<_, String>((status, String::from_utf8_lossy(&bytes).into_owned()))
    };
    match tokio::time::timeout(REQUEST_DEADLINE, exchange).await {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(e)) => Err(format!("{method} {uri}: {e}")),
        Err(_) => Err(format!(
            "{method} {uri}: no answer within {REQUEST_DEADLINE:?}"
        )),
    }
}

/// `GET uri`.
pub async fn get(client: &HttpClient, uri: &str) -> Result<(StatusCode, String), String> {
    request(client, Method::GET, uri, String::new()).await
}

/// An error with its causes: hyper-util's errors say only "client error
/// (Connect)" at the top and keep the cause (refused, timed out) below.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}
