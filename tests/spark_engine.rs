//! The remote engine end to end (issue 19, feature `spark`): `report --engine spark`
//! against a Spark Connect server on loopback (LakeSail's Sail, `scripts/sail`) gives
//! the output tables of a local run, and refuses what it cannot do with a clear
//! message.
#![cfg(feature = "spark")]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result};
use smartview::io::scan_parquet;

/// A Sail server on loopback for the test's lifetime.
struct Sail {
    child: Child,
    port: u16,
}

impl Sail {
    fn start(root: &Path) -> Result<Sail> {
        let mut child = Command::new(smartview::testing::sail_python(root)?)
            .arg(root.join("tests/sail_server.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("no server output")?).read_line(&mut line)?;
        let port = line
            .trim()
            .parse()
            .with_context(|| format!("no port from Sail: {line:?}"))?;
        Ok(Sail { child, port })
    }

    fn url(&self) -> String {
        format!("sc://127.0.0.1:{}", self.port)
    }
}

impl Drop for Sail {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn report(root: &Path, dir: &Path, name: &str, args: &[&str]) -> Result<PathBuf> {
    let out = dir.join(name);
    let run = Command::new(env!("CARGO_BIN_EXE_report"))
        .current_dir(root)
        .arg("--quiet")
        .arg("--out")
        .arg(out.join("processed"))
        .arg("--interim")
        .arg(out.join("interim"))
        .arg("--reports")
        .arg(out.join("reports"))
        .args(args)
        .output()?;
    anyhow::ensure!(
        run.status.success(),
        "report {args:?} failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    Ok(out)
}

/// `report --engine spark` for every domain but stream, on the shipped samples,
/// writes the output tables a local run writes (floats to 1e-9 relative, rows in the
/// same order) and a report.
#[test]
fn reports_on_a_spark_engine_equal_the_local_runs() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sail = Sail::start(root)?;
    let dir = tempfile::tempdir()?;
    // TV and retail validate on the engine unless told otherwise; the others here.
    for (run, domain, tables, validate_on) in [
        (0, "tv", 9, None),
        (1, "tv", 9, Some("here")),
        (2, "wdi", 3, None),
        (3, "retail", 8, None),
        (6, "retail", 8, Some("here")),
        (4, "movies", 7, None),
        (5, "customer360", 6, None),
    ] {
        let local = report(
            root,
            dir.path(),
            &format!("{domain}-local-{run}"),
            &["--domain", domain],
        )?;
        // A token in the connection string (Sail ignores it) stays out of every file.
        let url = format!("{}/;token=secret-token-{domain}", sail.url());
        let mut remote_args = vec!["--domain", domain, "--engine", "spark", "--remote", &url];
        if let Some(place) = validate_on {
            remote_args.extend(["--validate-on", place]);
        }
        let remote = report(
            root,
            dir.path(),
            &format!("{domain}-remote-{run}"),
            &remote_args,
        )?;
        // Every row quarantined under the same rule, wherever the validation ran.
        if matches!(domain, "tv" | "retail") {
            let read = |run: &Path| std::fs::read(run.join("processed/quarantine_summary.csv"));
            assert_eq!(read(&local)?, read(&remote)?, "{validate_on:?}");
        }
        assert_eq!(
            same_tables(&local, &remote)?,
            tables,
            "{domain}: tables compared"
        );
        assert!(remote
            .join(format!("reports/{domain}/{domain}.html"))
            .exists());
    }
    // The engines read paths as patterns: an --interim folder with pattern
    // characters is refused, naming it, instead of reading other files.
    let pattern = dir.path().join("star*");
    let run = Command::new(env!("CARGO_BIN_EXE_report"))
        .current_dir(root)
        .args([
            "--quiet",
            "--domain",
            "wdi",
            "--engine",
            "spark",
            "--remote",
            &sail.url(),
        ])
        .arg("--out")
        .arg(pattern.join("processed"))
        .arg("--interim")
        .arg(pattern.join("interim"))
        .arg("--reports")
        .arg(pattern.join("reports"))
        .output()?;
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("which a Spark engine reads as a pattern"),
        "{stderr}"
    );
    Ok(())
}

/// Checks that every output Parquet file of run `local` is the same table in run
/// `remote`; returns how many there are.
fn same_tables(local: &Path, remote: &Path) -> Result<usize> {
    let mut compared = 0;
    for entry in std::fs::read_dir(local.join("processed"))? {
        let file = entry?.path();
        if file.extension().is_none_or(|e| e != "parquet") {
            continue;
        }
        let name = file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let ours = scan_parquet(&file)?.collect()?;
        let theirs = scan_parquet(&remote.join("processed").join(&name))?.collect()?;
        anyhow::ensure!(ours.height() > 0, "the local {name} is empty");
        smartview::testing::assert_same_table(&name, &ours, theirs, true)?;
        compared += 1;
    }
    Ok(compared)
}

/// A server that is not there, and flags that do not go together, are clear errors.
#[test]
fn a_missing_server_and_a_lone_remote_flag_are_clear_errors() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir()?;
    let error = report(
        root,
        dir.path(),
        "nowhere",
        &[
            "--domain",
            "tv",
            "--engine",
            "spark",
            "--remote",
            "sc://127.0.0.1:9",
        ],
    )
    .expect_err("no server listens on port 9")
    .to_string();
    assert!(
        error.contains("cannot connect to the Spark Connect server sc://127.0.0.1:9"),
        "{error}"
    );
    // A server that accepts and never answers is an error within the timeout.
    let silent = std::net::TcpListener::bind("127.0.0.1:0")?;
    let silent_url = format!("sc://{}", silent.local_addr()?);
    let started = std::time::Instant::now();
    let silent_args = [
        "--domain",
        "tv",
        "--engine",
        "spark",
        "--remote",
        &silent_url,
        "--engine-timeout",
        "3",
    ];
    let error = report(root, dir.path(), "silent", &silent_args)
        .expect_err("a silent server")
        .to_string();
    assert!(error.contains("gave no answer"), "{error}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    drop(silent);
    // Connection strings are checked on the command line (exit code 2).
    for bad in ["127.0.0.1:15002", "sc://host:99999", "sc://user:pw@host:1"] {
        let run = Command::new(env!("CARGO_BIN_EXE_report"))
            .args(["--domain", "tv", "--engine", "spark", "--remote", bad])
            .output()?;
        assert_eq!(run.status.code(), Some(2), "{bad}");
        assert!(
            !String::from_utf8_lossy(&run.stderr).contains("pw@"),
            "{bad}"
        );
    }
    let lone = Command::new(env!("CARGO_BIN_EXE_report"))
        .args(["--domain", "tv", "--remote", "sc://127.0.0.1:9"])
        .output()?;
    assert_eq!(lone.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&lone.stderr).contains("add --engine spark"));
    // Where to validate is a remote run's choice, the engine validates TV only, and
    // runs the domains wired so far.
    for (args, says) in [
        (
            &["--domain", "tv", "--validate-on", "here"][..],
            "add --engine spark",
        ),
        (
            &[
                "--domain",
                "wdi",
                "--engine",
                "spark",
                "--remote",
                "sc://127.0.0.1:9",
                "--validate-on",
                "engine",
            ][..],
            "--validate-on engine validates the TV and retail raw files so far",
        ),
        (
            &[
                "--domain",
                "stream",
                "--engine",
                "spark",
                "--remote",
                "sc://127.0.0.1:9",
            ][..],
            "--engine spark runs every domain but stream so far",
        ),
    ] {
        let run = Command::new(env!("CARGO_BIN_EXE_report"))
            .args(args)
            .output()?;
        assert_eq!(run.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    Ok(())
}
