//! What a file rule's globs say about single path components, for readers that meet
//! paths one name at a time (the history graph: a tree's entries, without their
//! directories' names). Each glob `…/P/B` gives a pattern for the base name `B` and, when
//! `P` is not `**`, one for the directory name `P` just above it. A path can match a glob
//! only if its base name matches `B` and, for globs with a `P`, its parent's name matches
//! `P`: a sound prefilter, checked by the full glob afterwards.
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// The base name may match a glob with no directory constraint.
pub const NAME_ANY: u8 = 1;
/// The base name may match a glob whose parent directory is named (`**/config/x.yml`).
pub const NAME_IN_DIR: u8 = 2;
/// The name may be the parent directory a glob names.
pub const PARENT: u8 = 4;

/// Base-name and parent-name patterns of a rule set's `files` globs.
#[derive(Clone, Debug)]
pub struct FileNames {
    any: GlobSet,
    in_dir: GlobSet,
    parent: GlobSet,
}

fn build(globs: &[String]) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        if let Ok(glob) = GlobBuilder::new(g).literal_separator(true).build() {
            b.add(glob);
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

impl FileNames {
    /// The patterns of `globs` (invalid ones are left out: the rule's own glob check
    /// reports them). A glob with braces keeps no directory constraint, and its base name
    /// only when the braces sit in the directories.
    pub fn new<'a>(globs: impl IntoIterator<Item = &'a str>) -> FileNames {
        let (mut any, mut in_dir, mut parent) = (Vec::new(), Vec::new(), Vec::new());
        for g in globs {
            let parts: Vec<&str> = g.split('/').collect();
            let base = parts.last().copied().unwrap_or_default();
            let base = if base.contains(['{', '}']) || base.is_empty() {
                "*".to_string()
            } else {
                base.to_string()
            };
            let dir = parts.len().checked_sub(2).map(|i| parts[i]);
            match dir {
                Some(d) if d != "**" && !g.contains(['{', '}']) && !d.is_empty() => {
                    in_dir.push(base);
                    parent.push(d.to_string());
                }
                _ => any.push(base),
            }
        }
        FileNames {
            any: build(&any),
            in_dir: build(&in_dir),
            parent: build(&parent),
        }
    }

    /// Which of [`NAME_ANY`], [`NAME_IN_DIR`] and [`PARENT`] the path component `name`
    /// may be.
    pub fn classify(&self, name: &[u8]) -> u8 {
        let name = String::from_utf8_lossy(name);
        let path = std::path::Path::new(&*name);
        let mut flags = 0;
        if self.any.is_match(path) {
            flags |= NAME_ANY;
        }
        if self.in_dir.is_match(path) {
            flags |= NAME_IN_DIR;
        }
        if self.parent.is_match(path) {
            flags |= PARENT;
        }
        flags
    }

    /// Whether no glob was given.
    pub fn is_empty(&self) -> bool {
        self.any.is_empty() && self.in_dir.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(globs: &[&str]) -> FileNames {
        FileNames::new(globs.iter().copied())
    }

    #[test]
    fn base_names_and_parents_are_told_apart() {
        let n = names(&["**/*.ppk", "**/config/database.yml", "**/.aws/credentials"]);
        assert_eq!(n.classify(b"id.ppk"), NAME_ANY);
        assert_eq!(n.classify(b"database.yml"), NAME_IN_DIR);
        assert_eq!(n.classify(b"credentials"), NAME_IN_DIR);
        assert_eq!(n.classify(b"config"), PARENT);
        assert_eq!(n.classify(b".aws"), PARENT);
        assert_eq!(n.classify(b"main.rs"), 0);
    }

    #[test]
    fn globstar_parents_and_braces_keep_no_directory_constraint() {
        let n = names(&["**/mysql/**/*.cnf", "**/{a,b}/x.yml"]);
        assert_eq!(n.classify(b"my.cnf"), NAME_ANY);
        assert_eq!(n.classify(b"x.yml"), NAME_ANY);
        assert_eq!(n.classify(b"mysql"), 0);
        let n = names(&["x/{c,d}.yml"]);
        assert_eq!(
            n.classify(b"anything"),
            NAME_ANY,
            "a brace base name matches all"
        );
        let n = names(&["master.key"]);
        assert_eq!(n.classify(b"master.key"), NAME_ANY);
        assert!(!n.is_empty());
        assert!(names(&[]).is_empty());
    }

    #[test]
    fn every_path_a_glob_matches_passes_the_prefilter() {
        let globs = [
            "**/config/database.yml",
            "**/*.ppk",
            "**/.mutt/*rc",
            "config/master.key",
            "**/settings/*.py",
        ];
        let n = names(&globs);
        let full = build(&globs.iter().map(|g| g.to_string()).collect::<Vec<_>>());
        for path in [
            "app/config/database.yml",
            "keys/server.ppk",
            "home/.mutt/muttrc",
            "config/master.key",
            "site/settings/prod.py",
        ] {
            assert!(full.is_match(path), "{path}");
            let parts: Vec<&str> = path.split('/').collect();
            let base = n.classify(parts[parts.len() - 1].as_bytes());
            let parent = parts
                .len()
                .checked_sub(2)
                .map_or(0, |i| n.classify(parts[i].as_bytes()));
            assert!(
                base & NAME_ANY != 0 || (base & NAME_IN_DIR != 0 && parent & PARENT != 0),
                "{path}"
            );
        }
    }
}
