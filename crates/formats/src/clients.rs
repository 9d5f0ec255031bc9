//! Saved sessions and settings of desktop and editor clients: FileZilla, DBeaver, WinSCP,
//! JetBrains IDEs, editor SFTP plugins, mail clients, PuTTY keys...

use crate::Found;

/// The parsers of this module, by name.
pub(crate) const PARSERS: &[(&str, fn(&[u8], &mut Vec<Found>))] = &[];
