//! `timeline.html`: the journal drawn as one self-contained page.
//!
//! The page is a fixed template (`timeline.html` beside this file: markup,
//! style and the script that draws) with the journal embedded as JSON, so
//! it opens from disk with no network access. The script draws a lane per
//! host, an arrow per delivered packet (`packet-sent` to
//! `packet-delivered`, paired by `msg`), a stub ending in a cross per
//! dropped one, bands for faults that last (`band_edge` `begin` to `end`)
//! and for host downtime and pauses, a tick per log line, and a red line at
//! the failure. Wheel zooms, dragging pans, a click shows an item's entry.

const TEMPLATE: &str = include_str!("timeline.html");
const DATA_MARK: &str = "/*JOURNAL*/";

/// The page for a journal: `header` is the header line of `trace.jsonl`,
/// `lines` its entries (scheduler steps left out).
pub(crate) fn page(header: &str, lines: &[String]) -> String {
    let mut data = String::with_capacity(lines.iter().map(|l| l.len() + 2).sum::<usize>() + 64);
    data.push_str("{\"header\":");
    data.push_str(header);
    data.push_str(",\"entries\":[\n");
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            data.push_str(",\n");
        }
        data.push_str(line);
    }
    data.push_str("]}");
    // `<` only occurs inside JSON strings, where `\u003c` means the same:
    // the text can then never close the script element that holds it.
    let data = data.replace('<', "\\u003c");
    TEMPLATE.replacen(DATA_MARK, &data, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_text_cannot_close_the_script() {
        let line = r#"{"seq":0,"t_ns":0,"kind":"log","message":"</script><b>"}"#.to_string();
        let page = page(r#"{"kind":"journal","hosts":[]}"#, &[line]);
        assert_eq!(
            page.matches("</script>").count(),
            TEMPLATE.matches("</script>").count()
        );
        assert!(page.contains(r#"\u003c/script>\u003cb>"#));
        assert!(!page.contains(DATA_MARK));
    }
}
