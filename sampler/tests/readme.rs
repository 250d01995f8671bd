//! The README's example is `examples/mixture.rs`, character for character (minus the
//! example's module doc), so the two cannot drift apart.

#[test]
fn readme_example_is_the_mixture_example() {
    let readme = include_str!("../README.md");
    let example = include_str!("../examples/mixture.rs");
    let body: String = example.lines().filter(|l| !l.starts_with("//!")).collect::<Vec<_>>().join("\n");
    assert!(readme.contains(body.trim()), "README example differs from examples/mixture.rs");
}
