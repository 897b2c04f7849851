//! Remembered failures: `sim-regressions/<test>.seeds` beside the test's
//! package, one failing seed per line with a comment naming the date and
//! the cause. Every run of the test replays these seeds before its sweep,
//! as proptest does with its `proptest-regressions` folder, so a failure
//! found once by a long CI sweep is checked on every later run. The folder
//! is meant to be committed.
//!
//! ```text
//! # Seeds that failed in test `kv_survives_crash`; every run of the test replays them first.
//! # Commit this file: it keeps a fixed bug from coming back unnoticed.
//! 17 # 2026-12-03: seed 17, virtual time 2.000000000s, host `client`: client panicked: lost a write
//! ```
//!
//! `SIM_REGRESSIONS=0` turns the file off; any other value names the folder
//! to use instead of `<package>/sim-regressions`.

use std::io::Write;
use std::path::PathBuf;

use super::Failure;

/// The regressions file of one test.
#[derive(Clone, Debug)]
pub(super) struct RegressionFile {
    path: PathBuf,
    test: String,
}

impl RegressionFile {
    /// The file of `test`, unless turned off or there is no package folder.
    pub(super) fn for_test(test: &str) -> Option<RegressionFile> {
        let package = || {
            std::env::var_os("CARGO_MANIFEST_DIR").map(|d| PathBuf::from(d).join("sim-regressions"))
        };
        let setting = std::env::var("SIM_REGRESSIONS").unwrap_or_default();
        let dir = match setting.trim() {
            "" | "1" | "true" | "yes" | "on" => package()?,
            "0" | "false" | "no" | "off" => return None,
            folder => PathBuf::from(folder),
        };
        let file = format!("{}.seeds", test.replace("::", "-"));
        Some(RegressionFile {
            path: dir.join(file),
            test: test.to_string(),
        })
    }

    /// The remembered seeds, in file order. Lines that hold no seed are
    /// skipped (comments, blank lines, hand edits).
    pub(super) fn seeds(&self) -> Vec<u64> {
        let Ok(text) = std::fs::read_to_string(&self.path) else {
            return Vec::new();
        };
        text.lines()
            .filter_map(|l| l.split('#').next()?.trim().parse().ok())
            .collect()
    }

    /// Appends the seeds of `failures` that the file does not hold yet.
    /// Returns the error to report if the file cannot be written.
    pub(super) fn remember<'a>(
        &self,
        failures: impl IntoIterator<Item = &'a Failure>,
    ) -> std::io::Result<()> {
        let known = self.seeds();
        let date = today();
        let mut text = String::new();
        for f in failures {
            if known.contains(&f.seed) || text.contains(&format!("\n{} #", f.seed)) {
                continue;
            }
            let cause = f.to_string();
            let mut cause = cause.lines().next().unwrap_or("").to_string();
            if cause.len() > 240 {
                let mut end = 240;
                while !cause.is_char_boundary(end) {
                    end -= 1;
                }
                cause.truncate(end);
                cause.push_str("...");
            }
            text.push_str(&format!("\n{} # {date}: {cause}", f.seed));
        }
        if text.is_empty() {
            return Ok(());
        }
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let new = !self.path.exists();
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        let mut out = String::new();
        if new {
            out.push_str(&format!(
                "# Seeds that failed in test `{}`; every run of the test replays them first.\n\
                 # Commit this file: it keeps a fixed bug from coming back unnoticed.",
                self.test
            ));
        }
        out.push_str(&text);
        out.push('\n');
        // One write, so concurrent shards appending to one file do not
        // interleave within a line.
        file.write_all(out.trim_start_matches('\n').as_bytes())
    }

    /// Where the file is.
    pub(super) fn path(&self) -> &std::path::Path {
        &self.path
    }
}

/// Today's date (UTC) as `YYYY-MM-DD`, from the real clock: the harness
/// thread is not a simulation thread.
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date(secs / 86_400)
}

/// The proleptic Gregorian date `days` after 1970-01-01 (H. Hinnant's
/// `civil_from_days`).
fn civil_date(days: u64) -> String {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_calendar_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(civil_date(20_790), "2026-12-03");
    }
}
