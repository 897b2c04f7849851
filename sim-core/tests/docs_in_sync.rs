//! The README's example is this crate's `tests/readme_example.rs`, verbatim,
//! so the example users copy is compiled and passes.

#[test]
fn the_readme_shows_the_tested_example() {
    let readme = include_str!("../../README.md");
    let example = include_str!("readme_example.rs");
    assert!(
        readme.contains(example.trim()),
        "README.md must contain sim-core/tests/readme_example.rs verbatim; update one from the other"
    );
}
