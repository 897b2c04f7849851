//! The README's example is this crate's `tests/readme_example.rs`, verbatim,
//! so the example users copy is compiled and passes; the guide's setup page
//! shows the example user project's files, which CI builds and tests.

#[test]
fn the_readme_shows_the_tested_example() {
    let readme = include_str!("../../README.md");
    let example = include_str!("readme_example.rs");
    assert!(
        readme.contains(example.trim()),
        "README.md must contain sim-core/tests/readme_example.rs verbatim; update one from the other"
    );
}

#[test]
fn the_setup_page_shows_the_example_project_as_ci_builds_it() {
    let page = include_str!("../../docs/src/setup.md");
    for (name, file) in [
        (
            "Cargo.toml",
            include_str!("../../examples/user-project/Cargo.toml"),
        ),
        (
            "tests/quickstart.rs",
            include_str!("../../examples/user-project/tests/quickstart.rs"),
        ),
    ] {
        assert!(
            page.contains(file.trim()),
            "docs/src/setup.md must contain examples/user-project/{name} verbatim"
        );
    }
}
