//! Shared pieces of the build tooling: the static file server is used both by
//! `cargo xtask serve` and by the end-to-end tests, and the download's size by the build and
//! the benchmark, so they live in this library.

pub mod server;
pub mod size;
