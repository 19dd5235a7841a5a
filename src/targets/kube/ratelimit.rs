//! Client-side rate limit of API requests: `--qps` and `--burst-limit`, the token bucket
//! helm and kubectl (client-go) put in front of their requests. Each request, retries
//! included, takes a token; the bucket holds at most `burst` tokens and refills at `qps`
//! per second. A request that finds it empty waits for its turn (requests are served in
//! the order they asked). Without `--qps` kpack sets no limit: the API server's priority
//! and fairness throttles, and kpack retries what it turns away ([`super::throttle`]).

use http::Request;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tower::{Layer, Service, ServiceExt};

/// `--qps` and `--burst-limit`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Requests per second, sustained (> 0).
    pub qps: f64,
    /// Requests that may go at once before `qps` applies (>= 1).
    pub burst: u32,
}

/// helm's `--burst-limit` default.
pub const DEFAULT_BURST: u32 = 100;

/// A token bucket that hands out reservations: a request takes a token now, even one the
/// bucket does not have yet, and is told how long to wait for it.
#[derive(Debug)]
pub struct Bucket {
    qps: f64,
    burst: f64,
    /// Tokens at `last` (negative: reserved ahead).
    tokens: f64,
    last: Instant,
}

impl Bucket {
    /// A full bucket at `now`.
    pub fn new(limit: RateLimit, now: Instant) -> Bucket {
        let burst = f64::from(limit.burst.max(1));
        Bucket {
            qps: limit.qps,
            burst,
            tokens: burst,
            last: now,
        }
    }

    /// Take one token at `now`: how long the request must wait before it is sent.
    pub fn reserve(&mut self, now: Instant) -> Duration {
        let now = now.max(self.last);
        let refill = now.duration_since(self.last).as_secs_f64() * self.qps;
        self.tokens = (self.tokens + refill).min(self.burst) - 1.0;
        self.last = now;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.qps)
        }
    }
}

/// The layer that puts a [`Bucket`] in front of a (cloneable) service.
#[derive(Clone)]
pub struct RateLimitLayer {
    bucket: Arc<Mutex<Bucket>>,
}

impl RateLimitLayer {
    pub fn new(limit: RateLimit) -> RateLimitLayer {
        RateLimitLayer {
            bucket: Arc::new(Mutex::new(Bucket::new(limit, Instant::now()))),
        }
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = Limited<S>;
    fn layer(&self, inner: S) -> Limited<S> {
        Limited {
            inner,
            bucket: self.bucket.clone(),
        }
    }
}

/// A service whose requests each wait for a token of the shared bucket.
#[derive(Clone)]
pub struct Limited<S> {
    inner: S,
    bucket: Arc<Mutex<Bucket>>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B> Service<Request<B>> for Limited<S>
where
    S: Service<Request<B>> + Clone + Send + 'static,
    S::Future: Send,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        // Readiness is the inner service's, checked on the clone each request uses.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let wait = self
            .bucket
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .reserve(Instant::now());
        let inner = self.inner.clone();
        Box::pin(async move {
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            inner.oneshot(req).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_bucket_lets_a_burst_through_then_spaces_requests_at_qps() {
        let t0 = Instant::now();
        let mut b = Bucket::new(RateLimit { qps: 2.0, burst: 3 }, t0);
        let waits: Vec<Duration> = (0..6).map(|_| b.reserve(t0)).collect();
        let ms: Vec<u128> = waits.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [0, 0, 0, 500, 1000, 1500]);
    }

    #[test]
    fn the_bucket_refills_at_qps_up_to_the_burst() {
        let t0 = Instant::now();
        let mut b = Bucket::new(
            RateLimit {
                qps: 10.0,
                burst: 2,
            },
            t0,
        );
        assert_eq!(b.reserve(t0), Duration::ZERO);
        assert_eq!(b.reserve(t0), Duration::ZERO);
        // 100 ms later one token is back.
        let t1 = t0 + Duration::from_millis(100);
        assert_eq!(b.reserve(t1), Duration::ZERO);
        assert_eq!(b.reserve(t1).as_millis(), 100);
        // A long pause refills no more than the burst.
        let t2 = t1 + Duration::from_secs(60);
        assert_eq!(b.reserve(t2), Duration::ZERO);
        assert_eq!(b.reserve(t2), Duration::ZERO);
        assert_eq!(b.reserve(t2).as_millis(), 100);
    }

    #[test]
    fn a_burst_below_one_is_one() {
        let t0 = Instant::now();
        let mut b = Bucket::new(RateLimit { qps: 4.0, burst: 0 }, t0);
        assert_eq!(b.reserve(t0), Duration::ZERO);
        assert_eq!(b.reserve(t0).as_millis(), 250);
    }
}
