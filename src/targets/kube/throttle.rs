//! Retrying requests the API server turns away for load: `429 Too Many Requests` (its
//! `--max-requests-inflight` limits, or API Priority and Fairness) and `503`/`504`. Each
//! such request is sent again after the server's `Retry-After` (at most
//! [`MAX_RETRY_AFTER`]) or an exponential backoff with jitter, whichever is longer, at most
//! [`MAX_RETRIES`] times; then the last answer stands (an error naming the status). Only
//! requests whose body can be sent again are retried (every request kpack makes).
//!
//! This replaces kube-rs's default retry layer, whose delays grow to 1000 s and which
//! follows any `Retry-After`. Apply concurrency itself stays bounded by
//! [`crate::targets::ApplyOptions::concurrency`].

use http::{Request, Response, StatusCode};
use kube::client::Body;
use std::time::Duration;
use tower::retry::Policy;

/// Retries of one request at most.
pub const MAX_RETRIES: u32 = 8;
/// The longest `Retry-After` followed.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);
/// First backoff; doubles on each retry up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The retry policy (one per request: tower clones it for each).
#[derive(Clone, Debug, Default)]
pub struct Throttle {
    attempt: u32,
}

fn retryable(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT
    )
}

/// The delay before retry number `attempt` (0-based), given the server's `Retry-After`.
pub fn delay(attempt: u32, retry_after: Option<Duration>) -> Duration {
    let backoff = FIRST_BACKOFF
        .saturating_mul(1 << attempt.min(16))
        .min(MAX_BACKOFF);
    // Jitter (0–99 ms) so that many refused requests do not come back together.
    let jitter = Duration::from_millis(u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos()
            % 100,
    ));
    backoff.max(retry_after.unwrap_or_default().min(MAX_RETRY_AFTER)) + jitter
}

fn retry_after<B>(res: &Response<B>) -> Option<Duration> {
    let v = res
        .headers()
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

impl<B, E> Policy<Request<Body>, Response<B>, E> for Throttle {
    type Future = tokio::time::Sleep;

    fn retry(
        &mut self,
        _req: &mut Request<Body>,
        result: &mut Result<Response<B>, E>,
    ) -> Option<Self::Future> {
        let res = result.as_ref().ok()?;
        if !retryable(res.status()) || self.attempt >= MAX_RETRIES {
            return None;
        }
        let wait = delay(self.attempt, retry_after(res));
        self.attempt += 1;
        Some(tokio::time::sleep(wait))
    }

    fn clone_request(&mut self, req: &Request<Body>) -> Option<Request<Body>> {
        let body = req.body().try_clone()?;
        let mut copy = Request::new(body);
        *copy.method_mut() = req.method().clone();
        *copy.uri_mut() = req.uri().clone();
        *copy.version_mut() = req.version();
        *copy.headers_mut() = req.headers().clone();
        *copy.extensions_mut() = req.extensions().clone();
        Some(copy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_follow_retry_after_within_bounds() {
        let ms = |d: Duration| d.as_millis() / 100 * 100; // without the jitter
        assert_eq!(ms(delay(0, None)), 100);
        assert_eq!(ms(delay(3, None)), 800);
        assert_eq!(ms(delay(10, None)), 5000);
        assert_eq!(ms(delay(0, Some(Duration::from_secs(1)))), 1000);
        assert_eq!(ms(delay(0, Some(Duration::from_secs(3600)))), 10_000);
        assert!(delay(2, None) < Duration::from_millis(500));
    }

    #[tokio::test]
    async fn only_load_statuses_are_retried_and_only_so_often() {
        let mut p = Throttle::default();
        let mut req = Request::new(Body::from(b"{}".to_vec()));
        let answer = |s: u16| -> Result<Response<()>, ()> {
            Ok(Response::builder()
                .status(s)
                .header("Retry-After", "0")
                .body(())
                .unwrap())
        };
        assert!(p.retry(&mut req, &mut answer(409)).is_none());
        assert!(p.retry(&mut req, &mut answer(200)).is_none());
        for _ in 0..MAX_RETRIES {
            assert!(p.retry(&mut req, &mut answer(429)).is_some());
        }
        assert!(p.retry(&mut req, &mut answer(429)).is_none());
        let copy = Policy::<_, Response<()>, ()>::clone_request(&mut p, &req).unwrap();
        assert_eq!(copy.uri(), req.uri());
    }
}
