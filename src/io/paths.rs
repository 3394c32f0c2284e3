//! The folders of a domain's run and the files in them, named once: raw input under
//! `raw/<domain>`, validated tables and quarantines under `interim/<domain>`, output
//! tables under `processed/<domain>`, Delta Lake tables under `lake/<domain>`; and how
//! the raw files are read ([`Reading`]).

use std::path::{Path, PathBuf};

use super::reading::Reading;

/// Where a domain's run reads and writes.
#[derive(Clone, Debug)]
pub struct DomainPaths {
    /// The raw input folder (`data/raw/<domain>`).
    pub raw: PathBuf,
    /// Validated tables and quarantines (`data/interim/<domain>`).
    pub interim: PathBuf,
    /// Output tables (`data/processed/<domain>`).
    pub processed: PathBuf,
    /// Delta Lake tables (`data/lake/<domain>`): kept across runs with their history,
    /// never replaced whole.
    pub lake: PathBuf,
    /// How the raw text is read (encoding, date order) and the readers' notices.
    pub reading: Reading,
}

impl DomainPaths {
    /// The conventional folders of `domain` under a data root (`data`).
    pub fn under(data_root: &Path, domain: &str) -> Self {
        DomainPaths {
            raw: data_root.join("raw").join(domain),
            interim: data_root.join("interim").join(domain),
            processed: data_root.join("processed").join(domain),
            lake: data_root.join("lake").join(domain),
            reading: Reading::default(),
        }
    }

    /// The folders side by side in `root` (`root/raw`, `root/interim`,
    /// `root/processed`, `root/lake`), for a self-contained run such as a test's.
    pub fn in_folder(root: &Path) -> Self {
        DomainPaths {
            raw: root.join("raw"),
            interim: root.join("interim"),
            processed: root.join("processed"),
            lake: root.join("lake"),
            reading: Reading::default(),
        }
    }

    /// A validated table: `<interim>/<table>.parquet`.
    pub fn valid(&self, table: &str) -> PathBuf {
        self.interim.join(format!("{table}.parquet"))
    }

    /// A table's quarantined rows: `<interim>/quarantine/<table>.parquet`.
    pub fn quarantine(&self, table: &str) -> PathBuf {
        self.interim
            .join("quarantine")
            .join(format!("{table}.parquet"))
    }

    /// An output table: `<processed>/<table>.parquet`.
    pub fn output(&self, table: &str) -> PathBuf {
        self.processed.join(format!("{table}.parquet"))
    }
}
