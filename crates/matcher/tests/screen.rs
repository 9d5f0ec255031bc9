//! Nothing a clean input does not need: until a window of a rule can hold a match (its
//! screen says so), the rule's regex is not built.
use std::sync::Arc;

use keysnare_matcher::Matcher;
use keysnare_rules::RuleSet;

/// Source code with many keywords of the generic rules (`key`, `token`, `password`...)
/// and nothing any rule's regex matches.
const CLEAN: &str = r#"
# Rotates the signing key: the token store forgets the old key, and the password
# policy of the secret manager is left as it is.
def rotate_signing_key(store)
  store.revoke(current_key_id)
  store.audit("key rotated; token cache cleared")
end
"#;

#[test]
fn a_clean_input_builds_no_regex() {
    let rules = Arc::new(RuleSet::default_pack().unwrap());
    let mut m = Matcher::new(Arc::clone(&rules));
    m.set_path(Some(b"app/models/key_rotation.rb"));
    let mut found = Vec::new();
    m.scan(CLEAN.as_bytes(), &mut found);
    assert_eq!(found, Vec::new());
    // Keywords were met and windows searched, by screens alone.
    assert!(m.regex_work().windows >= 10, "{:?}", m.regex_work());
    let built: Vec<&str> = rules
        .rules()
        .iter()
        .filter(|r| r.compiled_regex().is_some())
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(built, Vec::<&str>::new());
}

#[test]
fn a_window_that_can_match_builds_its_rule_regex() {
    let rules = Arc::new(RuleSet::default_pack().unwrap());
    let ri = rules.position("github.pat.classic").unwrap();
    let example = rules.rule(ri).examples[0].clone();
    let mut m = Matcher::new(Arc::clone(&rules));
    let mut found = Vec::new();
    m.scan(format!("{CLEAN}\n{example}\n").as_bytes(), &mut found);
    assert!(found.iter().any(|f| f.rule == ri), "{found:?}");
    assert!(rules.rule(ri).compiled_regex().is_some());
    // Other rules whose windows could not match still have no regex.
    assert!(
        rules
            .rules()
            .iter()
            .filter(|r| r.compiled_regex().is_some())
            .count()
            < 5
    );
}
