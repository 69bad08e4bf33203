//! Correlation coefficients: Pearson, Spearman, and Pearson per group.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{Error, Result};

/// Checks lengths (equal, at least `min`) and finiteness of two aligned inputs.
fn check_pair(x: &[f64], y: &[f64], min: usize) -> Result<()> {
    if x.len() != y.len() {
        return Err(Error::LengthMismatch {
            left: x.len(),
            right: y.len(),
        });
    }
    if x.is_empty() {
        return Err(Error::Empty);
    }
    if x.len() < min {
        return Err(Error::TooFew { n: x.len(), min });
    }
    for (which, v) in [("x", x), ("y", y)] {
        if let Some(index) = v.iter().position(|a| !a.is_finite()) {
            return Err(Error::NonFinite { which, index });
        }
    }
    Ok(())
}

/// `true` when every value equals the first one (exactly).
fn is_constant(v: &[f64]) -> bool {
    v.iter().all(|&a| a == v[0])
}

/// Deviations from the mean, after scaling by the largest magnitude so that
/// sums of squares can neither overflow (values near `f64::MAX`) nor lose all
/// precision. Pearson's r is invariant under positive scaling, so this is exact
/// in theory. Requires non-empty, finite, non-constant input (so `max > 0`).
fn centred(v: &[f64]) -> Vec<f64> {
    let max = v.iter().fold(0.0_f64, |m, a| m.max(a.abs()));
    let scaled: Vec<f64> = v.iter().map(|a| a / max).collect();
    let mean = scaled.iter().sum::<f64>() / scaled.len() as f64;
    scaled.into_iter().map(|a| a - mean).collect()
}

/// Pearson product-moment correlation of two aligned samples.
///
/// Needs at least 2 pairs. Errors on empty input, length mismatch, NaN or
/// infinity, and when either side is constant (r is undefined there). The
/// result is clamped to `[-1, 1]` to absorb rounding.
pub fn pearson(x: &[f64], y: &[f64]) -> Result<f64> {
    check_pair(x, y, 2)?;
    if is_constant(x) {
        return Err(Error::ZeroVariance { which: "x" });
    }
    if is_constant(y) {
        return Err(Error::ZeroVariance { which: "y" });
    }
    let (dx, dy) = (centred(x), centred(y));
    let sxy: f64 = dx.iter().zip(&dy).map(|(a, b)| a * b).sum();
    let sxx: f64 = dx.iter().map(|a| a * a).sum();
    let syy: f64 = dy.iter().map(|b| b * b).sum();
    // Non-constant scaled input cannot give sxx == 0 in practice; guard anyway.
    if sxx <= 0.0 {
        return Err(Error::ZeroVariance { which: "x" });
    }
    if syy <= 0.0 {
        return Err(Error::ZeroVariance { which: "y" });
    }
    let r = sxy / (sxx.sqrt() * syy.sqrt());
    Ok(r.clamp(-1.0, 1.0))
}

/// Fractional ranks (1-based; tied values share the mean of their ranks).
/// Input must be finite.
fn ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut out = vec![0.0; v.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        // `==` rather than total_cmp so that -0.0 and 0.0 tie.
        while end < order.len() && v[order[end]] == v[order[start]] {
            end += 1;
        }
        // Positions start..end hold ranks start+1..=end; their mean:
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            out[i] = rank;
        }
        start = end;
    }
    out
}

/// Spearman rank correlation: Pearson on fractional ranks (ties averaged).
///
/// Same errors as [`pearson`]; a side whose values are all tied is constant.
pub fn spearman(x: &[f64], y: &[f64]) -> Result<f64> {
    check_pair(x, y, 2)?;
    pearson(&ranks(x), &ranks(y))
}

/// Pearson correlation of one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupStat {
    /// `None` when the group has fewer than [`MIN_GROUP_ROWS`] rows or either
    /// side is constant within the group.
    pub pearson: Option<f64>,
    /// Rows in the group.
    pub n: usize,
}

/// Overall and per-group Pearson correlation, from [`grouped_pearson`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupedPearson {
    /// Pearson over all rows.
    pub pearson: f64,
    /// Total rows.
    pub n: usize,
    /// Per group key, sorted by key.
    pub by_group: BTreeMap<String, GroupStat>,
}

/// Groups smaller than this get `pearson: None`.
pub const MIN_GROUP_ROWS: usize = 3;

/// Overall and per-group Pearson over `(group, predicted, gold)` rows.
///
/// The overall value follows [`pearson`] (so errors on empty input, NaN, or a
/// constant side); a group gets `pearson: None` when it has fewer than
/// [`MIN_GROUP_ROWS`] rows or zero variance on either side.
///
/// ```
/// use storyline_eval::grouped_pearson;
/// let rows = vec![
///     ("en-de".to_string(), 0.1, 1.0),
///     ("en-de".to_string(), 0.5, 2.0),
///     ("en-de".to_string(), 0.9, 3.0),
///     ("en-es".to_string(), 0.4, 2.5),
/// ];
/// let g = grouped_pearson(&rows)?;
/// assert_eq!(g.n, 4);
/// assert!((g.by_group["en-de"].pearson.unwrap() - 1.0).abs() < 1e-12);
/// assert_eq!(g.by_group["en-es"].pearson, None); // only 1 row
/// # Ok::<(), storyline_eval::Error>(())
/// ```
pub fn grouped_pearson(rows: &[(String, f64, f64)]) -> Result<GroupedPearson> {
    let xs: Vec<f64> = rows.iter().map(|r| r.1).collect();
    let ys: Vec<f64> = rows.iter().map(|r| r.2).collect();
    let overall = pearson(&xs, &ys)?;
    let mut groups: BTreeMap<&str, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for (key, x, y) in rows {
        let g = groups.entry(key.as_str()).or_default();
        g.0.push(*x);
        g.1.push(*y);
    }
    let by_group = groups
        .into_iter()
        .map(|(key, (gx, gy))| {
            let n = gx.len();
            let r = if n >= MIN_GROUP_ROWS {
                pearson(&gx, &gy).ok()
            } else {
                None
            };
            (key.to_string(), GroupStat { pearson: r, n })
        })
        .collect();
    Ok(GroupedPearson {
        pearson: overall,
        n: rows.len(),
        by_group,
    })
}

/// Incremental builder for [`grouped_pearson`]: push `(group, predicted, gold)`
/// rows as they are produced, then call [`PairScores::finish`].
#[derive(Debug, Clone, Default)]
pub struct PairScores {
    rows: Vec<(String, f64, f64)>,
}

impl PairScores {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one scored pair under `group` (e.g. `"en-de"`).
    pub fn push(&mut self, group: impl Into<String>, predicted: f64, gold: f64) {
        self.rows.push((group.into(), predicted, gold));
    }

    /// Rows pushed so far.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// `true` when no rows were pushed.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Computes [`grouped_pearson`] over the pushed rows.
    pub fn finish(&self) -> Result<GroupedPearson> {
        grouped_pearson(&self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn pearson_hand_computed() {
        // x = [1,2,3,4], y = [2,1,4,3]; means 2.5, 2.5.
        // dx = [-1.5,-0.5,0.5,1.5], dy = [-0.5,-1.5,1.5,0.5]
        // sxy = 0.75 + 0.75 + 0.75 + 0.75 = 3.0; sxx = syy = 2.25+0.25+0.25+2.25 = 5
        // r = 3 / 5 = 0.6
        let r = pearson(&[1.0, 2.0, 3.0, 4.0], &[2.0, 1.0, 4.0, 3.0]).unwrap();
        assert!(close(r, 0.6), "{r}");
        // Perfect negative line.
        let r = pearson(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]).unwrap();
        assert!(close(r, -1.0));
    }

    #[test]
    fn pearson_errors() {
        assert_eq!(pearson(&[], &[]), Err(Error::Empty));
        assert_eq!(
            pearson(&[1.0], &[1.0, 2.0]),
            Err(Error::LengthMismatch { left: 1, right: 2 })
        );
        assert_eq!(pearson(&[1.0], &[2.0]), Err(Error::TooFew { n: 1, min: 2 }));
        assert_eq!(
            pearson(&[1.0, f64::NAN], &[1.0, 2.0]),
            Err(Error::NonFinite {
                which: "x",
                index: 1
            })
        );
        assert_eq!(
            pearson(&[1.0, 2.0], &[f64::INFINITY, 2.0]),
            Err(Error::NonFinite {
                which: "y",
                index: 0
            })
        );
        assert_eq!(
            pearson(&[0.1; 5], &[1.0, 2.0, 3.0, 4.0, 5.0]),
            Err(Error::ZeroVariance { which: "x" })
        );
        assert_eq!(
            pearson(&[1.0, 2.0], &[7.0, 7.0]),
            Err(Error::ZeroVariance { which: "y" })
        );
    }

    #[test]
    fn pearson_extreme_magnitudes() {
        // Squares of these overflow without the rescaling step.
        let r = pearson(&[f64::MAX, -f64::MAX, 0.0], &[1e300, -1e300, 0.0]).unwrap();
        assert!(close(r, 1.0), "{r}");
        let tiny = f64::MIN_POSITIVE / 4.0; // subnormal
        let r = pearson(&[tiny, 2.0 * tiny, 3.0 * tiny], &[1.0, 2.0, 3.0]).unwrap();
        assert!(close(r, 1.0), "{r}");
    }

    #[test]
    fn ranks_average_ties() {
        // Sorted: 1.0 (rank 1), 2.0,2.0 (ranks 2,3 -> 2.5), 5.0 (rank 4).
        assert_eq!(ranks(&[2.0, 1.0, 5.0, 2.0]), vec![2.5, 1.0, 4.0, 2.5]);
        assert_eq!(ranks(&[0.0, -0.0]), vec![1.5, 1.5]);
    }

    #[test]
    fn spearman_hand_computed() {
        // y = x^3 is monotone: ranks identical -> rho = 1 (Pearson would be < 1).
        let x = [1.0, 2.0, 3.0, 4.0, 10.0];
        let y: Vec<f64> = x.iter().map(|v| v * v * v).collect();
        assert!(close(spearman(&x, &y).unwrap(), 1.0));
        // Ranks x = [1,2,3,4], y = [2,1,4,3]: same as the Pearson example -> 0.6.
        let r = spearman(&[10.0, 20.0, 30.0, 40.0], &[0.2, 0.1, 9.0, 3.0]).unwrap();
        assert!(close(r, 0.6));
        assert_eq!(
            spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]),
            Err(Error::ZeroVariance { which: "x" })
        );
    }

    #[test]
    fn grouped_hand_computed() {
        // Group "a": the 0.6 example above. Group "b": 2 rows -> None.
        // Group "c": 3 rows but gold constant -> None.
        let mut ps = PairScores::new();
        for (x, y) in [(1.0, 2.0), (2.0, 1.0), (3.0, 4.0), (4.0, 3.0)] {
            ps.push("a", x, y);
        }
        ps.push("b", 0.0, 0.0);
        ps.push("b", 1.0, 1.0);
        for x in [1.0, 2.0, 3.0] {
            ps.push("c", x, 5.0);
        }
        assert_eq!(ps.len(), 9);
        let g = ps.finish().unwrap();
        assert_eq!(g.n, 9);
        assert!(close(g.by_group["a"].pearson.unwrap(), 0.6));
        assert_eq!(g.by_group["a"].n, 4);
        assert_eq!(
            g.by_group["b"],
            GroupStat {
                pearson: None,
                n: 2
            }
        );
        assert_eq!(
            g.by_group["c"],
            GroupStat {
                pearson: None,
                n: 3
            }
        );
        // Overall equals plain Pearson over all rows.
        let xs = [1.0, 2.0, 3.0, 4.0, 0.0, 1.0, 1.0, 2.0, 3.0];
        let ys = [2.0, 1.0, 4.0, 3.0, 0.0, 1.0, 5.0, 5.0, 5.0];
        assert!(close(g.pearson, pearson(&xs, &ys).unwrap()));
        let json = serde_json::to_value(&g).unwrap();
        assert_eq!(
            json["by_group"]["b"],
            serde_json::json!({"pearson": null, "n": 2})
        );
    }

    #[test]
    fn grouped_errors() {
        assert_eq!(grouped_pearson(&[]), Err(Error::Empty));
        let rows = vec![
            ("a".to_string(), f64::NAN, 1.0),
            ("a".to_string(), 1.0, 2.0),
        ];
        assert!(matches!(
            grouped_pearson(&rows),
            Err(Error::NonFinite { .. })
        ));
    }

    fn finite_pairs() -> impl Strategy<Value = Vec<(f64, f64)>> {
        prop::collection::vec((-1e6f64..1e6, -1e6f64..1e6), 2..40)
    }

    proptest! {
        #[test]
        fn pearson_in_range_and_symmetric(rows in finite_pairs()) {
            let (x, y): (Vec<f64>, Vec<f64>) = rows.into_iter().unzip();
            if let Ok(r) = pearson(&x, &y) {
                prop_assert!((-1.0..=1.0).contains(&r));
                let r2 = pearson(&y, &x).unwrap();
                prop_assert!((r - r2).abs() < 1e-12);
            }
            if let Ok(r) = spearman(&x, &y) {
                prop_assert!((-1.0..=1.0).contains(&r));
            }
        }

        #[test]
        fn pearson_affine_invariant(rows in finite_pairs(), a in 0.1f64..10.0, b in -100.0f64..100.0) {
            let (x, y): (Vec<f64>, Vec<f64>) = rows.into_iter().unzip();
            let x2: Vec<f64> = x.iter().map(|v| a * v + b).collect();
            if let (Ok(r1), Ok(r2)) = (pearson(&x, &y), pearson(&x2, &y)) {
                prop_assert!((r1 - r2).abs() < 1e-6, "{} vs {}", r1, r2);
            }
        }

        #[test]
        fn spearman_monotone_invariant(rows in finite_pairs()) {
            let (x, y): (Vec<f64>, Vec<f64>) = rows.into_iter().unzip();
            // Strictly increasing transform keeps the ranks.
            let x2: Vec<f64> = x.iter().map(|v| v.atan() * 3.0 + 1.0).collect();
            if let (Ok(r1), Ok(r2)) = (spearman(&x, &y), spearman(&x2, &y)) {
                prop_assert!((r1 - r2).abs() < 1e-9);
            }
        }

        #[test]
        fn never_panics(x in prop::collection::vec(prop::num::f64::ANY, 0..12),
                        y in prop::collection::vec(prop::num::f64::ANY, 0..12)) {
            for r in [pearson(&x, &y), spearman(&x, &y)].into_iter().flatten() {
                prop_assert!((-1.0..=1.0).contains(&r));
            }
            let rows: Vec<(String, f64, f64)> =
                x.iter().zip(&y).enumerate().map(|(i, (a, b))| ((i % 3).to_string(), *a, *b)).collect();
            if let Ok(g) = grouped_pearson(&rows) {
                prop_assert_eq!(g.n, rows.len());
                prop_assert_eq!(g.by_group.values().map(|s| s.n).sum::<usize>(), rows.len());
            }
        }
    }
}
