//! Components, one file each. Each renders view structs from `sandbox-core`.

pub mod actions;
pub mod cluster;
pub mod config_panel;
pub mod console;
pub mod controls;
pub mod event_log;
pub mod form;
pub mod groups;
pub mod lesson;
pub mod metrics;
pub mod network;
pub mod partition_detail;
pub mod producers;
pub mod share;
