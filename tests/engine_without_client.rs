//! A build without the `spark` feature (the default) has no Spark Connect client:
//! `report --engine spark` stops for every domain it runs remotely with a message
//! saying how to build one, and publishes nothing.
#![cfg(not(feature = "spark"))]

use std::process::Command;

use anyhow::Result;

#[test]
fn engine_spark_without_the_client_says_how_to_build_it() -> Result<()> {
    let dir = tempfile::tempdir()?;
    for domain in ["tv", "customer360", "retail", "wdi", "movies"] {
        let out = dir.path().join(domain);
        let run = Command::new(env!("CARGO_BIN_EXE_report"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["--quiet", "--domain", domain, "--engine", "spark"])
            .args(["--remote", "sc://127.0.0.1:9"])
            .arg("--out")
            .arg(out.join("processed"))
            .arg("--interim")
            .arg(out.join("interim"))
            .arg("--reports")
            .arg(out.join("reports"))
            .output()?;
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{domain}: {stderr}");
        assert!(
            stderr.contains("this build has no Spark Connect client")
                && stderr.contains("--features spark"),
            "{domain}: {stderr}"
        );
        assert!(
            !out.join("processed").join("_SUCCESS").exists(),
            "{domain}: published"
        );
    }
    Ok(())
}
