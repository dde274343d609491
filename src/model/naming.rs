//! Names derived from a model type: `PostComment` → model name `PostComment`, table
//! `post_comments` (the TS `toTableName`: snake_case, then a plural of the last word).
//!
//! Pluralization covers the regular English rules (`-y` → `-ies`, `-s/-x/-z/-ch/-sh` →
//! `-es`, otherwise `-s`); irregular nouns (`person`) need an explicit `TABLE`, as in the
//! original. Results are cached per type, so a name is computed once per process.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::RwLock;

use once_cell::sync::Lazy;

/// The last path segment of a type name, without generics: `app::models::Post` → `Post`.
pub fn short_type_name(full: &'static str) -> &'static str {
    // Char patterns (a byte scan), not `"::"` (a substring searcher set up per call):
    // this runs on every query. Before the generics a path has colons only in `::`.
    let base = match full.find('<') {
        Some(i) => &full[..i],
        None => full,
    };
    base.rsplit(':').next().unwrap_or(base)
}

/// `PostComment` → `post_comment`, `HTTPLog` → `http_log`.
pub fn to_snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_uppercase();
            if i > 0 && (prev_lower || (prev_upper && next_lower)) && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The plural of an English noun, by the regular rules.
pub fn pluralize(word: &str) -> String {
    let lower = word.to_ascii_lowercase();
    let vowel_before_y = lower
        .chars()
        .rev()
        .nth(1)
        .is_some_and(|c| "aeiou".contains(c));
    if lower.ends_with('y') && !vowel_before_y && word.len() > 1 {
        format!("{}ies", &word[..word.len() - 1])
    } else if ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|s| lower.ends_with(s))
    {
        format!("{word}es")
    } else {
        format!("{word}s")
    }
}

/// The singular of a table-name word, inverting [`pluralize`] (used for pivot names).
pub fn singularize(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies") {
        format!("{stem}y")
    } else if ["ses", "xes", "zes", "ches", "shes"]
        .iter()
        .any(|s| word.ends_with(s))
    {
        word[..word.len() - 2].to_string()
    } else if let Some(stem) = word.strip_suffix('s') {
        stem.to_string()
    } else {
        word.to_string()
    }
}

/// `PostComment` → `post_comments`.
pub fn to_table_name(type_name: &str) -> String {
    let snake = to_snake_case(type_name);
    match snake.rsplit_once('_') {
        Some((head, last)) => format!("{head}_{}", pluralize(last)),
        None => pluralize(&snake),
    }
}

static TABLES: Lazy<RwLock<HashMap<TypeId, &'static str>>> = Lazy::new(Default::default);

/// The cached derived table name of type `T`.
pub(crate) fn derived_table_name<T: 'static>() -> &'static str {
    let id = TypeId::of::<T>();
    if let Some(name) = TABLES.read().unwrap_or_else(|e| e.into_inner()).get(&id) {
        return name;
    }
    let name: &'static str =
        Box::leak(to_table_name(short_type_name(std::any::type_name::<T>())).into_boxed_str());
    TABLES
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, name);
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_follow_the_reference() {
        assert_eq!(to_table_name("PostComment"), "post_comments");
        assert_eq!(to_table_name("User"), "users");
        assert_eq!(to_table_name("Category"), "categories");
        assert_eq!(to_table_name("Address"), "addresses");
        assert_eq!(to_table_name("Day"), "days");
        assert_eq!(to_table_name("HTTPLog"), "http_logs");
        assert_eq!(to_table_name("Box"), "boxes");
    }

    #[test]
    fn short_names_drop_paths_and_generics() {
        assert_eq!(short_type_name("app::models::Post"), "Post");
        assert_eq!(short_type_name("a::Wrap<b::C>"), "Wrap");
    }

    #[test]
    fn singular_inverts_plural() {
        for w in ["user", "category", "address", "tag", "box", "church"] {
            assert_eq!(singularize(&pluralize(w)), w);
        }
    }
}
