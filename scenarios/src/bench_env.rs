//! [`env_count`]: the sizes benchmarks read from environment variables.
//!
//! Every benchmark takes its workload size from a variable such as
//! `PINGPONG_ROUND_TRIPS`, so that a profiler run can be short. A value that
//! is not a whole number stops the benchmark with a message naming the
//! variable, instead of quietly measuring the default workload.
//!
//! ```
//! assert_eq!(scenarios::bench_env::env_count("SCENARIOS_DOC_UNSET_VARIABLE", 7), 7);
//! ```

/// The value of the environment variable `name` as a whole number, or
/// `default` when it is unset. Exits the process with status 2 and a
/// message when it is set to anything else.
pub fn env_count(name: &str, default: u64) -> u64 {
    match parse_count(name, std::env::var(name).ok().as_deref(), default) {
        Ok(n) => n,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    }
}

/// [`env_count`]'s decision for the variable's value `raw`.
fn parse_count(name: &str, raw: Option<&str>, default: u64) -> Result<u64, String> {
    let Some(raw) = raw else {
        return Ok(default);
    };
    raw.trim()
        .parse()
        .map_err(|_| format!("{name}={raw:?}: expected a whole number (the default is {default})"))
}

#[cfg(test)]
mod tests {
    use super::parse_count;

    #[test]
    fn unset_gives_the_default_and_garbage_names_the_variable() {
        assert_eq!(parse_count("N", None, 5), Ok(5));
        assert_eq!(parse_count("N", Some(" 12 "), 5), Ok(12));
        let err = parse_count("BULK_BYTES", Some("1e6"), 5).unwrap_err();
        assert!(err.contains("BULK_BYTES=\"1e6\""), "{err}");
        assert!(err.contains("whole number"), "{err}");
    }
}
