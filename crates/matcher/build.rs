//! Indexes the context scorer's word list (`data/words.txt`: lower-case words, one a line,
//! in byte order) as static data: where each word starts. A look-up is then a binary
//! search with nothing built at run time (a hash set of the forty thousand words took
//! milliseconds, paid by the first scan that scored a word-like value).
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let path = manifest.join("data/words.txt");
    println!("cargo::rerun-if-changed={}", path.display());
    let text = fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read the word list {}: {e}", path.display()));
    let mut starts = Vec::new();
    let mut offset = 0;
    let mut previous: Option<&str> = None;
    for line in text.split_inclusive('\n') {
        let word = line.strip_suffix('\n').unwrap_or(line);
        if !word.is_empty() {
            // A binary search needs the byte order `LC_ALL=C sort -u` gives.
            if previous.is_some_and(|p| p >= word) {
                panic!("{} is not sorted in byte order at {word:?}", path.display());
            }
            previous = Some(word);
            starts.push((offset, word.len()));
        }
        offset += line.len();
    }
    let mut out = String::from("/// Where each word of `data/words.txt` starts, and its length.\n");
    writeln!(out, "static WORDS: [(u32, u8); {}] = [", starts.len()).unwrap();
    for (start, len) in starts {
        let len = u8::try_from(len).expect("a word of fewer than 256 bytes");
        writeln!(out, "({start}, {len}),").unwrap();
    }
    out.push_str("];\n");
    let dest = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo")).join("words.rs");
    fs::write(dest, out).expect("write the word index");
}
