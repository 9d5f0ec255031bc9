//! End-to-end tests of the `keysnare` binary.
mod cli;
mod git;
mod tree;
mod util;
