//! # sandbox-core
//!
//! The simulation of a Kafka 4.x (KRaft) cluster behind Kafka Sandbox.
//!
//! This crate does no IO: it never reads a clock, never draws from an OS random source and
//! never touches a browser API. Everything the UI shows comes out of it as plain,
//! serde-serializable view structs (see [`view`]).

pub mod assignor;
pub mod broker;
pub mod chunked;
pub mod client;
pub mod command;
pub mod config;
pub mod consumer;
pub mod controller;
pub mod coordinator;
pub mod coordinator_record;
pub mod describe;
pub mod error;
pub mod event;
pub mod example;
pub mod export;
pub mod invariants;
pub mod java;
pub mod kernel;
pub mod lesson;
pub mod link;
pub mod log;
pub mod metadata;
pub mod metrics;
pub mod parse;
pub mod partitioner;
pub mod placement;
pub mod producer;
pub mod producer_state;
pub mod protocol;
pub mod raft;
pub mod record;
pub mod record_view;
pub mod rng;
pub mod script;
pub mod sim;
pub mod sort;
pub mod sorted;
pub mod swarm;
pub mod timeline;
pub mod tools;
pub mod vectors;
pub mod view;
