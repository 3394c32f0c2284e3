//! One folder per analytics domain: its raw tables, rules, synthetic data and report.
//! Nothing generic lives here; shared logic is in `transforms`, `io` and `report`.

pub mod customer360;
pub mod movies;
pub mod retail;
pub mod stream;
pub mod tv;
pub mod wdi;

/// The domains the binaries know; on the command line by [`Domain::name`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Domain {
    Tv,
    Customer360,
    Retail,
    Wdi,
    Movies,
    Stream,
}

impl Domain {
    /// Every domain, in the order a full run takes them.
    pub const ALL: [Domain; 6] = [
        Domain::Tv,
        Domain::Customer360,
        Domain::Retail,
        Domain::Wdi,
        Domain::Movies,
        Domain::Stream,
    ];

    /// The domain's datasets: its validated and output tables, declared once.
    pub fn datasets(self) -> &'static [crate::catalog::Dataset] {
        match self {
            Domain::Tv => tv::datasets::DATASETS,
            Domain::Customer360 => customer360::datasets::DATASETS,
            Domain::Retail => retail::datasets::DATASETS,
            Domain::Wdi => wdi::datasets::DATASETS,
            Domain::Movies => movies::datasets::DATASETS,
            Domain::Stream => stream::datasets::DATASETS,
        }
    }

    /// The dataset `name` (its SQL name) of the domain's registry.
    ///
    /// # Errors
    /// When the domain registers no dataset of that name; the message lists those it
    /// does.
    pub fn dataset(self, name: &str) -> anyhow::Result<&'static crate::catalog::Dataset> {
        let datasets = self.datasets();
        datasets.iter().find(|d| d.name == name).ok_or_else(|| {
            let names: Vec<&str> = datasets.iter().map(|d| d.name).collect();
            anyhow::anyhow!(
                "the {} domain has no dataset `{name}`. Consider one of: {}",
                self.name(),
                names.join(", ")
            )
        })
    }

    /// The domain's name: its folders (`data/raw/<name>`), report and command-line
    /// value.
    pub fn name(self) -> &'static str {
        match self {
            Domain::Tv => tv::DOMAIN,
            Domain::Customer360 => customer360::DOMAIN,
            Domain::Retail => retail::DOMAIN,
            Domain::Wdi => wdi::DOMAIN,
            Domain::Movies => movies::DOMAIN,
            Domain::Stream => stream::DOMAIN,
        }
    }
}

/// The domains' names, in [`Domain::ALL`] order.
pub const ALL: [&str; 6] = [
    tv::DOMAIN,
    customer360::DOMAIN,
    retail::DOMAIN,
    wdi::DOMAIN,
    movies::DOMAIN,
    stream::DOMAIN,
];

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn command_line_values_are_the_domain_names() {
        for domain in Domain::ALL {
            let value = domain.to_possible_value().map(|v| v.get_name().to_string());
            assert_eq!(value.as_deref(), Some(domain.name()));
        }
        assert_eq!(Domain::ALL.map(Domain::name), ALL);
    }

    #[test]
    fn a_dataset_is_found_by_its_sql_name() {
        let found = Domain::Tv.dataset("top_markets").map(|d| d.about);
        assert_eq!(found.ok(), Some("markets by devices (T6)"));
        let missing = Domain::Tv.dataset("rfm").err().map(|e| e.to_string());
        assert!(missing.is_some_and(|m| m.contains("tv_viewing")));
    }
}
