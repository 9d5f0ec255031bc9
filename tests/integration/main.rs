//! End-to-end tests of the `keysnare` binary.
mod accuracy;
mod ci_files;
mod cli;
mod config;
mod fuzz;
mod git;
mod hostile;
mod import;
mod quality;
mod sarif;
mod security;
mod snapshot;
mod tree;
mod util;
mod workflow;
