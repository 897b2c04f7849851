//! `tracing` output that reads like a timeline: every line stamped with the
//! virtual time and the host that logged it.
//!
//! ```text
//!    12.004000000s server  INFO kv: applied write key=7
//!    12.004000000s client  WARN kv_client: retrying after timeout
//! ```
//!
//! Call [`init`] at the top of a test: quiet by default (warnings and
//! errors), verbose with `RUST_LOG` (`RUST_LOG=debug`, `RUST_LOG=kv=trace`).
//! Output goes through the test harness's capture, so it shows only for
//! failing tests. Outside a simulation, lines carry the real time instead.
//!
//! ```
//! sim_core::logging::init();
//! tracing::warn!("visible by default");
//! ```

use std::fmt;

use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

use crate::world;

/// Formats events as `<virtual time> <host> <LEVEL> <target>: <fields>`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SimFormat;

impl<S, N> FormatEvent<S, N> for SimFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        match world::try_current() {
            Some(w) => {
                let host = match w.current_host.get() {
                    Some(h) => w.host_name(h),
                    None => "-".to_string(),
                };
                write!(writer, "{:>16} {host:<8} ", w.now.get().to_string())?;
            }
            None => {
                let t = sim_clock::real::system_time()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                write!(
                    writer,
                    "{:>16} {:<8} ",
                    format!("real {}.{:03}", t.as_secs(), t.subsec_millis()),
                    "-"
                )?;
            }
        }
        let meta = event.metadata();
        write!(writer, "{:>5} {}: ", meta.level(), meta.target())?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// A `tracing_subscriber` layer with [`SimFormat`] and the `RUST_LOG`
/// filter (default `warn`), writing through the test capture. For
/// composing with other layers.
pub fn layer<S>() -> impl tracing_subscriber::Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    use std::io::IsTerminal;
    use tracing_subscriber::Layer;
    tracing_subscriber::fmt::layer()
        .event_format(SimFormat)
        .with_ansi(std::io::stderr().is_terminal())
        .with_test_writer()
        .with_filter(filter())
}

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"))
}

/// Installs [`layer`] as the global subscriber. Calling it again (from
/// several tests) is harmless: the first call wins.
pub fn init() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let _ = tracing_subscriber::registry().with(layer()).try_init();
}
