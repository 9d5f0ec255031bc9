//! The fixture tree: secrets of many kinds in many file types.
