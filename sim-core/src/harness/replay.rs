//! The command that replays one seed of the running test, as `cargo` built
//! and ran it: build profile, target triple, package, features, test target,
//! test name, and the settings the failure needs (`SIM_CHECK_DETERMINISM=1`
//! for a nondeterminism failure, `SIM_ISOLATE=1` when isolation came from
//! the environment).
//!
//! The package comes from `CARGO_PKG_NAME`, which cargo sets for a test
//! process; the test name from the test's thread, which libtest names after
//! the test. The rest comes from where cargo put the test binary,
//! `<target>/[<triple>/]<profile>/deps/<target name>-<hash>`, and from the
//! fingerprint cargo keeps beside it, `.fingerprint/<package>-<hash>/`,
//! whose file name says the kind of test target and whose JSON lists the
//! features it was built with.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The libtest test that runs the harness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TestId {
    /// The test's full name (`module::test_fn`), as `--exact` wants it.
    pub(crate) name: String,
    /// This run includes `#[ignore]`d tests, so the replay must too.
    pub(crate) include_ignored: bool,
}

impl TestId {
    /// The test running on this thread, if libtest started it.
    pub(crate) fn current() -> Option<TestId> {
        let thread = std::thread::current();
        let name = thread.name()?;
        if name == "main" || name.starts_with("sim-seed-") {
            return None;
        }
        let include_ignored =
            std::env::args().any(|a| a == "--ignored" || a == "--include-ignored");
        Some(TestId {
            name: name.to_string(),
            include_ignored,
        })
    }
}

/// How cargo built the running test binary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Build {
    package: Option<String>,
    /// `--release`, `--profile NAME`, or nothing for the dev profile.
    profile: Option<String>,
    triple: Option<String>,
    /// `--lib`, `--test NAME`, `--bin NAME`, `--example NAME`, `--bench NAME`.
    target: Option<String>,
    features: Vec<String>,
    no_default_features: bool,
}

fn build() -> &'static Build {
    static BUILD: OnceLock<Build> = OnceLock::new();
    BUILD.get_or_init(|| {
        let package = std::env::var("CARGO_PKG_NAME").ok();
        match (std::env::current_exe(), &package) {
            (Ok(exe), Some(pkg)) => Build::from_binary(&exe, pkg),
            _ => Build {
                package,
                ..Build::default()
            },
        }
    })
}

impl Build {
    fn from_binary(exe: &Path, package: &str) -> Build {
        let mut build = Build {
            package: Some(package.to_string()),
            ..Build::default()
        };
        let Some(deps) = exe.parent().filter(|d| d.ends_with("deps")) else {
            return build;
        };
        let Some(profile_dir) = deps.parent() else {
            return build;
        };
        let profile = profile_dir.file_name().and_then(|n| n.to_str());
        build.profile = match profile {
            Some("debug") | None => None,
            Some("release") => Some("--release".to_string()),
            Some(other) => Some(format!("--profile {other}")),
        };
        // `<target>/<triple>/<profile>`: the target directory carries a
        // CACHEDIR.TAG, a triple directory does not.
        if let Some(up) = profile_dir.parent() {
            let tagged = |p: &Path| p.join("CACHEDIR.TAG").exists();
            if !tagged(up) && up.parent().is_some_and(tagged) {
                build.triple = up.file_name().and_then(|n| n.to_str()).map(String::from);
            }
        }
        let stem = exe.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if let Some((_, hash)) = stem.rsplit_once('-') {
            let fingerprint = profile_dir
                .join(".fingerprint")
                .join(format!("{package}-{hash}"));
            build.read_fingerprint(&fingerprint);
        }
        build
    }

    fn read_fingerprint(&mut self, dir: &Path) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let unit: Option<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("test-"))
            });
        let Some(unit) = unit else { return };
        let name = unit.file_stem().and_then(|n| n.to_str()).unwrap_or("");
        let name = name.strip_prefix("test-").unwrap_or(name);
        self.target = [
            ("integration-test-", "--test"),
            ("bin-", "--bin"),
            ("example-", "--example"),
            ("bench-", "--bench"),
        ]
        .iter()
        .find_map(|(prefix, flag)| name.strip_prefix(prefix).map(|t| format!("{flag} {t}")))
        .or_else(|| name.starts_with("lib-").then(|| "--lib".to_string()));
        let Ok(text) = std::fs::read_to_string(&unit) else {
            return;
        };
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
            return;
        };
        // Both lists are JSON arrays written into a string.
        let list = |key: &str| -> Vec<String> {
            json[key]
                .as_str()
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or_default()
        };
        let features = list("features");
        let declared = list("declared_features");
        self.no_default_features =
            declared.iter().any(|f| f == "default") && !features.iter().any(|f| f == "default");
        self.features = features.into_iter().filter(|f| f != "default").collect();
    }
}

/// The command that reruns `seed` of `test` as this binary was built, with
/// `env` (such as `SIM_CHECK_DETERMINISM=1`) set.
pub(super) fn command(seed: u64, test: Option<&TestId>, env: &[&str]) -> String {
    let b = build();
    let mut cmd = format!("SIM_SEED={seed}");
    for var in env {
        cmd.push(' ');
        cmd.push_str(var);
    }
    cmd.push_str(" cargo test");
    let mut flag = |f: &str| {
        cmd.push(' ');
        cmd.push_str(f);
    };
    if let Some(p) = &b.profile {
        flag(p);
    }
    if let Some(t) = &b.triple {
        flag(&format!("--target {t}"));
    }
    if let Some(p) = &b.package {
        flag(&format!("-p {p}"));
    }
    if b.no_default_features {
        flag("--no-default-features");
    }
    if !b.features.is_empty() {
        flag(&format!("--features {}", b.features.join(",")));
    }
    if let Some(test) = test {
        if let Some(t) = &b.target {
            flag(t);
        }
        flag(&format!("-- {} --exact", test.name));
        if test.include_ignored {
            flag("--include-ignored");
        }
    }
    cmd
}

/// The command that reruns `seed` of the current test: the build profile,
/// package, features, test target and test name of this test binary.
pub fn replay_command(seed: u64) -> String {
    command(seed, TestId::current().as_ref(), &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_release_build_for_a_triple_is_replayed_as_one() {
        let root = std::env::temp_dir().join(format!("simnet-replay-{}", std::process::id()));
        let profile = root.join("x86_64-unknown-linux-gnu").join("release");
        let fingerprint = profile.join(".fingerprint").join("kv-0123abcd");
        std::fs::create_dir_all(&fingerprint).unwrap();
        std::fs::create_dir_all(profile.join("deps")).unwrap();
        std::fs::write(root.join("CACHEDIR.TAG"), "").unwrap();
        std::fs::write(
            fingerprint.join("test-integration-test-crash.json"),
            r#"{"features":"[\"chaos\", \"disk\"]","declared_features":"[\"chaos\", \"default\", \"disk\"]"}"#,
        )
        .unwrap();
        std::fs::write(fingerprint.join("dep-test-integration-test-crash"), "").unwrap();
        let build = Build::from_binary(&profile.join("deps").join("crash-0123abcd"), "kv");
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(
            build,
            Build {
                package: Some("kv".into()),
                profile: Some("--release".into()),
                triple: Some("x86_64-unknown-linux-gnu".into()),
                target: Some("--test crash".into()),
                features: vec!["chaos".into(), "disk".into()],
                no_default_features: true,
            }
        );
    }

    #[test]
    fn this_unit_test_is_replayed_from_the_library_target() {
        let cmd = replay_command(5);
        assert!(cmd.starts_with("SIM_SEED=5 cargo test"), "{cmd}");
        assert!(
            cmd.ends_with(
                " -p sim-core --lib -- harness::replay::tests::\
                 this_unit_test_is_replayed_from_the_library_target --exact"
            ),
            "{cmd}"
        );
    }
}
