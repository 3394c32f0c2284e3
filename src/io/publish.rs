//! Publishing a run's folders as one complete version, the promise Delta Lake and
//! Spark's committers make: a reader sees the previous complete result or the new
//! complete result, never a mix, and a run that fails publishes nothing.
//!
//! A [`Publication`] covers the folders of one run (a domain's output, interim and
//! report folders). It locks each ([`RunLock`]: a second run on them stops with an
//! error naming the holder, or waits), refuses folders that hold files SmartView did
//! not write, and writes each folder's new version into a staging folder beside it
//! (`<parent>/.<name>.staging`). Only once every delivery has succeeded does
//! [`Publication::commit`] switch them in: it flushes the staged files to the disk,
//! writes a journal naming the folders
//! (`.<first>.publishing`), switches each staging folder with the published one (one
//! atomic `renameat2(RENAME_EXCHANGE)`, or two renames where the file system cannot
//! exchange), marks each switch in the journal, removes the journal, then the previous
//! versions. A run killed during the switches leaves the journal, and the next run
//! finishes them before anything else, so that the folders end on one version.
//! Whatever else a killed or failed run left (staging folders, temporary files,
//! previous versions) is cleared when the next run begins.

use std::ffi::CString;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};

/// `<parent>/.<name>.<kind>`: the hidden sibling of `folder` used for its lock, its
/// staging version or its previous version.
fn sibling(folder: &Path, kind: &str) -> Result<PathBuf> {
    let name = folder
        .file_name()
        .ok_or_else(|| anyhow!("{} has no folder name to publish under", folder.display()))?;
    let mut hidden = std::ffi::OsString::from(".");
    hidden.push(name);
    hidden.push(format!(".{kind}"));
    Ok(folder.with_file_name(hidden))
}

/// An exclusive lock on a published folder, held until it is dropped (or the process
/// ends, however it ends): `<parent>/.<name>.lock`, which names its holder.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

impl RunLock {
    /// Locks `folder` for this run. When another run holds it: with `wait`, says so on
    /// standard error and waits; without, fails naming the holder.
    ///
    /// # Errors
    /// When the lock file cannot be created (the folder's parent is missing or not
    /// writable), or another run holds the lock and `wait` is false; the message names
    /// the folder and the holder.
    pub fn acquire(folder: &Path, wait: bool) -> Result<RunLock> {
        let path = sibling(folder, "lock")?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("cannot create the lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = holder_of(&mut file);
                if !wait {
                    bail!(
                        "{} is being written by another run ({holder}); this run stops so \
                         that the two do not mix their results. Consider --wait to wait \
                         for it",
                        folder.display()
                    );
                }
                eprintln!(
                    "waiting for another run ({holder}) to finish writing {}",
                    folder.display()
                );
                file.lock()
                    .with_context(|| format!("cannot lock {}", path.display()))?;
            }
            Err(TryLockError::Error(error)) => {
                return Err(error).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        // Connection strings may carry credentials (`;token=…`, `user:password@`):
        // the lock, which others read, keeps the server alone.
        let command: Vec<String> = std::env::args()
            .map(|arg| without_credentials(&arg))
            .collect();
        write!(
            file,
            "pid {}, since {}: {}",
            std::process::id(),
            chrono::Local::now().format("%Y-%m-%d %H:%M:%S"),
            command.join(" ")
        )?;
        Ok(RunLock { _file: file })
    }
}

/// `arg` without the credentials a connection string may carry: an `sc://` URL
/// keeps its host and port, its user information and parameters are left out.
pub fn without_credentials(arg: &str) -> String {
    let Some(start) = arg.find("sc://") else {
        return arg.to_string();
    };
    let (before, url) = arg.split_at(start);
    let rest = &url["sc://".len()..];
    let end = rest.find(['/', ';']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let hidden = match (end < rest.len(), authority.contains('@')) {
        (false, false) => "",
        _ => "/;…",
    };
    format!("{before}sc://{host}{hidden}")
}

/// What the lock file says about the run holding it.
fn holder_of(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.read_to_string(&mut text);
    let text: String = text.chars().take(200).collect();
    if text.trim().is_empty() {
        "a run that has not said who it is".to_string()
    } else {
        text
    }
}

/// The marker every published folder holds, so that a folder SmartView did not
/// write is never replaced.
const MARKER: &str = ".smartview";

/// The extensions of the files earlier versions wrote without a marker: a folder
/// holding only these (and `_SUCCESS`) may be replaced.
const WRITTEN_EXTENSIONS: [&str; 6] = ["parquet", "csv", "html", "md", "svg", "sqlite"];

/// The folders of one run, published together (see the module doc).
#[derive(Debug)]
pub struct Publication {
    journal: PathBuf,
    folders: Vec<Folder>,
    committed: bool,
    _locks: Vec<RunLock>,
}

/// One folder of a publication: where it is published and where its next version is
/// written.
#[derive(Debug)]
struct Folder {
    target: PathBuf,
    staging: PathBuf,
}

impl Publication {
    /// Starts the next version of `folders`: locks each (in the order given, the same
    /// for every run, so that waiting runs cannot deadlock), finishes the switches of
    /// a run killed while committing, clears other leftovers, checks that each folder
    /// may be replaced, and creates an empty staging folder for each. A folder that is
    /// a symbolic link is published where it points.
    ///
    /// # Errors
    /// When two folders are the same or one is inside another; when a lock is held and
    /// `wait` is false; when a folder holds files SmartView did not write; or when a
    /// leftover cannot be cleared or a staging folder created. The message names the
    /// folder.
    pub fn begin(folders: &[&Path], wait: bool) -> Result<Publication> {
        let targets = folders
            .iter()
            .map(|folder| resolved(folder))
            .collect::<Result<Vec<_>>>()?;
        for (i, a) in targets.iter().enumerate() {
            for b in &targets[i + 1..] {
                if a.starts_with(b) || b.starts_with(a) {
                    bail!(
                        "{} and {} are the same folder or one holds the other: a run's \
                         output, interim and report folders must be apart. Consider \
                         separate folders",
                        a.display(),
                        b.display()
                    );
                }
            }
        }
        let locks = targets
            .iter()
            .map(|target| RunLock::acquire(target, wait))
            .collect::<Result<Vec<_>>>()?;
        let journal = sibling(&targets[0], "publishing")?;
        finish_switches(&journal)?;
        let mut staged = Vec::new();
        for target in targets {
            clear_leftovers(&target)?;
            check_replaceable(&target)?;
            let staging = sibling(&target, "staging")?;
            std::fs::create_dir_all(&staging)
                .with_context(|| format!("cannot create {}", staging.display()))?;
            File::create(staging.join(MARKER))
                .with_context(|| format!("cannot write {}", staging.display()))?;
            staged.push(Folder { target, staging });
        }
        Ok(Publication {
            journal,
            folders: staged,
            committed: false,
            _locks: locks,
        })
    }

    /// Where the next version of the `index`-th folder (in `begin`'s order) is
    /// written.
    ///
    /// # Panics
    /// When `index` is not that of a folder given to `begin`.
    pub fn staging(&self, index: usize) -> &Path {
        &self.folders[index].staging
    }

    /// Switches every staged folder in (see the module doc): readers see the new
    /// versions from here on, and the previous ones are removed.
    ///
    /// # Errors
    /// When the journal, a switch or a removal fails; the message names the path. A
    /// switch that failed is finished by the next run, from the journal.
    pub fn commit(mut self) -> Result<()> {
        self.committed = true;
        // The staged files reach the disk before the journal says they are complete:
        // after a power loss, a switch finished from the journal never brings in a
        // folder of empty or partial files.
        for folder in &self.folders {
            sync_tree(&folder.staging)?;
        }
        let mut journal = String::new();
        for folder in &self.folders {
            journal.push_str(&format!("switch\t{}\n", folder.target.display()));
        }
        write_synced(&self.journal, journal.as_bytes())?;
        for folder in &self.folders {
            switch(&folder.staging, &folder.target)?;
            if let Some(parent) = folder.target.parent() {
                sync_folder(parent)?;
            }
            journal.push_str(&format!("done\t{}\n", folder.target.display()));
            write_synced(&self.journal, journal.as_bytes())?;
        }
        std::fs::remove_file(&self.journal)
            .with_context(|| format!("cannot remove {}", self.journal.display()))?;
        for folder in &self.folders {
            clear_leftovers(&folder.target)?;
        }
        Ok(())
    }
}

impl Drop for Publication {
    fn drop(&mut self) {
        if !self.committed {
            // The run failed: its staging folders go (best effort; the next run's
            // `begin` clears what is left).
            let staging: Vec<&Path> = self.folders.iter().map(|f| f.staging.as_path()).collect();
            remove_until_settled(&staging);
        }
    }
}

/// How long the staging folders of a failed run must stay gone before
/// [`remove_until_settled`] stops watching them.
const SETTLE_QUIET: std::time::Duration = std::time::Duration::from_millis(50);
/// How long [`remove_until_settled`] watches them at most.
const SETTLE_LIMIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Removes `folders` and keeps removing them until none has come back for
/// [`SETTLE_QUIET`] (at most [`SETTLE_LIMIT`]). When a query fails, Polars returns
/// its error while the file tasks of its other sinks may still be finishing on its
/// I/O runtime, and such a task can create its file (and folder) after a first
/// removal: a run whose writes failed then left a staging folder behind.
fn remove_until_settled(folders: &[&Path]) {
    let started = std::time::Instant::now();
    loop {
        let mut present = false;
        for folder in folders {
            if folder.symlink_metadata().is_ok() {
                present = true;
                let _ = std::fs::remove_dir_all(folder);
            }
        }
        if (!present && started.elapsed() >= SETTLE_QUIET) || started.elapsed() >= SETTLE_LIMIT {
            return;
        }
        std::thread::sleep(SETTLE_QUIET);
    }
}

/// `folder`, or where it points when it is a symbolic link.
fn resolved(folder: &Path) -> Result<PathBuf> {
    let is_link = folder
        .symlink_metadata()
        .is_ok_and(|meta| meta.file_type().is_symlink());
    let path = if is_link {
        std::fs::canonicalize(folder)
            .with_context(|| format!("cannot follow the link {}", folder.display()))?
    } else {
        folder.to_path_buf()
    };
    // Compared by absolute path, so that `a` and `./a` are the same folder.
    Ok(std::path::absolute(&path).unwrap_or(path))
}

/// Flushes every file under `folder`, then the folders themselves (their entries), to
/// the disk.
fn sync_tree(folder: &Path) -> Result<()> {
    let entries =
        std::fs::read_dir(folder).with_context(|| format!("cannot list {}", folder.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", folder.display()))?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            sync_tree(&path)?;
        } else {
            File::open(&path)
                .and_then(|file| file.sync_all())
                .with_context(|| format!("cannot flush {} to the disk", path.display()))?;
        }
    }
    sync_folder(folder)
}

/// Flushes a folder's entries (names created, renamed or removed) to the disk.
fn sync_folder(folder: &Path) -> Result<()> {
    File::open(folder)
        .and_then(|file| file.sync_all())
        .with_context(|| format!("cannot flush the folder {} to the disk", folder.display()))
}

/// Writes `path` whole and flushes it to the disk.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file =
        File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Finishes the switches a run killed while committing left in its `journal`: each
/// folder not marked done whose staging folder is still there is switched in (the
/// staging folders were complete before the journal was written).
fn finish_switches(journal: &Path) -> Result<()> {
    let text = match std::fs::read_to_string(journal) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => {
            return Err(error).with_context(|| format!("cannot read {}", journal.display()))
        }
    };
    let mut switches: Vec<&str> = Vec::new();
    let mut done: Vec<&str> = Vec::new();
    for line in text.lines() {
        match line.split_once('\t') {
            Some(("switch", target)) => switches.push(target),
            Some(("done", target)) => done.push(target),
            _ => {}
        }
    }
    for target in switches.into_iter().filter(|t| !done.contains(t)) {
        let target = Path::new(target);
        let staging = sibling(target, "staging")?;
        if staging.exists() {
            switch(&staging, target)?;
        }
    }
    std::fs::remove_file(journal).with_context(|| format!("cannot remove {}", journal.display()))
}

/// Clears what a killed or failed run left beside `target`: a staging folder, or a
/// previous version (put back when the published one is missing).
fn clear_leftovers(target: &Path) -> Result<()> {
    let staging = sibling(target, "staging")?;
    let previous = sibling(target, "previous")?;
    if previous.exists() {
        if target.exists() {
            remove_folder(&previous)?;
        } else {
            std::fs::rename(&previous, target)
                .with_context(|| format!("cannot put {} back in place", previous.display()))?;
        }
    }
    if staging.exists() {
        remove_folder(&staging)?;
    }
    Ok(())
}

/// Refuses to replace a folder that holds files SmartView did not write: one without
/// the marker, unless it holds only the files earlier versions wrote.
fn check_replaceable(target: &Path) -> Result<()> {
    if !target.exists() || target.join(MARKER).exists() {
        return Ok(());
    }
    if !target.is_dir() {
        bail!(
            "{} is not a folder, so it cannot hold a run's results. Consider another path",
            target.display()
        );
    }
    if let Some(foreign) = foreign_file(target)? {
        bail!(
            "{} holds files SmartView did not write (such as {}), and publishing would \
             replace the whole folder. Consider an empty or new folder for the results",
            target.display(),
            foreign.display()
        );
    }
    Ok(())
}

/// The first file under `dir` that is not of a kind SmartView writes.
fn foreign_file(dir: &Path) -> Result<Option<PathBuf>> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            if let Some(found) = foreign_file(&path)? {
                return Ok(Some(found));
            }
            continue;
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let ours = name.as_deref() == Some("_SUCCESS")
            || path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| WRITTEN_EXTENSIONS.contains(&e));
        if !ours {
            return Ok(Some(path));
        }
    }
    Ok(None)
}

/// Puts `staging` in `target`'s place: one exchange where the file system can (the
/// previous version is then at `staging`), else two renames (the previous version at
/// `.<name>.previous`); a plain rename when nothing is published yet.
fn switch(staging: &Path, target: &Path) -> Result<()> {
    if !target.exists() {
        return std::fs::rename(staging, target).with_context(|| {
            format!(
                "cannot publish {} as {}",
                staging.display(),
                target.display()
            )
        });
    }
    match exchange(staging, target) {
        Ok(()) => Ok(()),
        Err(error) if exchange_unsupported(&error) => {
            let previous = sibling(target, "previous")?;
            std::fs::rename(target, &previous)
                .with_context(|| format!("cannot move {} aside", target.display()))?;
            std::fs::rename(staging, target)
                .with_context(|| format!("cannot publish {}", target.display()))
        }
        Err(error) => Err(error).with_context(|| {
            format!(
                "cannot switch {} with {}",
                staging.display(),
                target.display()
            )
        }),
    }
}

fn remove_folder(folder: &Path) -> Result<()> {
    std::fs::remove_dir_all(folder).with_context(|| format!("cannot remove {}", folder.display()))
}

/// Swaps two paths atomically (Linux `renameat2` with `RENAME_EXCHANGE`).
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    let c = |path: &Path| {
        CString::new(path.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
    let status = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if status == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Whether `exchange` failed because the system or file system cannot exchange.
fn exchange_unsupported(error: &std::io::Error) -> bool {
    matches!(
        error.raw_os_error(),
        Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A write that lands after a failed run's first removal of its staging folder
    /// (a sink still finishing) is removed too.
    #[test]
    fn staging_written_after_its_removal_is_removed_too() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let staging = dir.path().join(".out.staging");
        std::fs::create_dir_all(staging.join("quarantine"))?;
        let late = staging.join("quarantine/viewing.parquet.1.tmp");
        let writer = {
            let (staging, late) = (staging.clone(), late.clone());
            std::thread::spawn(move || -> std::io::Result<()> {
                while staging.exists() {
                    std::thread::yield_now();
                }
                std::fs::create_dir_all(late.parent().expect("a parent"))?;
                std::fs::write(&late, b"late")
            })
        };
        remove_until_settled(&[staging.as_path()]);
        writer.join().expect("the late writer")?;
        assert!(!staging.exists(), "{} is left", late.display());
        Ok(())
    }

    /// A lock file shows the command line: a connection string's token, password
    /// and other parameters stay out of it.
    #[test]
    fn connection_strings_lose_their_credentials() {
        for (arg, shown) in [
            (
                "sc://host:15002/;token=SECRET;use_ssl=true",
                "sc://host:15002/;…",
            ),
            ("sc://user:SECRET@host:15002", "sc://host:15002/;…"),
            (
                "--remote=sc://host:1;token=SECRET",
                "--remote=sc://host:1/;…",
            ),
            ("sc://host:15002", "sc://host:15002"),
            ("data/raw/tv", "data/raw/tv"),
        ] {
            assert_eq!(without_credentials(arg), shown);
        }
    }

    fn write(path: &Path, text: &str) -> Result<()> {
        std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
        Ok(std::fs::write(path, text)?)
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_default()
    }

    fn names(dir: &Path) -> Result<Vec<String>> {
        let mut names: Vec<String> = std::fs::read_dir(dir)?
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<std::io::Result<_>>()?;
        names.sort();
        Ok(names)
    }

    #[test]
    fn staged_versions_replace_the_published_ones_whole() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let (out, interim) = (dir.path().join("out"), dir.path().join("interim"));
        let first = Publication::begin(&[&out, &interim], false)?;
        write(&first.staging(0).join("a.csv"), "old a")?;
        write(
            &first.staging(0).join("gone.csv"),
            "only in the old version",
        )?;
        write(&first.staging(1).join("i.parquet"), "old i")?;
        first.commit()?;
        let second = Publication::begin(&[&out, &interim], false)?;
        write(&second.staging(0).join("a.csv"), "new a")?;
        write(&second.staging(1).join("i.parquet"), "new i")?;
        assert_eq!(read(&out.join("a.csv")), "old a", "not published yet");
        second.commit()?;
        assert_eq!(read(&out.join("a.csv")), "new a");
        assert_eq!(read(&interim.join("i.parquet")), "new i");
        assert!(!out.join("gone.csv").exists());
        assert_eq!(
            names(dir.path())?,
            [".interim.lock", ".out.lock", "interim", "out"],
            "no staging, previous version or journal left"
        );
        Ok(())
    }

    #[test]
    fn a_failed_run_leaves_the_published_version_and_no_staging() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let out = dir.path().join("out");
        let first = Publication::begin(&[&out], false)?;
        write(&first.staging(0).join("a.csv"), "old")?;
        first.commit()?;
        let failed = Publication::begin(&[&out], false)?;
        write(&failed.staging(0).join("a.csv.tmp"), "partial")?;
        drop(failed);
        assert_eq!(read(&out.join("a.csv")), "old");
        assert!(!sibling(&out, "staging")?.exists());
        Ok(())
    }

    #[test]
    fn the_next_run_clears_what_a_killed_run_left() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let out = dir.path().join("out");
        let first = Publication::begin(&[&out], false)?;
        write(&first.staging(0).join("a.csv"), "old")?;
        first.commit()?;
        // Killed while writing: a staging folder with a temporary file.
        write(&sibling(&out, "staging")?.join("a.csv.tmp"), "partial")?;
        let next = Publication::begin(&[&out], false)?;
        assert_eq!(names(next.staging(0))?, [MARKER], "starts empty");
        drop(next);
        // Killed between the two renames of the fallback switch, outside a journal:
        // only the previous version is left, and it is put back.
        std::fs::rename(&out, sibling(&out, "previous")?)?;
        drop(Publication::begin(&[&out], false)?);
        assert_eq!(read(&out.join("a.csv")), "old");
        Ok(())
    }

    /// A run killed between the switches of its folders: the next run finishes them
    /// from the journal, so that both folders end on the new version.
    #[test]
    fn switches_a_killed_run_began_are_finished_by_the_next() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let (out, reports) = (dir.path().join("out"), dir.path().join("reports"));
        let first = Publication::begin(&[&out, &reports], false)?;
        write(&first.staging(0).join("t.csv"), "old t")?;
        write(&first.staging(1).join("r.html"), "old r")?;
        first.commit()?;
        let mut second = Publication::begin(&[&out, &reports], false)?;
        write(&second.staging(0).join("t.csv"), "new t")?;
        write(&second.staging(1).join("r.html"), "new r")?;
        // What `commit` does until the kill: the journal, the first switch, its mark.
        let journal = sibling(&out, "publishing")?;
        let lines = format!(
            "switch\t{}\nswitch\t{}\n",
            second.folders[0].target.display(),
            second.folders[1].target.display()
        );
        write_synced(&journal, lines.as_bytes())?;
        switch(second.staging(0), &second.folders[0].target)?;
        let done = format!("{lines}done\t{}\n", second.folders[0].target.display());
        write_synced(&journal, done.as_bytes())?;
        // Killed: the locks go with the process, and nothing else is cleaned up.
        drop(std::mem::take(&mut second._locks));
        std::mem::forget(second);
        assert_eq!(read(&out.join("t.csv")), "new t");
        assert_eq!(
            read(&reports.join("r.html")),
            "old r",
            "a mix, until the next run"
        );
        drop(Publication::begin(&[&out, &reports], false)?);
        assert_eq!(read(&out.join("t.csv")), "new t");
        assert_eq!(read(&reports.join("r.html")), "new r");
        assert!(!journal.exists());
        Ok(())
    }

    #[test]
    fn folders_with_other_files_or_inside_each_other_are_refused() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let mine = dir.path().join("mine");
        write(&mine.join("notes.txt"), "kept")?;
        write(&mine.join("data.xlsx"), "kept")?;
        let refused = Publication::begin(&[&mine], false)
            .err()
            .map(|e| e.to_string());
        let message = refused.unwrap_or_default();
        assert!(
            message.contains("holds files SmartView did not write")
                && message.contains("data.xlsx"),
            "{message}"
        );
        assert!(mine.join("data.xlsx").exists());
        // Tables an earlier version wrote, without the marker, may be replaced.
        let old = dir.path().join("old");
        write(&old.join("top.parquet"), "x")?;
        write(&old.join("_SUCCESS"), "x")?;
        drop(Publication::begin(&[&old], false)?);
        let nested = Publication::begin(&[&old, &old.join("interim")], false);
        let message = nested.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("one holds the other"), "{message}");
        let same = Publication::begin(&[&old, &dir.path().join("./old")], false);
        assert!(same.is_err(), "the same folder twice");
        Ok(())
    }

    #[test]
    fn a_second_run_is_refused_naming_the_first_or_waits() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("tv");
        let first = RunLock::acquire(&target, false)?;
        let refused = RunLock::acquire(&target, false)
            .err()
            .map(|e| e.to_string());
        let message = refused.unwrap_or_default();
        assert!(
            message.contains("being written by another run (pid ")
                && message.contains(&std::process::id().to_string())
                && message.contains("--wait"),
            "{message}"
        );
        let waiter = std::thread::spawn(move || RunLock::acquire(&target, true).map(|_| ()));
        std::thread::sleep(std::time::Duration::from_millis(100));
        drop(first);
        assert!(
            waiter.join().is_ok_and(|r| r.is_ok()),
            "the waiting run goes on"
        );
        Ok(())
    }
}
