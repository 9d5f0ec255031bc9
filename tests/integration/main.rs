//! End-to-end tests of the `keysnare` binary.
mod cli;
mod tree;
mod util;
