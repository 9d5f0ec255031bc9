//! The fields of an analysed [`Rule`] that the embedded pack carries as static data, listed
//! once ([`rule_fields!`]). From that list come the static form (`prebuilt::Prebuilt`), the
//! build script's writer of it, and the conversion back into a `Rule`; the test suite checks
//! that a rule rebuilt from it equals the rule the loader made, so a field left out of the
//! list fails the tests. The encoded fragments of the keywords are not among them: the
//! pack's keyword index holds them (`crate::index`), once for the whole pack.
use keysnare_types::{ChecksumKind, Confidence, Severity};

/// How one kind of field is held as static data, written as Rust source, and made owned.
pub(crate) trait Field {
    /// The type in [`crate::rule::Rule`].
    type Owned;
    /// The type in the static data.
    type Static: 'static;
    /// Writes the Rust source of the static value of `v`.
    fn emit(v: &Self::Owned, out: &mut String);
    /// The owned value of the static one.
    fn owned(v: &Self::Static) -> Self::Owned;
}

pub(crate) struct Str;
impl Field for Str {
    type Owned = String;
    type Static = &'static str;
    fn emit(v: &String, out: &mut String) {
        out.push_str(&format!("{v:?}"));
    }
    fn owned(v: &&'static str) -> String {
        (*v).to_string()
    }
}

pub(crate) struct Strs;
impl Field for Strs {
    type Owned = Vec<String>;
    type Static = &'static [&'static str];
    fn emit(v: &Vec<String>, out: &mut String) {
        out.push_str("&[");
        for s in v {
            out.push_str(&format!("{s:?}, "));
        }
        out.push(']');
    }
    fn owned(v: &&'static [&'static str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_string()).collect()
    }
}

pub(crate) struct ByteStrs;
impl Field for ByteStrs {
    type Owned = Vec<Vec<u8>>;
    type Static = &'static [&'static [u8]];
    fn emit(v: &Vec<Vec<u8>>, out: &mut String) {
        out.push_str("&[");
        for b in v {
            out.push_str(&format!("&{b:?}, "));
        }
        out.push(']');
    }
    fn owned(v: &&'static [&'static [u8]]) -> Vec<Vec<u8>> {
        v.iter().map(|b| b.to_vec()).collect()
    }
}

pub(crate) struct Usizes;
impl Field for Usizes {
    type Owned = Vec<usize>;
    type Static = &'static [usize];
    fn emit(v: &Vec<usize>, out: &mut String) {
        out.push_str(&format!("&{v:?}"));
    }
    fn owned(v: &&'static [usize]) -> Vec<usize> {
        v.to_vec()
    }
}

pub(crate) struct ParserName;
impl Field for ParserName {
    type Owned = Option<keysnare_formats::Parser>;
    type Static = Option<&'static str>;
    fn emit(v: &Option<keysnare_formats::Parser>, out: &mut String) {
        out.push_str(&format!("{:?}", v.map(|p| p.name())));
    }
    fn owned(v: &Option<&'static str>) -> Option<keysnare_formats::Parser> {
        // The build script loaded the rule, so the name is known.
        v.and_then(keysnare_formats::parser)
    }
}

/// A `Copy` value whose `Debug` form is its Rust source (numbers, booleans, options of
/// them), or, with a path, an enum variant written under that path.
macro_rules! copy_field {
    ($name:ident, $t:ty) => {
        pub(crate) struct $name;
        impl Field for $name {
            type Owned = $t;
            type Static = $t;
            fn emit(v: &$t, out: &mut String) {
                out.push_str(&format!("{v:?}"));
            }
            fn owned(v: &$t) -> $t {
                *v
            }
        }
    };
    ($name:ident, $t:ty, $path:literal) => {
        pub(crate) struct $name;
        impl Field for $name {
            type Owned = $t;
            type Static = $t;
            fn emit(v: &$t, out: &mut String) {
                out.push_str(&format!(concat!($path, "::{:?}"), v));
            }
            fn owned(v: &$t) -> $t {
                *v
            }
        }
    };
}

copy_field!(Bool, bool);
copy_field!(Usize, usize);
copy_field!(OptUsize, Option<usize>);
copy_field!(F32, f32);
copy_field!(SeverityField, Severity, "keysnare_types::Severity");
copy_field!(ConfidenceField, Confidence, "keysnare_types::Confidence");

pub(crate) struct OptConfidence;
impl Field for OptConfidence {
    type Owned = Option<Confidence>;
    type Static = Option<Confidence>;
    fn emit(v: &Option<Confidence>, out: &mut String) {
        match v {
            Some(c) => out.push_str(&format!("Some(keysnare_types::Confidence::{c:?})")),
            None => out.push_str("None"),
        }
    }
    fn owned(v: &Option<Confidence>) -> Option<Confidence> {
        *v
    }
}

pub(crate) struct OptChecksum;
impl Field for OptChecksum {
    type Owned = Option<ChecksumKind>;
    type Static = Option<ChecksumKind>;
    fn emit(v: &Option<ChecksumKind>, out: &mut String) {
        match v {
            Some(c) => out.push_str(&format!("Some(keysnare_types::ChecksumKind::{c:?})")),
            None => out.push_str("None"),
        }
    }
    fn owned(v: &Option<ChecksumKind>) -> Option<ChecksumKind> {
        *v
    }
}

/// Calls `$m!` with every field of the static data: `name: Kind => path in Rule`.
macro_rules! rule_fields {
    ($m:ident) => {
        $m! {
            id: Str => id;
            name: Str => name;
            provider: Str => provider;
            description: Str => description;
            pattern: Str => pattern;
            parser: ParserName => parser;
            scored: Bool => scored;
            key_group: OptUsize => key_group;
            keywords: ByteStrs => keywords;
            keywords_derived: Bool => keywords_derived;
            keyword_forms: ByteStrs => keyword_forms;
            min_entropy: F32 => min_entropy;
            severity: SeverityField => severity;
            confidence: ConfidenceField => confidence;
            references: Strs => references;
            remediation: Str => remediation;
            tags: Strs => tags;
            checksum: OptChecksum => checksum;
            strong_value_confidence: OptConfidence => strong_value_confidence;
            files: Strs => files;
            examples: Strs => examples;
            negative_examples: Strs => negative_examples;
            line: Usize => origin.line;
            secret_groups: Usizes => secret_groups;
            max_len: Usize => max_len;
            single_line: Bool => single_line;
            allow_regexes: Strs => allow.regexes;
            allow_matches: Strs => allow.matches;
            allow_stopwords: ByteStrs => allow.stopwords;
            allow_paths: Strs => allow.paths;
            lower: Strs => allow.lower;
            lower_reason: Str => allow.lower_reason;
        }
    };
}
#[allow(unused_imports)] // The build script uses the macro by its textual scope.
pub(crate) use rule_fields;

/// The Rust source of one `Prebuilt` value holding `r`'s fields.
macro_rules! emit_prebuilt {
    ($($field:ident : $kind:ident => $($path:ident).+;)*) => {
        // Used by the build script, which compiles this module too.
        #[allow(dead_code)]
        pub(crate) fn emit_prebuilt(r: &crate::rule::Rule, out: &mut String) {
            out.push_str("crate::prebuilt::Prebuilt { ");
            $(
                out.push_str(concat!(stringify!($field), ": "));
                <$kind as Field>::emit(&r.$($path).+, out);
                out.push_str(", ");
            )*
            out.push('}');
        }
    };
}
rule_fields!(emit_prebuilt);
