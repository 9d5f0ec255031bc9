//! End-to-end tests of the `keysnare` binary.
mod cli;
mod git;
mod sarif;
mod tree;
mod util;
