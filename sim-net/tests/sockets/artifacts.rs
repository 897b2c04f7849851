//! The artifacts of a recording run, read back with decoders that share no
//! code with the writers: `pcap-parser` for the capture files, `etherparse`
//! for the packets in them, `serde_json` for the journal.
//!
//! The run: a client streams 6000 bytes to a server across a 10 ms link,
//! the link is partitioned for 2 s in the middle of the stream and healed,
//! the server answers `ok` after EOF. Checked: the capture holds exactly the
//! packets the network's counters saw sent, its headers are valid (IPv4 and
//! TCP checksums), its sequence numbers tell the stream that was written,
//! its drops are the partition's, and the journal agrees with both.

use sim_net::SocketExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use etherparse::{NetHeaders, PacketHeaders, TransportHeader};
use pcap_parser::pcapng::Block;
use pcap_parser::{PcapBlockOwned, PcapNGSlice};
use serde_json::Value;
use sim_core::artifacts::ArtifactPolicy;
use sim_core::{Harness, RecordOptions, Sim};
use sim_net::{LinkConfig, Net};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CHUNK: usize = 500;
const CHUNKS: usize = 12;

fn payload() -> Vec<u8> {
    (0..CHUNK * CHUNKS).map(|i| (i % 251) as u8).collect()
}

/// What the network counted, read by the client at the end.
#[derive(Clone, Debug, Default)]
struct Counted {
    sent: u64,
    delivered: u64,
    dropped: u64,
}

fn exchange(counted: Arc<Mutex<Counted>>) -> impl Fn(&mut Sim) + Send + Sync + 'static {
    move |sim: &mut Sim| {
        Net::builder()
            .default_link(LinkConfig::fixed(10_000_000))
            .install(sim);
        sim.host("server", || async {
            let listener = TcpListener::bind("0.0.0.0:7000").await?;
            let (mut s, _) = listener.accept().await?;
            let mut got = Vec::new();
            s.read_to_end(&mut got).await?;
            assert_eq!(got, payload());
            s.write_all(b"ok").await?;
            std::future::pending().await
        });
        let counted = counted.clone();
        sim.client("client", async move {
            let mut s = TcpStream::connect("server:7000").await?;
            let net = sim_net::net()?;
            for (i, chunk) in payload().chunks(CHUNK).enumerate() {
                if i == CHUNKS / 2 {
                    net.partition("client", "server")?;
                }
                if i == CHUNKS / 2 + 4 {
                    net.heal("client", "server")?;
                }
                s.write_all(chunk).await?;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            s.shutdown().await?;
            let mut reply = [0u8; 2];
            s.read_exact(&mut reply).await?;
            assert_eq!(&reply, b"ok");
            tokio::time::sleep(Duration::from_secs(1)).await;
            let there = net.link_stats("client", "server")?;
            let back = net.link_stats("server", "client")?;
            *counted.lock().unwrap() = Counted {
                sent: there.packets_sent + back.packets_sent,
                delivered: there.packets_delivered + back.packets_delivered,
                dropped: net.drop_counts()?.total(),
            };
            Ok(())
        });
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("simnet-artifacts-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Runs the exchange with seed 7, recording, and returns its artifact folder.
fn record(name: &str, options: RecordOptions) -> (PathBuf, Counted) {
    let base = temp_dir(name);
    let counted = Arc::new(Mutex::new(Counted::default()));
    Harness::new()
        .ignore_env()
        .seeds([7])
        .artifacts(ArtifactPolicy::Always)
        .artifacts_dir(&base)
        .record_options(options)
        .run(exchange(counted.clone()));
    let counted = counted.lock().unwrap().clone();
    (base.join("7"), counted)
}

/// One packet of a capture file: time (ns), bytes, comment.
struct Captured {
    time: u64,
    data: Vec<u8>,
    comment: String,
}

fn read_capture(path: &Path) -> Vec<Captured> {
    let bytes = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    let mut resolution = 0;
    for block in PcapNGSlice::from_slice(&bytes).expect("a pcapng file") {
        match block.expect("a valid block") {
            PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                resolution = idb.ts_resolution().unwrap();
            }
            PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                assert_eq!(resolution, 1_000_000_000, "nanosecond timestamps");
                let time = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                let comment = epb
                    .options
                    .iter()
                    .find(|o| o.code == pcap_parser::OptionCode::Comment)
                    .map(|o| String::from_utf8(o.as_bytes().unwrap().to_vec()).unwrap())
                    .unwrap_or_default();
                out.push(Captured {
                    time,
                    data: epb.data[..epb.caplen as usize].to_vec(),
                    comment,
                });
            }
            _ => {}
        }
    }
    out
}

/// A decoded TCP/IPv4 packet.
#[derive(Debug)]
struct Tcp {
    src: ([u8; 4], u16),
    syn: bool,
    fin: bool,
    seq: u32,
    payload: Vec<u8>,
}

fn decode(data: &[u8]) -> Tcp {
    let headers = PacketHeaders::from_ip_slice(data).expect("an IP packet");
    let Some(NetHeaders::Ipv4(ip, _)) = headers.net else {
        panic!("IPv4 expected: {headers:?}");
    };
    assert_eq!(
        ip.header_checksum,
        ip.calc_header_checksum(),
        "IPv4 checksum"
    );
    assert_eq!(usize::from(ip.total_len), data.len());
    let Some(TransportHeader::Tcp(tcp)) = headers.transport else {
        panic!("TCP expected");
    };
    let payload = headers.payload.slice().to_vec();
    assert_eq!(
        tcp.checksum,
        tcp.calc_checksum_ipv4(&ip, &payload).unwrap(),
        "TCP checksum"
    );
    if tcp.syn {
        // The handshake announces the MSS and the window scale.
        assert_eq!(tcp.options.as_slice().len(), 8);
    }
    Tcp {
        src: (ip.source, tcp.source_port),
        syn: tcp.syn,
        fin: tcp.fin,
        seq: tcp.sequence_number,
        payload,
    }
}

fn journal(dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("trace.jsonl")).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn kind_count(lines: &[Value], kind: &str) -> usize {
    lines.iter().filter(|l| l["kind"] == kind).count()
}

#[test]
fn the_capture_holds_every_packet_with_valid_headers_and_the_stream_in_its_sequence_numbers() {
    let (dir, counted) = record("capture", RecordOptions::default());
    let packets = read_capture(&dir.join("packets.pcapng"));
    assert!(counted.sent > 20, "{counted:?}");
    assert_eq!(
        packets.len() as u64,
        counted.sent,
        "one record per packet sent"
    );
    assert!(packets.windows(2).all(|w| w[0].time <= w[1].time));

    // Reassemble the client's stream by sequence number, relative to its SYN.
    let tcp: Vec<Tcp> = packets.iter().map(|p| decode(&p.data)).collect();
    let client_syn = tcp.iter().find(|t| t.syn && t.src.1 != 7000).unwrap();
    let isn = client_syn.seq;
    // Every segment (retransmissions, which may carry more than the first
    // send, included) holds exactly the bytes written at its offset, and
    // together they cover the stream.
    let written = payload();
    let mut covered = vec![false; written.len()];
    let mut fin_at = None;
    for t in tcp.iter().filter(|t| t.src == client_syn.src && !t.syn) {
        let offset = t.seq.wrapping_sub(isn).wrapping_sub(1) as usize;
        if !t.payload.is_empty() {
            let end = offset + t.payload.len();
            assert_eq!(t.payload, written[offset..end], "bytes at {offset}");
            covered[offset..end].iter_mut().for_each(|c| *c = true);
        }
        if t.fin {
            fin_at = Some((offset + t.payload.len()) as u32);
        }
    }
    assert!(covered.iter().all(|&c| c), "every byte was sent");
    assert_eq!(
        fin_at,
        Some(payload().len() as u32),
        "FIN right after the data"
    );

    // The partition's drops: in the second file, marked in the first.
    let dropped = read_capture(&dir.join("dropped.pcapng"));
    assert!(!dropped.is_empty());
    assert_eq!(dropped.len() as u64, counted.dropped);
    assert!(dropped
        .iter()
        .all(|d| d.comment.ends_with("dropped (partition)")));
    let marked = packets
        .iter()
        .filter(|p| p.comment.contains("dropped at"))
        .count();
    assert_eq!(marked, dropped.len());
    for d in &dropped {
        decode(&d.data);
    }

    // The journal tells the same story.
    let lines = journal(&dir);
    assert_eq!(lines[0]["kind"], "journal");
    assert_eq!(lines[0]["hosts"], serde_json::json!(["server", "client"]));
    assert_eq!(kind_count(&lines, "packet-sent") as u64, counted.sent);
    assert_eq!(
        kind_count(&lines, "packet-delivered") as u64,
        counted.delivered
    );
    assert_eq!(kind_count(&lines, "packet-dropped") as u64, counted.dropped);
    let faults: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "fault").collect();
    assert_eq!(faults.len(), 2);
    assert_eq!(faults[0]["band_edge"], "begin");
    assert_eq!(faults[1]["band_edge"], "end");
    assert_eq!(faults[0]["band"], faults[1]["band"]);
    assert_eq!(faults[0]["by"], "client");
    assert!(lines
        .iter()
        .all(|l| l["t_ns"].is_u64() || l["kind"] == "journal"));
    std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
}

#[test]
fn a_bounded_recording_keeps_the_last_packets_and_says_so() {
    let options = RecordOptions {
        max_events: 50,
        max_packets: 10,
    };
    let (dir, counted) = record("bounded", options);
    let packets = read_capture(&dir.join("packets.pcapng"));
    assert_eq!(packets.len(), 10);
    let lines = journal(&dir);
    assert_eq!(lines.len(), 51, "the header and the last 50 entries");
    let header = &lines[0];
    assert_eq!(header["entries_kept"], 50);
    let evicted = header["entries_evicted"].as_u64().unwrap();
    assert!(evicted > 0);
    assert!(header["note"]
        .as_str()
        .unwrap()
        .contains("only the last 50"));
    // The last ten packets sent, with their ids.
    let first_kept = counted.sent - 9;
    assert!(packets[0].comment.starts_with(&format!("#{first_kept} ")));
    let about = std::fs::read(dir.join("packets.pcapng")).unwrap();
    let about = String::from_utf8_lossy(&about);
    assert!(about.contains(&format!(
        "only the last 10 are kept (limit 10); {} earlier ones were let go",
        counted.sent - 10
    )));
    std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
}

#[test]
fn recording_changes_neither_the_run_nor_its_files() {
    let counted = Arc::new(Mutex::new(Counted::default()));
    let plain = Harness::new()
        .ignore_env()
        .seeds([7])
        .artifacts(ArtifactPolicy::Never)
        .run(exchange(counted.clone()));
    let (a, _) = record("same-a", RecordOptions::default());
    let (b, _) = record("same-b", RecordOptions::default());
    let recorded = Harness::new()
        .ignore_env()
        .seeds([7])
        .artifacts(ArtifactPolicy::Always)
        .artifacts_dir(temp_dir("same-c"))
        .run(exchange(counted));
    assert_eq!(plain[0].trace_hash, recorded[0].trace_hash);
    for file in [
        "trace.jsonl",
        "packets.pcapng",
        "dropped.pcapng",
        "timeline.html",
    ] {
        let (x, y) = (
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
        );
        assert!(x == y, "{file} differs between two runs of one seed");
    }
    for dir in [a, b, temp_dir("same-c").join("7")] {
        let _ = std::fs::remove_dir_all(dir.parent().unwrap());
    }
}

#[test]
fn socket_faults_land_in_the_journal() {
    let base = temp_dir("socket-faults");
    Harness::new()
        .ignore_env()
        .seeds([2])
        .artifacts(ArtifactPolicy::Always)
        .artifacts_dir(&base)
        .run(|sim| {
            Net::install(sim);
            sim.client("c", async {
                let socket = tokio::net::UdpSocket::bind("0.0.0.0:9000").await?;
                let err = sim_net::InjectedError::new(std::io::ErrorKind::Other, "disk on fire");
                socket.set_write_error(Some(err))?;
                tokio::time::sleep(Duration::from_millis(5)).await;
                socket.set_write_error(None)?;
                Ok(())
            });
        });
    let lines = journal(&base.join("2"));
    let faults: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "fault").collect();
    assert_eq!(faults.len(), 2, "{faults:?}");
    assert_eq!(faults[0]["op"], "set_write_error");
    assert_eq!(faults[0]["host"], "c");
    assert!(faults[0]["summary"]
        .as_str()
        .unwrap()
        .contains("disk on fire"));
    assert!(faults[0]["summary"].as_str().unwrap().contains(":9000"));
    assert_eq!(faults[1]["t_ns"], 5_000_000);
    assert!(faults[1]["summary"].as_str().unwrap().ends_with("cleared"));
    std::fs::remove_dir_all(base).unwrap();
}
