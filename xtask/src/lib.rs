//! Shared pieces of the build tooling: the static file server is used both by
//! `cargo xtask serve` and by the end-to-end tests, so it lives in this library.

pub mod server;
