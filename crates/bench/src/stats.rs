//! Small statistics over samples.

/// The median of `values` (NaN when empty).
pub fn median(values: &[f64]) -> f64 {
    percentile(values, 50.0)
}

/// The `p`-th percentile of `values` (0 ≤ p ≤ 100), interpolating linearly
/// between the two nearest ranks; NaN when empty.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = p / 100.0 * (sorted.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64)
}

/// A distribution-free confidence interval for the median of the
/// population `values` were drawn from: the pair of order statistics
/// `x(k)`, `x(n+1-k)` with the largest `k` whose coverage is at least
/// `confidence` (0 < confidence < 1). None when `values` are too few for
/// any pair to reach it (fewer than 5 for 90 %).
pub fn median_interval(values: &[f64], confidence: f64) -> Option<(f64, f64)> {
    let n = values.len();
    // Each value falls below the median with probability ½, so the number
    // below it is Binomial(n, ½); the interval misses the median when
    // fewer than k, or fewer than k above it, fall below.
    let tail = (1.0 - confidence) / 2.0;
    let mut below = 0.0; // P(fewer than k values below the median)
    let mut term = 0.5f64.powi(i32::try_from(n).ok()?); // P(exactly k - 1)
    let mut k = 0;
    for j in 0..n / 2 {
        below += term;
        if below > tail {
            break;
        }
        k = j + 1;
        term *= (n - j) as f64 / (j + 1) as f64;
    }
    if k == 0 {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some((sorted[k - 1], sorted[n - k]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn percentiles_interpolate() {
        let v: Vec<f64> = (0..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&[1.0, 2.0], 50.0), 1.5);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
    }

    #[test]
    fn median_intervals_are_the_order_statistics_that_cover_it() {
        let v = |n: usize| -> Vec<f64> { (1..=n).rev().map(|i| i as f64).collect() };
        // Binomial(9, ½): P(≤ 1 below) = 10/512 ≤ 5 %, P(≤ 2) = 46/512 > 5 %.
        assert_eq!(median_interval(&v(9), 0.9), Some((2.0, 8.0)));
        // Binomial(15, ½): P(≤ 3) = 576/32768 ≤ 5 %, P(≤ 4) = 1941/32768 > 5 %.
        assert_eq!(median_interval(&v(15), 0.9), Some((4.0, 12.0)));
        assert_eq!(median_interval(&v(30), 0.9), Some((11.0, 20.0)));
        // Five values: only the extremes, at 93.75 %.
        assert_eq!(median_interval(&v(5), 0.9), Some((1.0, 5.0)));
        assert_eq!(median_interval(&v(5), 0.95), None);
        assert_eq!(median_interval(&v(4), 0.9), None);
        assert_eq!(median_interval(&[], 0.9), None);
    }
}
