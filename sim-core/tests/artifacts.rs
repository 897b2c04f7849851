//! What a failed seed leaves behind, from the harness's side: the folder
//! printed under the replay command, a journal that ends with the failure,
//! log lines in it, and nothing written for a seed that passed.

use std::time::Duration;

use serde_json::Value;
use sim_core::artifacts::ArtifactPolicy;
use sim_core::{Harness, Sim};

fn failing(sim: &mut Sim) {
    sim.host("ticker", || async {
        loop {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    });
    sim.client("checker", async {
        tracing::info!(attempt = 1, "checking the ticker");
        tokio::time::sleep(Duration::from_secs(2)).await;
        sim_core::crash("ticker")?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        Err("the ticker is down".into())
    });
}

fn lines(dir: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("trace.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_failed_seed_prints_its_artifact_folder_under_the_replay_command() {
    let failure = Harness::new()
        .ignore_env()
        .seeds([4])
        .try_run(failing)
        .unwrap_err();
    let dir = failure.artifacts.clone().expect("artifacts were written");
    // The default folder: target/simnet/<package>/<test>/<seed>.
    let expected_tail = std::path::Path::new("simnet")
        .join("sim-core")
        .join("a_failed_seed_prints_its_artifact_folder_under_the_replay_command")
        .join("4");
    assert!(dir.ends_with(&expected_tail), "{}", dir.display());
    let text = failure.to_string();
    let replay = text.find("\nreplay: ").unwrap();
    let artifacts = text
        .find(&format!("\nartifacts: {}", dir.display()))
        .unwrap();
    assert!(replay < artifacts, "{text}");
    assert!(dir.join("timeline.html").is_file());

    let lines = lines(&dir);
    assert_eq!(lines[0]["kind"], "journal");
    assert_eq!(lines[0]["seed"], 4);
    let last = lines.last().unwrap();
    assert_eq!(last["kind"], "failure");
    assert_eq!(last["host"], "checker");
    assert_eq!(last["t_ns"], 3_000_000_000u64);
    assert!(last["message"]
        .as_str()
        .unwrap()
        .contains("the ticker is down"));
    let log = lines.iter().find(|l| l["kind"] == "log").unwrap();
    assert_eq!(log["message"], "checking the ticker");
    assert_eq!(log["attempt"], 1);
    assert_eq!(log["host"], "checker");
    let crash = lines.iter().find(|l| l["kind"] == "host-crash").unwrap();
    assert_eq!(
        (crash["host"].as_str(), crash["t_ns"].as_u64()),
        (Some("ticker"), Some(2_000_000_000))
    );
    let page = std::fs::read_to_string(dir.join("timeline.html")).unwrap();
    assert!(page.contains("the ticker is down"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn passing_seeds_write_nothing_unless_asked() {
    let base =
        std::env::temp_dir().join(format!("simnet-harness-artifacts-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let quiet = |sim: &mut Sim| {
        sim.client("c", async { Ok(()) });
    };
    Harness::new()
        .ignore_env()
        .seeds([1])
        .artifacts_dir(&base)
        .run(quiet);
    assert!(!base.exists());
    Harness::new()
        .ignore_env()
        .seeds([1, 2])
        .artifacts(ArtifactPolicy::Always)
        .artifacts_dir(&base)
        .run(quiet);
    assert!(base.join("1").join("trace.jsonl").is_file());
    assert!(base.join("2").join("timeline.html").is_file());
    let failure = Harness::new()
        .ignore_env()
        .seeds([3])
        .artifacts(ArtifactPolicy::Never)
        .artifacts_dir(&base)
        .try_run(failing)
        .unwrap_err();
    assert_eq!(failure.artifacts, None);
    assert!(!failure.to_string().contains("artifacts:"));
    assert!(!base.join("3").exists());
    std::fs::remove_dir_all(&base).unwrap();
}
