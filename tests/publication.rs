//! Issue 16: a run's results are published whole. The `report` binary is killed with
//! SIGKILL at many moments of a TV run, and after each kill the output, interim and
//! report folders each hold the previous or the new complete version; the next run
//! gives the bytes of an undisturbed one and leaves no temporary file. Two runs on the
//! same folders at once end with one complete result and a clear message from the
//! other.
//!
//! `SMARTVIEW_KILL_ROWS` sets the viewing rows (default 100,000) and
//! `SMARTVIEW_REPORT_BIN` the `report` binary (default: this build's), so that the
//! harness also runs on a few million rows with a release build (figures in
//! `BENCHMARKS.md`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{ensure, Result};
use smartview::domains::tv::datagen;

/// Every file under `folder`, by relative path, with its bytes.
fn snapshot(folder: &Path) -> Result<BTreeMap<PathBuf, Vec<u8>>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(dir) = pending.pop() {
        if !dir.exists() {
            continue;
        }
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(folder)?.to_path_buf();
                files.insert(relative, std::fs::read(&path)?);
            }
        }
    }
    Ok(files)
}

/// The folders a TV run under `root` publishes.
struct Folders {
    processed: PathBuf,
    interim: PathBuf,
    reports: PathBuf,
}

impl Folders {
    fn under(root: &Path) -> Folders {
        Folders {
            processed: root.join("processed").join("tv"),
            interim: root.join("interim").join("tv"),
            reports: root.join("reports"),
        }
    }
}

/// What a complete version of the three folders holds: the output tables and the
/// report byte for byte, the interim tables by name (the row order of the interim
/// aggregates follows the threads).
#[derive(Debug, PartialEq)]
struct Version {
    processed: BTreeMap<PathBuf, Vec<u8>>,
    report: BTreeMap<PathBuf, Vec<u8>>,
    interim_files: Vec<PathBuf>,
}

fn version(root: &Path) -> Result<Version> {
    let folders = Folders::under(root);
    Ok(Version {
        processed: snapshot(&folders.processed)?,
        report: snapshot(&folders.reports.join("tv"))?,
        interim_files: snapshot(&folders.interim)?.into_keys().collect(),
    })
}

fn report(raw: &Path, root: &Path, extra: &[&str]) -> Command {
    let folders = Folders::under(root);
    let binary = std::env::var_os("SMARTVIEW_REPORT_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_report").into());
    let mut command = Command::new(binary);
    command
        .args(["--domain", "tv", "--quiet", "--raw"])
        .arg(raw)
        .arg("--out")
        .arg(&folders.processed)
        .arg("--interim")
        .arg(&folders.interim)
        .arg("--reports")
        .arg(&folders.reports)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

fn run_to_end(raw: &Path, root: &Path) -> Result<Duration> {
    let started = Instant::now();
    let output = report(raw, root, &[]).output()?;
    ensure!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(started.elapsed())
}

/// Paths under `root` a finished run must not leave: staging and previous versions,
/// temporary files.
fn leftovers(root: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let name = name.unwrap_or_default();
            if name.ends_with(".staging") || name.ends_with(".previous") || name.contains(".tmp") {
                found.push(path.clone());
            }
            if path.is_dir() {
                pending.push(path);
            }
        }
    }
    Ok(found)
}

fn generate(raw: &Path, seed: u64) -> Result<()> {
    let rows = std::env::var("SMARTVIEW_KILL_ROWS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(100_000);
    datagen::generate(
        raw,
        &datagen::TvGenConfig {
            viewing_rows: rows,
            seed,
            viewing_files: 2,
        },
    )?;
    Ok(())
}

#[test]
fn a_run_killed_at_any_moment_leaves_a_complete_version() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (raw_a, raw_b) = (dir.path().join("raw_a"), dir.path().join("raw_b"));
    generate(&raw_a, 1)?;
    generate(&raw_b, 2)?;
    // Undisturbed runs of each input, for reference.
    run_to_end(&raw_a, &dir.path().join("ref_a"))?;
    let duration = run_to_end(&raw_b, &dir.path().join("ref_b"))?;
    let (old, new) = (
        version(&dir.path().join("ref_a"))?,
        version(&dir.path().join("ref_b"))?,
    );
    assert_ne!(old.processed, new.processed, "the two inputs differ");

    let root = dir.path().join("data");
    run_to_end(&raw_a, &root)?;
    let moments = 12;
    let mut seen = BTreeMap::new();
    for moment in 0..moments {
        let delay = duration.mul_f64(f64::from(moment) / f64::from(moments - 1));
        let mut child = report(&raw_b, &root, &[]).spawn()?;
        if moment + 1 < moments {
            std::thread::sleep(delay);
            child.kill()?;
        }
        // The last run is left to finish, so that the new version is seen too.
        child.wait()?;
        let now = version(&root)?;
        let folders = [
            (
                "processed",
                now.processed == old.processed,
                now.processed == new.processed,
            ),
            ("report", now.report == old.report, now.report == new.report),
            (
                "interim",
                now.interim_files == old.interim_files,
                now.interim_files == new.interim_files,
            ),
        ];
        for (folder, is_old, is_new) in folders {
            assert!(
                is_old || is_new,
                "killed after {delay:?}: {folder} is neither the previous nor the new version"
            );
            *seen.entry((folder, is_new)).or_insert(0) += 1;
        }
    }
    // The kills spread over the run: some before the switch, maybe some after it, and
    // the last run finishes.
    assert!(seen.contains_key(&("processed", false)), "{seen:?}");
    assert!(seen.contains_key(&("processed", true)), "{seen:?}");

    run_to_end(&raw_b, &root)?;
    assert_eq!(
        version(&root)?,
        new,
        "the rerun gives an undisturbed run's result"
    );
    assert_eq!(leftovers(&root)?, Vec::<PathBuf>::new());
    Ok(())
}

#[test]
fn a_second_run_on_the_same_folders_stops_naming_the_first_or_waits() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let raw = dir.path().join("raw");
    generate(&raw, 3)?;
    run_to_end(&raw, &dir.path().join("ref"))?;
    let expected = version(&dir.path().join("ref"))?;

    let root = dir.path().join("data");
    let first = report(&raw, &root, &[]).spawn()?;
    std::thread::sleep(Duration::from_millis(200));
    let second = report(&raw, &root, &[]).output()?;
    let waiting = report(&raw, &root, &["--wait"]).spawn()?;
    let first = first.wait_with_output()?;
    let waiting = waiting.wait_with_output()?;
    ensure!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(second.status.code(), Some(1));
    let message = String::from_utf8_lossy(&second.stderr);
    assert!(
        message.contains("is being written by another run (pid ") && message.contains("--wait"),
        "{message}"
    );
    ensure!(
        waiting.status.success(),
        "{}",
        String::from_utf8_lossy(&waiting.stderr)
    );
    assert_eq!(version(&root)?, expected);
    assert_eq!(leftovers(&root)?, Vec::<PathBuf>::new());
    Ok(())
}

/// Fault 1's full disk: every write of the run fails with "File too large" past a
/// few KB (`ulimit -f`, the signal ignored, as a full disk fails writes), and the
/// previous version stays published, whole, with nothing of the failed run left.
#[test]
fn a_run_whose_writes_fail_publishes_nothing() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (raw_a, raw_b) = (dir.path().join("raw_a"), dir.path().join("raw_b"));
    generate(&raw_a, 1)?;
    generate(&raw_b, 2)?;
    let root = dir.path().join("data");
    run_to_end(&raw_a, &root)?;
    let before = version(&root)?;
    let run = report(&raw_b, &root, &[]);
    let mut limited = Command::new("sh");
    limited
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 64; exec \"$0\" \"$@\"")
        .arg(run.get_program())
        .args(run.get_args())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let output = limited.output()?;
    let message = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("File too large"), "{message}");
    assert_eq!(version(&root)?, before);
    assert_eq!(leftovers(&root)?, Vec::<PathBuf>::new());
    Ok(())
}
