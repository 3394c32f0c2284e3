//! Deterministic random helpers shared by the synthetic data generators.
//!
//! A generator seeds one [`Synth`] and draws everything from it in a fixed order, so
//! the same seed and size always give the same bytes.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A seeded random source with the draws the generators need.
pub struct Synth {
    rng: ChaCha8Rng,
}

impl Synth {
    pub fn new(seed: u64) -> Self {
        Synth {
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        self.rng.random::<f64>()
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform in `[low, high)`; `low` when the range is empty.
    pub fn below(&mut self, low: u64, high: u64) -> u64 {
        if high <= low {
            low
        } else {
            self.rng.random_range(low..high)
        }
    }

    /// A uniformly chosen element.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(0, items.len() as u64) as usize]
    }

    /// An index in `[0, n)` skewed towards small indices: `n · uᵏ`.
    pub fn skewed_index(&mut self, n: usize, power: f64) -> usize {
        ((n as f64) * self.unit().powf(power)).min((n.max(1) - 1) as f64) as usize
    }

    /// A log-normal draw with the given median and spread (sigma of the log).
    pub fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        // Box–Muller from two uniforms.
        let u1 = self.unit().max(f64::MIN_POSITIVE);
        let u2 = self.unit();
        let normal = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        median * (sigma * normal).exp()
    }

    /// A Pareto draw with scale 1 and shape `alpha` (≥ 1; heavier tail when smaller):
    /// with `alpha` ≈ 1.16, a fifth of the draws hold four fifths of the total.
    pub fn pareto(&mut self, alpha: f64) -> f64 {
        (1.0 - self.unit()).powf(-1.0 / alpha)
    }

    /// `len` upper-case hexadecimal characters.
    pub fn hex(&mut self, len: usize) -> String {
        const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
        (0..len)
            .map(|_| char::from(DIGITS[self.below(0, 16) as usize]))
            .collect()
    }
}

/// Cumulative weights for drawing indices in proportion to given weights.
pub struct WeightedIndex {
    cumulative: Vec<f64>,
}

impl WeightedIndex {
    /// Zipf weights `1 / (rank + 1)^s` for `n` items.
    pub fn zipf(n: usize, s: f64) -> Self {
        Self::new((0..n).map(|i| 1.0 / ((i + 1) as f64).powf(s)))
    }

    pub fn new(weights: impl IntoIterator<Item = f64>) -> Self {
        let mut total = 0.0;
        let cumulative = weights
            .into_iter()
            .map(|w| {
                total += w.max(0.0);
                total
            })
            .collect();
        WeightedIndex { cumulative }
    }

    /// An index drawn in proportion to its weight.
    pub fn draw(&self, synth: &mut Synth) -> usize {
        self.draw_among_first(synth, self.cumulative.len())
    }

    /// An index below `n` drawn in proportion to its weight (the items that exist so
    /// far, when items arrive over time).
    pub fn draw_among_first(&self, synth: &mut Synth, n: usize) -> usize {
        let n = n.clamp(1, self.cumulative.len().max(1));
        let total = self.cumulative.get(n - 1).copied().unwrap_or(0.0);
        let target = synth.unit() * total;
        self.cumulative[..n.min(self.cumulative.len())]
            .partition_point(|&c| c <= target)
            .min(n - 1)
    }
}

/// A field of a comma-separated file as RFC 4180 writes it: quoted (inner quotes
/// doubled) when it holds a comma, a quote or a line break, as written otherwise.
pub fn csv_field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}

/// What was written: rows per table and injected faults by name.
#[derive(Clone, Debug, Default)]
pub struct GenSummary {
    pub rows: BTreeMap<&'static str, u64>,
    /// Keys are `table: rule`, for example `viewing: prog_code|lookup`.
    pub faults: BTreeMap<String, u64>,
}

impl GenSummary {
    /// Counts one injected fault of `table` caught by `rule`.
    pub fn fault(&mut self, table: &str, rule: &str) {
        *self.faults.entry(format!("{table}: {rule}")).or_insert(0) += 1;
    }

    /// Injected faults of `table` under `rule`.
    pub fn faults_of(&self, table: &str, rule: &str) -> u64 {
        self.faults
            .get(&format!("{table}: {rule}"))
            .copied()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_draws() {
        let mut a = Synth::new(7);
        let mut b = Synth::new(7);
        let draws_a: Vec<u64> = (0..5).map(|_| a.below(0, 1000)).collect();
        let draws_b: Vec<u64> = (0..5).map(|_| b.below(0, 1000)).collect();
        assert_eq!(draws_a, draws_b);
    }

    #[test]
    fn zipf_prefers_the_first_items() {
        let mut synth = Synth::new(1);
        let zipf = WeightedIndex::zipf(10, 1.2);
        let mut counts = [0u32; 10];
        for _ in 0..10_000 {
            counts[zipf.draw(&mut synth)] += 1;
        }
        assert!(counts[0] > counts[1] && counts[1] > counts[9], "{counts:?}");
    }

    #[test]
    fn draws_among_the_first_items_stay_below_the_limit() {
        let weights = WeightedIndex::new([1.0, 5.0, 100.0, 1000.0]);
        let mut synth = Synth::new(3);
        let mut seen = [0u32; 4];
        for _ in 0..2000 {
            seen[weights.draw_among_first(&mut synth, 2)] += 1;
        }
        assert_eq!(seen[2] + seen[3], 0);
        assert!(seen[1] > seen[0] * 2, "{seen:?}");
        let pareto: Vec<f64> = (0..1000).map(|_| synth.pareto(1.16)).collect();
        assert!(pareto.iter().all(|&x| x >= 1.0));
    }
}
