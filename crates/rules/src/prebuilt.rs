//! The embedded pack as the build script analysed it: rules built from static data, with
//! no TOML or regex parsing at start-up. Patterns and allowlists compile on first use. The
//! fields are those of [`crate::fields::rule_fields!`].
use crate::fields::*;
use crate::rule::{Origin, Rule};

macro_rules! prebuilt {
    ($($field:ident : $kind:ident => $($path:ident).+;)*) => {
        /// One rule of the embedded pack, as `rule::compile` made it at build time.
        #[derive(Debug)]
        pub(crate) struct Prebuilt {
            $(pub $field: <$kind as Field>::Static,)*
        }

        impl Prebuilt {
            /// The rule, defined in `file`, rule `pack_index` of the pack.
            pub fn rule(&self, file: &str, pack_index: usize) -> Rule {
                let mut r = Rule::blank(Origin {
                    file: file.to_string(),
                    line: 0,
                });
                r.pack_index = u32::try_from(pack_index).ok();
                $(r.$($path).+ = <$kind as Field>::owned(&self.$field);)*
                r
            }
        }
    };
}
rule_fields!(prebuilt);
