//! Publishing a run's folders as complete versions, the promise Delta Lake and
//! Spark's committers make: a reader sees the previous complete result or the new
//! complete result, never a mix, and a run that fails publishes nothing.
//!
//! A run takes a [`RunLock`] on each folder it publishes, so that a second run on the
//! same folders stops with an error naming the holder (or waits for it, with a
//! message). It writes each folder's new version into a staging folder beside it
//! ([`Staged::begin`]: `<parent>/.<name>.staging`), and only once every delivery
//! has succeeded switches the staging folder with the published one
//! ([`Staged::publish`]): one atomic `renameat2(RENAME_EXCHANGE)`, after which the
//! previous version, now under the staging name, is removed. Where the file system
//! cannot exchange two folders, two renames are used (the published folder to
//! `.<name>.previous`, the staging folder to its place), and a run killed between them
//! leaves the previous version to be put back by the next run. Whatever a killed run
//! left behind (a staging folder, temporary files inside it, a previous version) is
//! cleared when the next run begins, under the lock.

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
        let command: Vec<String> = std::env::args().collect();
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

/// A folder's next version, written beside it and published in one switch. Dropped
/// without [`Staged::publish`] (the run failed), the staging folder is removed.
#[derive(Debug)]
pub struct Staged {
    target: PathBuf,
    staging: PathBuf,
    published: bool,
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.published {
            // Best effort: what is left is cleared by the next run's `begin`.
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

impl Staged {
    /// Starts the next version of `target`: finishes or undoes what a killed run left
    /// (see the module doc), then creates an empty staging folder. Call it under the
    /// folder's [`RunLock`].
    ///
    /// # Errors
    /// When a leftover cannot be removed or put back, or the staging folder cannot be
    /// created; the message names the path.
    pub fn begin(target: &Path) -> Result<Staged> {
        let staging = sibling(target, "staging")?;
        let previous = sibling(target, "previous")?;
        if previous.exists() {
            if target.exists() {
                remove_folder(&previous)?;
            } else {
                std::fs::rename(&previous, target).with_context(|| {
                    format!(
                        "cannot put the previous version {} back in place",
                        previous.display()
                    )
                })?;
            }
        }
        if staging.exists() {
            remove_folder(&staging)?;
        }
        std::fs::create_dir_all(&staging)
            .with_context(|| format!("cannot create {}", staging.display()))?;
        Ok(Staged {
            target: target.to_path_buf(),
            staging,
            published: false,
        })
    }

    /// Where the next version is written.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// The published folder.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Switches the staged version in: readers of the folder see the new version from
    /// here on, and the previous one is removed.
    ///
    /// # Errors
    /// When the switch or the removal fails; the message names the folders. A switch
    /// that failed leaves the previous version published.
    pub fn publish(mut self) -> Result<()> {
        // From here on the staging folder is the switch's business, not `drop`'s.
        self.published = true;
        if !self.target.exists() {
            return std::fs::rename(&self.staging, &self.target).with_context(|| {
                format!(
                    "cannot publish {} as {}",
                    self.staging.display(),
                    self.target.display()
                )
            });
        }
        match exchange(&self.staging, &self.target) {
            Ok(()) => remove_folder(&self.staging),
            Err(error) if exchange_unsupported(&error) => {
                let previous = sibling(&self.target, "previous")?;
                std::fs::rename(&self.target, &previous)
                    .with_context(|| format!("cannot move {} aside", self.target.display()))?;
                std::fs::rename(&self.staging, &self.target).with_context(|| {
                    format!(
                        "cannot publish {}; the previous version is in {} and the next \
                         run puts it back",
                        self.target.display(),
                        previous.display()
                    )
                })?;
                remove_folder(&previous)
            }
            Err(error) => Err(error).with_context(|| {
                format!(
                    "cannot switch {} with {}",
                    self.staging.display(),
                    self.target.display()
                )
            }),
        }
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

    fn write(path: &Path, text: &str) -> Result<()> {
        std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
        Ok(std::fs::write(path, text)?)
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_default()
    }

    #[test]
    fn a_staged_version_replaces_the_published_one_whole() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("tv");
        write(&target.join("a.csv"), "old a")?;
        write(&target.join("gone.csv"), "only in the old version")?;
        let staged = Staged::begin(&target)?;
        write(&staged.path().join("a.csv"), "new a")?;
        assert_eq!(read(&target.join("a.csv")), "old a", "not published yet");
        staged.publish()?;
        assert_eq!(read(&target.join("a.csv")), "new a");
        assert!(!target.join("gone.csv").exists());
        let names: Vec<String> = std::fs::read_dir(dir.path())?
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<std::io::Result<_>>()?;
        assert_eq!(names, ["tv"], "no staging or previous version left");
        Ok(())
    }

    #[test]
    fn the_first_version_is_published_by_a_rename() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("new");
        let staged = Staged::begin(&target)?;
        write(&staged.path().join("t.csv"), "x")?;
        staged.publish()?;
        assert_eq!(read(&target.join("t.csv")), "x");
        Ok(())
    }

    #[test]
    fn a_killed_run_leaves_nothing_the_next_one_keeps() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("tv");
        write(&target.join("a.csv"), "old")?;
        // Killed while writing: a staging folder with a temporary file.
        write(&sibling(&target, "staging")?.join("a.csv.tmp#1"), "partial")?;
        let staged = Staged::begin(&target)?;
        assert_eq!(std::fs::read_dir(staged.path())?.count(), 0, "starts empty");
        drop(staged);
        // Killed between the two renames of the fallback: only the previous version.
        std::fs::rename(&target, sibling(&target, "previous")?)?;
        Staged::begin(&target)?;
        assert_eq!(
            read(&target.join("a.csv")),
            "old",
            "the previous version is back"
        );
        assert!(!sibling(&target, "previous")?.exists());
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
