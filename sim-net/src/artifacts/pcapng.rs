//! Writing a capture file: pcapng with nanosecond timestamps, one
//! raw-IP interface, and a comment on every packet.
//!
//! Timestamps are virtual time counted from the Unix epoch, so
//! `tcpdump -tt` prints virtual seconds and `TZ=UTC tcpdump` prints the
//! virtual time of day from 00:00:00.

use std::borrow::Cow;
use std::io;
use std::path::Path;
use std::time::Duration;

use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::{DataLink, Endianness};

/// One packet of a capture file.
pub(crate) struct Record<'a> {
    /// Virtual time, ns.
    pub time: u64,
    /// The packet from its IP header on.
    pub data: &'a [u8],
    /// Shown by Wireshark as the packet comment.
    pub comment: String,
}

fn pcap_error(path: &Path, e: pcap_file::PcapError) -> io::Error {
    io::Error::other(format!("{}: {e}", path.display()))
}

/// Writes `records` to `path`, with `about` as the file's comment and
/// `interface` naming its one interface.
pub(crate) fn write(
    path: &Path,
    about: &str,
    interface: &str,
    records: &[Record<'_>],
) -> io::Result<()> {
    let section = SectionHeaderBlock {
        // Fixed, not the machine's: the same run writes the same bytes anywhere.
        endianness: Endianness::Little,
        major_version: 1,
        minor_version: 0,
        section_length: -1,
        options: vec![
            SectionHeaderOption::Comment(Cow::Owned(about.to_string())),
            SectionHeaderOption::UserApplication(Cow::Borrowed("simnet")),
        ],
    };
    let mut writer =
        PcapNgWriter::with_section_header(Vec::new(), section).map_err(|e| pcap_error(path, e))?;
    let interface = InterfaceDescriptionBlock {
        linktype: DataLink::RAW,
        snaplen: 0,
        options: vec![
            InterfaceDescriptionOption::IfName(Cow::Owned(interface.to_string())),
            InterfaceDescriptionOption::IfDescription(Cow::Borrowed(
                "the simulated network; timestamps are virtual time",
            )),
            InterfaceDescriptionOption::IfTsResol(9),
        ],
    };
    writer
        .write_pcapng_block(interface)
        .map_err(|e| pcap_error(path, e))?;
    for r in records {
        let block = EnhancedPacketBlock {
            interface_id: 0,
            timestamp: Duration::from_nanos(r.time),
            original_len: r.data.len() as u32,
            data: Cow::Borrowed(r.data),
            options: vec![EnhancedPacketOption::Comment(Cow::Borrowed(&r.comment))],
        };
        writer
            .write_pcapng_block(block)
            .map_err(|e| pcap_error(path, e))?;
    }
    std::fs::write(path, writer.into_inner())
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}
