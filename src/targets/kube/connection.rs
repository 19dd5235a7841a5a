//! The HTTP stack under the kube-rs [`Client`]: the one kube-rs builds for a [`Config`]
//! (rustls TLS, connect/read/write timeouts, base URI, authentication, extra headers), but
//! with `TCP_NODELAY` on its connections, then kpack's request buffer, the `--qps` rate
//! limit when given ([`super::ratelimit`]) and its 429/503/504 retry ([`super::throttle`]).
//!
//! kube-rs leaves Nagle's algorithm on (`TCP_NODELAY` 0): a request written on a
//! connection whose previous segment is not acknowledged yet waits for the server's delayed
//! ACK, ~40 ms. The cluster benchmark showed such stalls on discovery and LIST requests of
//! a no-change upgrade and an uninstall.
//!
//! A configuration through a proxy keeps kube-rs's own builder (and its answer).

use super::ratelimit::{RateLimit, RateLimitLayer};
use super::throttle::Throttle;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use kube::client::{ClientBuilder, ConfigExt};
use kube::{Client, Config};
use tower::ServiceBuilder;
use tower::buffer::BufferLayer;
use tower::retry::RetryLayer;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// kpack's layers over a kube-rs client builder (each retry takes a token of the rate
/// limit too, as in client-go).
macro_rules! finish {
    ($builder:expr, $rate:expr) => {
        $builder
            .with_layer(&BufferLayer::new(1024))
            .with_layer(&tower::util::option_layer($rate.map(RateLimitLayer::new)))
            .with_layer(&RetryLayer::new(Throttle::default()))
            .build()
    };
}

/// A client for `config`, its requests limited to `rate` if given. Must be called inside a
/// Tokio runtime context.
pub fn client(config: Config, rate: Option<RateLimit>) -> kube::Result<Client> {
    if config.proxy_url.is_some() {
        return Ok(finish!(ClientBuilder::try_from(config)?, rate));
    }
    let mut connector = HttpConnector::new();
    connector.enforce_http(false);
    connector.set_nodelay(true);
    let connector = config.rustls_https_connector_with_connector(connector)?;
    let mut connector = hyper_timeout::TimeoutConnector::new(connector);
    connector.set_connect_timeout(config.connect_timeout);
    connector.set_read_timeout(config.read_timeout);
    connector.set_write_timeout(config.write_timeout);
    connector.set_reset_reader_on_write(config.reset_reader_on_write);
    let http: hyper_util::client::legacy::Client<_, kube::client::Body> =
        hyper_util::client::legacy::Builder::new(TokioExecutor::new()).build(connector);
    let service = ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.auth_layer()?)
        .layer(config.extra_headers_layer()?)
        .map_err(BoxError::from)
        .service(http);
    Ok(finish!(
        ClientBuilder::new(service, config.default_namespace.clone()),
        rate
    ))
}
