//! The one crypto provider behind every TLS connection kpack makes (registries and
//! Kubernetes API servers): rustls with `ring`. It is installed as the process default
//! before any client is built, because reqwest (under oci-client) only uses an installed
//! provider. `ring` rather than aws-lc-rs keeps a large C library, its start-up
//! constructor and thousands of load-time relocations out of every kpack run.

/// Installs `ring` as rustls' process-wide provider; later calls do nothing.
pub fn install_crypto_provider() {
    // An error only means a provider is installed already, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
