//! Where a test's artifacts go: `target/simnet/<package>/<test>/<seed>/`.

use std::path::{Path, PathBuf};

/// The folder for `seed` of the test running on this thread:
/// `<target>/simnet/<package>/<test>/<seed>`, where `<target>` is
/// `CARGO_TARGET_DIR` when it is an absolute path, else the `target` folder
/// the test binary was built in; `<package>` is cargo's `CARGO_PKG_NAME` and
/// `<test>` the name libtest gives the test's thread (`main` outside a test),
/// with `::` written as `.`. Call it on the test's own thread.
pub fn default_dir(seed: u64) -> PathBuf {
    let package = std::env::var("CARGO_PKG_NAME").unwrap_or_else(|_| "unknown".to_string());
    let test = std::thread::current()
        .name()
        .filter(|n| !n.starts_with("sim-seed-"))
        .unwrap_or("main")
        .replace("::", ".");
    target_dir()
        .join("simnet")
        .join(file_name(&package))
        .join(file_name(&test))
        .join(seed.to_string())
}

/// The `target` folder of the build this process comes from.
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from) {
        if dir.is_absolute() {
            return dir;
        }
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| from_exe(&exe))
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// `target/debug/deps/test-1234` (a test) or `target/release/tool` (a
/// binary) to `target`.
fn from_exe(exe: &Path) -> Option<PathBuf> {
    let dir = exe.parent()?;
    let profile = match dir.file_name()?.to_str()? {
        "deps" | "examples" => dir.parent()?,
        _ => dir,
    };
    Some(profile.parent()?.to_path_buf())
}

/// `name` with every character a file name should not hold replaced by `_`.
fn file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match cleaned.as_str() {
        "" | "." | ".." => "_".to_string(),
        _ => cleaned,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_binary_lives_two_folders_below_target() {
        let exe = Path::new("/p/target/debug/deps/kv-0123abcd");
        assert_eq!(from_exe(exe), Some(PathBuf::from("/p/target")));
        let tool = Path::new("/p/target/release/scenarios");
        assert_eq!(from_exe(tool), Some(PathBuf::from("/p/target")));
    }

    #[test]
    fn names_become_safe_file_names() {
        assert_eq!(file_name("kv.survives_crash"), "kv.survives_crash");
        assert_eq!(file_name("a/b c"), "a_b_c");
        assert_eq!(file_name(".."), "_");
    }
}
