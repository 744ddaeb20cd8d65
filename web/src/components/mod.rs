//! Components, one file each. Each renders view structs from `sandbox-core`.

pub mod cluster;
pub mod partition_detail;
