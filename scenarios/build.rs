//! Generates the Pinger service (proto/pinger.proto) with tonic-prost-build.
//!
//! prost-build needs `protoc`, which the machines do not have: the
//! `protoc-bin-vendored` crate ships the binary, and `PROTOC` points at it.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    std::env::set_var("PROTOC", protoc);
    println!("cargo:rerun-if-changed=proto/pinger.proto");
    tonic_prost_build::configure()
        // Clients are made from a `Channel` (`PingerClient::new`), so the
        // generated `connect(dst)` helpers are left out.
        .build_transport(false)
        .compile_protos(&["proto/pinger.proto"], &["proto"])?;
    Ok(())
}
