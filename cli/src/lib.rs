//! # coopnets-cli
//!
//! The `coopnets` binary and the run machinery behind it (also used by `cargo xtask
//! experiment`), the same for every model: configuration ([`config`], [`presets`]), data
//! loading ([`data`]), building a model's learner ([`build`]), the one training loop with
//! checkpoints and resume ([`train`], [`checkpoint`]), the end-of-run files ([`finish`],
//! [`metrics`], [`plot`], [`report`]), sampling from a checkpoint ([`sample`]) and the run
//! folder's layout ([`run_dir`]).

pub mod build;
pub mod checkpoint;
pub mod config;
pub mod data;
pub mod experiments;
pub mod finish;
pub mod media;
pub mod metrics;
pub mod parzen;
pub mod plot;
pub mod presets;
pub mod report;
pub mod run_dir;
pub mod sample;
pub mod spectrum;
pub mod stats;
pub mod texture_stats;
pub mod train;
pub mod validate;

pub use config::RunConfig;
