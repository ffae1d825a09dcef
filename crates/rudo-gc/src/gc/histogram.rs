//! `PauseHistogram`: collection pauses in log-spaced buckets.
//!
//! Bucket 0 holds pauses under 1,024 ns. Above that, every power of two of
//! nanoseconds is split into four buckets: a pause of `n` ns with
//! `2^b <= n < 2^(b+1)` lands in bucket `1 + 4 (b - 10) + s`, where `s` is
//! the two bits of `n` after its leading one. So a bucket is at most 25%
//! wide, and percentiles are reported as the upper bound of their bucket
//! (never more than the longest pause seen). The last bucket (from two
//! minutes) is open-ended.

use core::fmt;
use std::time::Duration;

/// Buckets of a [`PauseHistogram`].
const BUCKETS: usize = 1 + 4 * 27;

/// Collection pauses, counted in log-spaced buckets (four per power of
/// two, each at most 25% wide), with the exact count, total and maximum.
///
/// Part of [`GcStats`](crate::GcStats): one for minor and one for major
/// collections.
///
/// # Examples
///
/// ```
/// rudo_gc::collect();
/// let majors = rudo_gc::stats().major_pauses;
/// if majors.count() > 0 {
///     assert!(majors.p50() <= majors.p99() && majors.p99() <= majors.max());
/// }
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PauseHistogram {
    counts: [u64; BUCKETS],
    count: u64,
    total: Duration,
    max: Duration,
}

impl Default for PauseHistogram {
    fn default() -> Self {
        PauseHistogram::new()
    }
}

/// The bucket of a pause of `nanos` nanoseconds.
fn bucket(nanos: u64) -> usize {
    if nanos < 1024 {
        return 0;
    }
    let b = 63 - nanos.leading_zeros() as usize;
    let s = ((nanos >> (b - 2)) & 3) as usize;
    (1 + 4 * (b - 10) + s).min(BUCKETS - 1)
}

/// The lowest pause, in nanoseconds, of bucket `i` (0 for bucket 0).
fn lower_nanos(i: usize) -> u64 {
    if i == 0 {
        return 0;
    }
    let (b, s) = (10 + (i - 1) / 4, (i - 1) % 4);
    (4 + s as u64) << (b - 2)
}

impl PauseHistogram {
    /// An empty histogram.
    pub const fn new() -> PauseHistogram {
        PauseHistogram {
            counts: [0; BUCKETS],
            count: 0,
            total: Duration::ZERO,
            max: Duration::ZERO,
        }
    }

    pub(crate) fn record(&mut self, pause: Duration) {
        let nanos = u64::try_from(pause.as_nanos()).unwrap_or(u64::MAX);
        self.counts[bucket(nanos)] += 1;
        self.count += 1;
        self.total += pause;
        self.max = self.max.max(pause);
    }

    /// Pauses recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Their sum.
    pub fn total(&self) -> Duration {
        self.total
    }

    /// The longest (exact).
    pub fn max(&self) -> Duration {
        self.max
    }

    /// The pause that `percent` percent of the pauses do not exceed, as the
    /// upper bound of its bucket (at most 25% above the true value, and
    /// never above [`max`](PauseHistogram::max)); zero when empty.
    ///
    /// # Panics
    ///
    /// Panics unless `0.0 <= percent <= 100.0`.
    pub fn percentile(&self, percent: f64) -> Duration {
        assert!(
            (0.0..=100.0).contains(&percent),
            "rudo-gc: PauseHistogram::percentile takes a percentage from 0 to 100 (got {percent})"
        );
        if self.count == 0 {
            return Duration::ZERO;
        }
        // The rank of the pause asked for, 1-based (nearest-rank method).
        let rank = ((percent / 100.0 * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (i, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                let upper = if i + 1 < BUCKETS {
                    Duration::from_nanos(lower_nanos(i + 1))
                } else {
                    self.max
                };
                return upper.min(self.max);
            }
        }
        self.max
    }

    /// The median pause ([`percentile(50.0)`](PauseHistogram::percentile)).
    pub fn p50(&self) -> Duration {
        self.percentile(50.0)
    }

    /// [`percentile(90.0)`](PauseHistogram::percentile).
    pub fn p90(&self) -> Duration {
        self.percentile(90.0)
    }

    /// [`percentile(99.0)`](PauseHistogram::percentile).
    pub fn p99(&self) -> Duration {
        self.percentile(99.0)
    }

    /// The non-empty buckets, shortest first: `(from, to, count)`, pauses
    /// `from <= pause < to` (the last bucket's `to` is the maximum).
    pub fn buckets(&self) -> impl Iterator<Item = (Duration, Duration, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|&(_, &n)| n > 0)
            .map(|(i, &n)| {
                let to = if i + 1 < BUCKETS {
                    Duration::from_nanos(lower_nanos(i + 1))
                } else {
                    self.max
                };
                (Duration::from_nanos(lower_nanos(i)), to, n)
            })
    }
}

impl fmt::Debug for PauseHistogram {
    /// The summary, not the buckets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PauseHistogram")
            .field("count", &self.count)
            .field("p50", &self.p50())
            .field("p90", &self.p90())
            .field("p99", &self.p99())
            .field("max", &self.max)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_at_most_a_quarter_wide() {
        assert_eq!(lower_nanos(1), 1024);
        for i in 1..BUCKETS - 1 {
            let (lo, hi) = (lower_nanos(i), lower_nanos(i + 1));
            assert!(hi > lo);
            assert!((hi - lo) * 4 <= lo, "bucket {i}: {lo}..{hi}");
            assert_eq!(bucket(lo), i);
            assert_eq!(bucket(hi - 1), i);
        }
        assert_eq!(bucket(0), 0);
        assert_eq!(bucket(1023), 0);
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn percentiles_bound_the_true_values_within_a_bucket() {
        let mut h = PauseHistogram::new();
        for ms in 1..=100 {
            h.record(Duration::from_millis(ms));
        }
        assert_eq!(h.count(), 100);
        assert_eq!(h.max(), Duration::from_millis(100));
        assert_eq!(h.total(), Duration::from_millis(5050));
        for (p, truth) in [(50.0, 50), (90.0, 90), (99.0, 99), (100.0, 100)] {
            let got = h.percentile(p);
            let truth = Duration::from_millis(truth);
            assert!(got >= truth && got <= truth.mul_f64(1.25), "p{p}: {got:?}");
        }
        assert!(h.p50() <= h.p90() && h.p90() <= h.p99() && h.p99() <= h.max());
        assert_eq!(h.buckets().map(|b| b.2).sum::<u64>(), 100);
        assert_eq!(PauseHistogram::new().p99(), Duration::ZERO);
    }

    #[test]
    #[should_panic(expected = "percentage from 0 to 100")]
    fn a_percentile_out_of_range_panics() {
        PauseHistogram::new().percentile(101.0);
    }
}
