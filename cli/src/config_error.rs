//! Configuration errors that name the field.
//!
//! * An unknown key gets the closest known key as a suggestion ("did you mean `iterations`?").
//! * A bad value inside an internally tagged table (`kind = …`: `[model]`, `[data.source]`,
//!   `[model.learn.optim]`, …) names its field. serde reads such a table into a buffer before
//!   it knows the variant, and its error then points at the table's header only
//!   (`[model]`: invalid type: string "x", expected f32). [`culprit`] finds the field by
//!   leaving out one value at a time. serde stops at the first bad value: leaving out a value
//!   that it reads after the bad one changes nothing; leaving out the bad one changes the
//!   error (or ends it); so may leaving out a value it read before (a required field of a
//!   table it finished earlier). The bad value is the *last*, in reading order, whose
//!   removal changes the error.

use serde::de::DeserializeOwned;
use toml::{Table, Value};

/// `e`, raised parsing `text` as a `T`, with the field it is about or a suggestion.
pub fn explain<T: DeserializeOwned>(text: &str, e: toml::de::Error) -> anyhow::Error {
    let msg = e.message().to_string();
    if let Some(s) = suggestion(&msg) {
        return anyhow::anyhow!("{e}did you mean `{s}`?");
    }
    // these name the field already (and removing keys would only move the message)
    if msg.starts_with("missing field") || msg.starts_with("unknown field") {
        return anyhow::Error::new(e);
    }
    match culprit::<T>(text, &msg) {
        Some(path) => anyhow::anyhow!("{e}the field is `{path}`"),
        None => anyhow::Error::new(e),
    }
}

/// One step of a path into a TOML document: a key, or an element of an array of tables.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// The dotted path of the last value (in the order serde reads them) whose removal changes
/// the error `msg`; `None` if the text is not TOML or no value is to blame.
fn culprit<T: DeserializeOwned>(text: &str, msg: &str) -> Option<String> {
    let doc: Table = text.parse().ok()?;
    // the probes are written by `toml::to_string`: it must give the same error to start with
    let same =
        toml::to_string(&doc).ok().and_then(|t| toml::from_str::<T>(&t).err()).is_some_and(|e| e.message() == msg);
    if !same {
        return None;
    }
    let mut leaves = Vec::new();
    collect(&doc, &mut vec![], &mut leaves);
    let blamed = leaves.into_iter().rev().find(|path| {
        let mut probe = doc.clone();
        remove(&mut probe, path);
        let Ok(text) = toml::to_string(&probe) else { return false };
        toml::from_str::<T>(&text).map_or_else(|e| e.message() != msg, |_| true)
    })?;
    Some(dotted(&blamed))
}

/// Every value by path, in the order serde reads them from `toml::to_string`'s text: a
/// table's plain values first (a tagged table's `kind` before the others: serde looks for the
/// tag before it reads the fields), then its sub-tables, each just before its own values (a
/// table can be the bad value too, e.g. `loudness = {}`).
fn collect(t: &Table, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    let is_tables = |v: &Value| match v {
        Value::Table(_) => true,
        Value::Array(items) => !items.is_empty() && items.iter().all(Value::is_table),
        _ => false,
    };
    let plain = t.iter().filter(|(_, v)| !is_tables(v));
    let (tag, fields): (Vec<_>, Vec<_>) = plain.partition(|(k, _)| k.as_str() == "kind");
    for (k, _) in tag.into_iter().chain(fields) {
        at.push(Step::Key(k.clone()));
        out.push(at.clone());
        at.pop();
    }
    for (k, v) in t.iter().filter(|(_, v)| is_tables(v)) {
        at.push(Step::Key(k.clone()));
        match v {
            Value::Table(inner) => {
                out.push(at.clone());
                collect(inner, at, out);
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    at.push(Step::Index(i));
                    if let Value::Table(inner) = item {
                        collect(inner, at, out);
                    }
                    at.pop();
                }
            }
            _ => {}
        }
        at.pop();
    }
}

/// Remove the value at `path` (a leaf found by [`collect`]).
fn remove(t: &mut Table, path: &[Step]) {
    let Some((Step::Key(last), parents)) = path.split_last() else { return };
    let mut table = t;
    let mut steps = parents.iter().peekable();
    while let Some(step) = steps.next() {
        let next = match (step, steps.peek()) {
            (Step::Key(k), Some(Step::Index(i))) => {
                steps.next();
                table.get_mut(k).and_then(Value::as_array_mut).and_then(|a| a.get_mut(*i))
            }
            (Step::Key(k), _) => table.get_mut(k),
            (Step::Index(_), _) => None,
        };
        let Some(Value::Table(inner)) = next else { return };
        table = inner;
    }
    table.remove(last);
}

/// `model.net.layers[1].kernel`.
fn dotted(path: &[Step]) -> String {
    let mut s = String::new();
    for step in path {
        match step {
            Step::Key(k) if s.is_empty() => s.push_str(k),
            Step::Key(k) => s.push_str(&format!(".{k}")),
            Step::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// For "unknown field `x`, expected one of `a`, `b`, …": the expected name closest to `x`
/// (edit distance at most a third of its length, at least 1).
fn suggestion(msg: &str) -> Option<String> {
    let rest = msg.split("unknown field `").nth(1)?;
    let (typo, rest) = rest.split_once('`')?;
    let expected = rest.split("expected one of ").nth(1).or_else(|| rest.split("expected ").nth(1))?;
    let names = expected.split([',', '\n']).filter_map(|n| n.trim().strip_prefix('`')?.split('`').next());
    let (best, d) = names.map(|n| (n.to_string(), edit_distance(typo, n))).min_by_key(|(_, d)| *d)?;
    (d <= (typo.len() / 3).max(1)).then_some(best)
}

/// Levenshtein distance between `a` and `b`.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RunConfig;

    fn error_of(text: &str) -> String {
        RunConfig::from_toml(text).unwrap_err().to_string()
    }

    #[test]
    fn a_bad_value_inside_a_tagged_table_names_its_field() {
        let text = crate::presets::texture().to_toml().unwrap();
        let cases = [
            ("\nlr = 0.0005", "\nlr = \"x\"", "`model.learn.optim.lr`"),
            ("\nkernel = 5\n", "\nkernel = \"five\"\n", "`model.net.layers[1].kernel`"),
            ("\nlangevin_steps = 20", "\nlangevin_steps = -1", "`model.learn.langevin_steps`"),
            ("kind = \"images\"\npath = ", "kind = \"images\"\npath = 3 #", "`data.source.path`"),
        ];
        let mnist = crate::presets::coopnets_mnist().to_toml().unwrap();
        let coop = [
            ("\ncount = 10000", "\ncount = 1e4", "`data.source.count`"),
            ("\nlr = 0.002\nbeta1 = 0.5", "\nlr = 0.002\nbeta1 = \"half\"", "`model.generator.learn.optim.beta1`"),
        ];
        for (text, (from, to, field)) in cases.map(|c| (&text, c)).into_iter().chain(coop.map(|c| (&mnist, c))) {
            assert!(text.contains(from), "the preset has {from:?}");
            let e = error_of(&text.replacen(from, to, 1));
            assert!(e.ends_with(&format!("the field is {field}")), "{from:?} → {to:?}: {e}");
        }
    }

    #[test]
    fn values_inside_a_table_inside_a_tagged_table_are_named() {
        let text = crate::presets::sound_descriptor().to_toml().unwrap();
        for (to, field) in [("rms = \"x\"", "data.source.loudness.rms"), ("loud = 1", "data.source.loudness.loud")] {
            let bad = text.replacen("[data.source.loudness]\nrms = 0.25", &format!("[data.source.loudness]\n{to}"), 1);
            assert_ne!(bad, text, "the preset has a loudness table");
            let e = error_of(&bad);
            assert!(e.ends_with(&format!("the field is `{field}`")), "{to}: {e}");
        }
    }

    #[test]
    fn errors_that_name_their_field_are_left_as_they_are() {
        let text = crate::presets::texture().to_toml().unwrap();
        let e = error_of(&text.replacen("\nlr = 0.0005", "", 1));
        assert!(e.contains("missing field `lr`") && !e.contains("the field is"), "{e}");
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
