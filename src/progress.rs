//! Stage progress for long runs: each stage's name, wall time and row count on
//! standard error, and the process's peak memory.

use std::time::{Duration, Instant};

/// One finished stage.
#[derive(Clone, Debug)]
pub struct StageTiming {
    pub name: String,
    pub wall: Duration,
    /// Rows the stage read, when it is meaningful.
    pub rows: Option<u64>,
}

/// Prints and records stages as they finish.
#[derive(Debug)]
pub struct Progress {
    domain: String,
    quiet: bool,
    started: Instant,
    stage_started: Instant,
    pub stages: Vec<StageTiming>,
}

impl Progress {
    pub fn new(domain: &str, quiet: bool) -> Self {
        let now = Instant::now();
        Progress {
            domain: domain.to_string(),
            quiet,
            started: now,
            stage_started: now,
            stages: Vec::new(),
        }
    }

    /// Closes the current stage under `name`; `rows` it processed, if known.
    pub fn done(&mut self, name: &str, rows: Option<u64>) {
        let wall = self.stage_started.elapsed();
        if !self.quiet {
            let rows_text = rows
                .map(|r| format!(", {} rows", thousands(r)))
                .unwrap_or_default();
            let peak_text = peak_rss_bytes()
                .map(|b| format!(" (peak memory so far {} MB)", thousands(b / 1_000_000)))
                .unwrap_or_default();
            eprintln!(
                "[{}] {name}: {:.2} s{rows_text}{peak_text}",
                self.domain,
                wall.as_secs_f64()
            );
        }
        self.stages.push(StageTiming {
            name: name.to_string(),
            wall,
            rows,
        });
        self.stage_started = Instant::now();
    }

    /// A progress for stages that run on another thread alongside this one's: it
    /// prints the same way and times its first stage from now.
    /// [`Progress::absorb`] takes its stages back.
    pub fn beside(&self) -> Progress {
        Progress {
            domain: self.domain.clone(),
            quiet: self.quiet,
            started: self.started,
            stage_started: Instant::now(),
            stages: Vec::new(),
        }
    }

    /// Records the stages of a progress made by [`Progress::beside`].
    pub fn absorb(&mut self, beside: Progress) {
        self.stages.extend(beside.stages);
    }

    /// Wall time since the run started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Peak resident memory of this process in bytes (`VmHWM`), where the OS reports it.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(20_000_000), "20,000,000");
    }
}
