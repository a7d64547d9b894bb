//! The twin's HTTP server below the routes: the accept loop, how many connections it holds,
//! how long it waits for a request's header and body and for a client to read its answer, how
//! big a body it reads, and how it stops.

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use http_body::{Body as _, Frame};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

/// Limits of the twin's HTTP server.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Connections served at once; beyond it, new ones wait in the system's accept queue.
    pub max_connections: usize,
    /// Time to receive a request's whole header, also the time an idle kept-alive connection
    /// is held open.
    pub header_read_timeout: Duration,
    /// Time to receive a request's whole body, counted from its header.
    pub body_read_timeout: Duration,
    /// Largest request body read.
    pub max_body_bytes: usize,
    /// Time an answer may wait for a client that reads nothing of it.
    pub write_stall_timeout: Duration,
    /// Time a stopping server gives open connections to finish their request.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            max_body_bytes: MAX_BODY_BYTES,
            write_stall_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// Default connection cap: well below the usual 1,024 file descriptors of a process.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;

/// 10 entries (EventBridge's PutEvents limit) of up to 256 KB each, with room for the JSON
/// escaping of their `Detail` strings.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Why a request body was not read to its end.
#[derive(Debug, thiserror::Error)]
enum BodyRefused {
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the request body did not arrive within {0:?}")]
    TimedOut(Duration),
}

/// What became of a request's body, seen by the middleware once the handler has answered.
#[derive(Default)]
struct BodyOutcome {
    too_large: AtomicBool,
    timed_out: AtomicBool,
}

/// A request body that ends in an error once it passes `limit` bytes or `deadline`.
struct GuardedBody {
    inner: Body,
    limit: usize,
    read: usize,
    deadline: Pin<Box<tokio::time::Sleep>>,
    timeout: Duration,
    outcome: Arc<BodyOutcome>,
}

impl http_body::Body for GuardedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            if let Some(Ok(f)) = &frame
                && let Some(data) = f.data_ref()
            {
                this.read += data.len();
                if this.read > this.limit {
                    this.outcome.too_large.store(true, Ordering::Relaxed);
                    return Poll::Ready(Some(Err(axum::Error::new(BodyRefused::TooLarge(
                        this.limit,
                    )))));
                }
            }
            return Poll::Ready(frame);
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            this.outcome.timed_out.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(axum::Error::new(BodyRefused::TimedOut(
                this.timeout,
            )))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Puts the body limits on every route of `app`: a body announced bigger than the limit is
/// refused (413) before any of it is read, one that grows past it while read likewise, and one
/// that has not arrived within the body timeout gets 408.
pub fn with_body_limits(app: Router, limits: &Limits) -> Router {
    app.layer(axum::middleware::from_fn_with_state(
        Arc::new(limits.clone()),
        limit_body,
    ))
    // The extractors' own limit, at the same size (a route may set a smaller one).
    .layer(DefaultBodyLimit::max(limits.max_body_bytes))
}

async fn limit_body(State(limits): State<Arc<Limits>>, req: Request, next: Next) -> Response {
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limits.max_body_bytes as u64) {
        return refused(BodyRefused::TooLarge(limits.max_body_bytes));
    }
    let (parts, body) = req.into_parts();
    if body.size_hint().exact() == Some(0) {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let outcome = Arc::new(BodyOutcome::default());
    let guarded = GuardedBody {
        inner: body,
        limit: limits.max_body_bytes,
        read: 0,
        deadline: Box::pin(tokio::time::sleep(limits.body_read_timeout)),
        timeout: limits.body_read_timeout,
        outcome: outcome.clone(),
    };
    let res = next
        .run(Request::from_parts(parts, Body::new(guarded)))
        .await;
    if outcome.too_large.load(Ordering::Relaxed) {
        refused(BodyRefused::TooLarge(limits.max_body_bytes))
    } else if outcome.timed_out.load(Ordering::Relaxed) {
        refused(BodyRefused::TimedOut(limits.body_read_timeout))
    } else {
        res
    }
}

/// 413 or 408, closing the connection (the rest of the body is not read).
fn refused(why: BodyRefused) -> Response {
    let status = match why {
        BodyRefused::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        BodyRefused::TimedOut(_) => StatusCode::REQUEST_TIMEOUT,
    };
    tracing::warn!(status = status.as_u16(), rule = %why, "request refused");
    (
        status,
        [(header::CONNECTION, "close")],
        Json(json!({"error": why.to_string()})),
    )
        .into_response()
}

/// A connection whose writes fail once one has made no progress for `timeout`: a client that
/// stopped reading its answers would otherwise hold its connection (and a slot) for ever.
struct WriteStallGuard {
    io: TcpStream,
    timeout: Duration,
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl WriteStallGuard {
    fn new(io: TcpStream, timeout: Duration) -> Self {
        Self {
            io,
            timeout,
            stalled: None,
        }
    }

    /// Passes on a write's outcome, timing how long it has been pending.
    fn watch<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if polled.is_ready() {
            self.stalled = None;
            return polled;
        }
        let timeout = self.timeout;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the client read nothing for {timeout:?}"),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for WriteStallGuard {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for WriteStallGuard {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        self.watch(cx, polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.io).poll_flush(cx);
        self.watch(cx, polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.io).poll_shutdown(cx);
        self.watch(cx, polled)
    }
}

/// Serves `app` on `listener` until `stop` turns true (or its sender is gone): at most
/// `limits.max_connections` connections at once (the next ones wait in the system's accept
/// queue), each closed when a request's header takes longer than `limits.header_read_timeout`
/// (an idle kept-alive connection too), or when a client reads nothing of an answer for
/// `limits.write_stall_timeout`. Once stopped, open connections finish their request (for up
/// to `limits.shutdown_grace`) and close.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &Limits,
    mut stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut http1 = hyper::server::conn::http1::Builder::new();
    http1
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            _ = stop.wait_for(|s| *s) => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was accepted.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.wait_for(|s| *s) => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let io = WriteStallGuard::new(stream, limits.write_stall_timeout);
        let conn = http1.serve_connection(TokioIo::new(io), service);
        let mut conn_stop = stop.clone();
        tokio::spawn(async move {
            let _slot = slot;
            tokio::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection ended");
                    }
                }
                _ = async { conn_stop.wait_for(|s| *s).await.is_ok() } => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    let all = u32::try_from(limits.max_connections.max(1)).unwrap_or(u32::MAX);
    let grace = limits.shutdown_grace;
    if tokio::time::timeout(grace, slots.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("connections still open after {grace:?}; closing them");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::post;
    use tower::ServiceExt;

    fn app(limits: &Limits) -> Router {
        let echo = Router::new().route(
            "/",
            post(|body: Bytes| async move { body.len().to_string() }),
        );
        with_body_limits(echo, limits)
    }

    async fn send(limits: &Limits, req: Request) -> (StatusCode, String) {
        let res = app(limits).oneshot(req).await.unwrap();
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&body).to_string())
    }

    fn small() -> Limits {
        Limits {
            max_body_bytes: 10,
            body_read_timeout: Duration::from_millis(50),
            ..Limits::default()
        }
    }

    #[tokio::test]
    async fn bodies_within_the_limit_reach_the_handler() {
        let req = Request::post("/").body(Body::from("0123456789")).unwrap();
        assert_eq!(send(&small(), req).await, (StatusCode::OK, "10".into()));
    }

    #[tokio::test]
    async fn a_body_announced_or_streamed_past_the_limit_is_413() {
        let announced = Request::post("/")
            .header(header::CONTENT_LENGTH, "11")
            .body(Body::from("01234567890"))
            .unwrap();
        let (status, answer) = send(&small(), announced).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(answer.contains("larger than 10 bytes"), "{answer}");
        let chunks = ["012345", "678901"].map(|c| Ok::<_, io::Error>(Bytes::from(c)));
        let streamed = Request::post("/")
            .body(Body::from_stream(futures::stream::iter(chunks)))
            .unwrap();
        assert_eq!(
            send(&small(), streamed).await.0,
            StatusCode::PAYLOAD_TOO_LARGE
        );
    }

    #[tokio::test]
    async fn a_body_that_does_not_arrive_in_time_is_408() {
        let first = futures::stream::iter([Ok::<_, io::Error>(Bytes::from("01"))]);
        let never = futures::StreamExt::chain(first, futures::stream::pending());
        let req = Request::post("/").body(Body::from_stream(never)).unwrap();
        let (status, answer) = send(&small(), req).await;
        assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
        assert!(answer.contains("did not arrive within"), "{answer}");
    }
}
