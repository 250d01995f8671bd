//! # coopnets-cli
//!
//! The `coopnets` binary and the run machinery behind it (also used by `cargo xtask
//! experiment`): configuration ([`config`]), data loading ([`data`]), the training loop
//! with checkpoints and resume ([`train`]), sampling from a checkpoint ([`sample`]), and the
//! run folder's files ([`run_dir`], [`plot`], [`report`]).

pub mod config;
pub mod data;
pub mod plot;
pub mod report;
pub mod run_dir;
pub mod sample;
pub mod train;

pub use config::RunConfig;
