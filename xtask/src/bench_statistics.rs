//! Median, minimum and maximum of one operation's per-boot figures, and the Linux/this ratios.

/// The summary of one operation on one system over several boots.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// The median (the mean of the middle two for an even count).
    pub median: f64,
    /// The smallest figure.
    pub minimum: f64,
    /// The largest figure.
    pub maximum: f64,
    /// How many figures (boots) it summarises.
    pub count: usize,
}

impl Summary {
    /// Summarises `samples`, or `None` when there are none (or one is not a number).
    pub fn of(samples: &[f64]) -> Option<Self> {
        if samples.is_empty() || samples.iter().any(|sample| sample.is_nan()) {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let middle = sorted.len() / 2;
        let median = if sorted.len() % 2 == 1 {
            sorted[middle]
        } else {
            (sorted[middle - 1] + sorted[middle]) / 2.0
        };
        Some(Self {
            median,
            minimum: sorted[0],
            maximum: sorted[sorted.len() - 1],
            count: sorted.len(),
        })
    }
}

/// Linux's fastest figure over this system's: above 1 means this system is faster. The host
/// slows a whole QEMU process down by up to 2× for seconds at a time, independently for each
/// process, so medians compare whichever mix of slow and fast stretches each system happened
/// to get; the fastest figures compare both systems undisturbed (docs/performance.md, Method).
pub fn ratio(this: &Summary, linux: &Summary) -> Option<f64> {
    (this.minimum > 0.0).then(|| linux.minimum / this.minimum)
}

/// Linux's median over this system's, shown beside [`ratio`].
pub fn median_ratio(this: &Summary, linux: &Summary) -> Option<f64> {
    (this.median > 0.0).then(|| linux.median / this.median)
}

/// Nanoseconds for `cycles` timestamp-counter cycles at `tsc_khz` kilohertz.
pub fn cycles_to_nanoseconds(cycles: f64, tsc_khz: u64) -> f64 {
    cycles * 1_000_000.0 / tsc_khz as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        let odd = Summary::of(&[5.0, 1.0, 3.0]).unwrap();
        assert_eq!((odd.median, odd.minimum, odd.maximum), (3.0, 1.0, 5.0));
        assert_eq!(odd.count, 3);
        let even = Summary::of(&[4.0, 1.0, 3.0, 10.0]).unwrap();
        assert_eq!((even.median, even.minimum, even.maximum), (3.5, 1.0, 10.0));
        let single = Summary::of(&[7.0]).unwrap();
        assert_eq!(
            (single.median, single.minimum, single.maximum),
            (7.0, 7.0, 7.0)
        );
    }

    #[test]
    fn nothing_to_summarise() {
        assert_eq!(Summary::of(&[]), None);
        assert_eq!(Summary::of(&[1.0, f64::NAN]), None);
    }

    #[test]
    fn ratio_is_linux_over_this() {
        let this = Summary::of(&[100.0]).unwrap();
        let linux = Summary::of(&[250.0]).unwrap();
        assert_eq!(ratio(&this, &linux), Some(2.5));
        assert_eq!(ratio(&Summary::of(&[0.0]).unwrap(), &linux), None);
    }

    #[test]
    fn ratio_compares_the_fastest_figures_and_median_ratio_the_medians() {
        // This system slowed down in two of three boots, Linux in one.
        let this = Summary::of(&[100.0, 210.0, 200.0]).unwrap();
        let linux = Summary::of(&[200.0, 190.0, 400.0]).unwrap();
        assert_eq!(ratio(&this, &linux), Some(1.9));
        assert_eq!(median_ratio(&this, &linux), Some(1.0));
        assert_eq!(median_ratio(&Summary::of(&[0.0]).unwrap(), &linux), None);
    }

    #[test]
    fn converts_cycles_at_the_tsc_rate() {
        // 2 GHz: two cycles per nanosecond.
        assert_eq!(cycles_to_nanoseconds(3000.0, 2_000_000), 1500.0);
    }
}
