//! One folder per analytics domain: its raw tables, rules, synthetic data and report.
//! Nothing generic lives here; shared logic is in `transforms`, `io` and `report`.

pub mod customer360;
pub mod retail;
pub mod tv;
pub mod wdi;

/// The domains the binaries know; on the command line by [`Domain::name`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Domain {
    Tv,
    Customer360,
    Retail,
    Wdi,
}

impl Domain {
    /// Every domain, in the order a full run takes them.
    pub const ALL: [Domain; 4] = [Domain::Tv, Domain::Customer360, Domain::Retail, Domain::Wdi];

    /// The domain's datasets: its validated and output tables, declared once.
    pub fn datasets(self) -> &'static [crate::catalog::Dataset] {
        match self {
            Domain::Tv => tv::datasets::DATASETS,
            Domain::Customer360 => customer360::datasets::DATASETS,
            Domain::Retail => retail::datasets::DATASETS,
            Domain::Wdi => wdi::datasets::DATASETS,
        }
    }

    /// The domain's name: its folders (`data/raw/<name>`), report and command-line
    /// value.
    pub fn name(self) -> &'static str {
        match self {
            Domain::Tv => tv::DOMAIN,
            Domain::Customer360 => customer360::DOMAIN,
            Domain::Retail => retail::DOMAIN,
            Domain::Wdi => wdi::DOMAIN,
        }
    }
}

/// The domains' names, in [`Domain::ALL`] order.
pub const ALL: [&str; 4] = [tv::DOMAIN, customer360::DOMAIN, retail::DOMAIN, wdi::DOMAIN];

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
}
