//! Clustering scores (B³, pairwise, ARI, NMI) from a contingency table.
//!
//! Every metric here is a function of the contingency table `n_ij` (items in
//! predicted cluster `i` and gold cluster `j`), its row sums `a_i` (predicted
//! cluster sizes) and column sums `b_j` (gold cluster sizes). Building the
//! table costs `O(n)`; the metrics then cost `O(cells)`.

use std::collections::HashMap;
use std::hash::Hash;

use serde::Serialize;

use crate::{Error, Result};

/// Scores of a predicted clustering against a gold clustering.
///
/// Conventions for degenerate inputs (all chosen so that identical
/// clusterings always score 1):
/// * pairwise precision is 1 when the prediction puts no two items together
///   (no predicted pairs, so no false ones); recall is 1 when gold has no pairs;
/// * ARI is 1 when it is undefined (`n < 2`, or both clusterings are all
///   singletons, or both are a single cluster — these cases are identical
///   clusterings);
/// * NMI is 1 when both clusterings have entropy 0 (one cluster each);
/// * an F1 whose precision and recall are both 0 is 0.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterScores {
    /// Items scored.
    pub n: usize,
    /// Distinct predicted labels.
    pub clusters: usize,
    /// Distinct gold labels.
    pub gold_clusters: usize,
    /// Per-item mean of |pred ∩ gold| / |pred| (item's own clusters).
    pub b3_precision: f64,
    /// Per-item mean of |pred ∩ gold| / |gold|.
    pub b3_recall: f64,
    /// Harmonic mean of `b3_precision` and `b3_recall`.
    pub b3_f1: f64,
    /// Fraction of predicted co-clustered pairs that are gold pairs.
    pub pairwise_precision: f64,
    /// Fraction of gold co-clustered pairs that are predicted pairs.
    pub pairwise_recall: f64,
    /// Harmonic mean of the pairwise precision and recall.
    pub pairwise_f1: f64,
    /// Adjusted Rand index (Hubert–Arabie), in `[-1, 1]`; 0 is chance level.
    pub ari: f64,
    /// Normalised mutual information with arithmetic-mean normalisation, in `[0, 1]`.
    pub nmi: f64,
}

/// Maps labels to dense ids `0..k` in order of first appearance.
fn intern<L: Eq + Hash>(labels: &[L]) -> (Vec<usize>, usize) {
    let mut ids: HashMap<&L, usize> = HashMap::with_capacity(labels.len().min(1 << 16));
    let dense = labels
        .iter()
        .map(|l| {
            let next = ids.len();
            *ids.entry(l).or_insert(next)
        })
        .collect();
    (dense, ids.len())
}

/// Contingency table in sparse form, plus marginals.
struct Table {
    n: usize,
    /// Non-zero cells `(pred, gold, count)`, grouped by `pred`.
    cells: Vec<(usize, usize, u64)>,
    /// Predicted cluster sizes `a_i`.
    rows: Vec<u64>,
    /// Gold cluster sizes `b_j`.
    cols: Vec<u64>,
}

impl Table {
    /// Builds the table in `O(n + kp + kg)` without hashing pairs: items are
    /// bucketed by predicted id (counting sort), then each bucket tallies gold
    /// ids in a dense scratch array that is reset via a list of touched ids.
    fn build(pred: &[usize], kp: usize, gold: &[usize], kg: usize) -> Self {
        let n = pred.len();
        let mut rows = vec![0u64; kp];
        let mut cols = vec![0u64; kg];
        for (&p, &g) in pred.iter().zip(gold) {
            rows[p] += 1;
            cols[g] += 1;
        }
        // start[p]..start[p+1] is bucket p in `by_pred`.
        let mut start = vec![0usize; kp + 1];
        for p in 0..kp {
            start[p + 1] = start[p] + rows[p] as usize;
        }
        let mut fill = start.clone();
        let mut by_pred = vec![0usize; n];
        for (&p, &g) in pred.iter().zip(gold) {
            by_pred[fill[p]] = g;
            fill[p] += 1;
        }
        let mut scratch = vec![0u64; kg];
        let mut touched = Vec::new();
        let mut cells = Vec::new();
        for p in 0..kp {
            for &g in &by_pred[start[p]..start[p + 1]] {
                if scratch[g] == 0 {
                    touched.push(g);
                }
                scratch[g] += 1;
            }
            for g in touched.drain(..) {
                cells.push((p, g, scratch[g]));
                scratch[g] = 0;
            }
        }
        Table {
            n,
            cells,
            rows,
            cols,
        }
    }
}

/// Number of unordered pairs among `k` items: k(k-1)/2.
fn pairs(k: u64) -> u128 {
    let k = u128::from(k);
    k * k.saturating_sub(1) / 2
}

/// Harmonic mean, 0 when both are 0.
fn f1(p: f64, r: f64) -> f64 {
    if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    }
}

/// `num / den`, or `empty` when there is nothing to divide by.
fn ratio(num: u128, den: u128, empty: f64) -> f64 {
    if den == 0 {
        empty
    } else {
        num as f64 / den as f64
    }
}

/// Adjusted Rand index from the pair confusion counts.
///
/// With tp = Σ C(n_ij,2), fp = Σ C(a_i,2) − tp, fn = Σ C(b_j,2) − tp and
/// tn = C(n,2) − tp − fp − fn, ARI = 2(tp·tn − fn·fp) /
/// ((tp+fn)(fn+tn) + (tp+fp)(fp+tn)) — the Hubert–Arabie index written so
/// that it is exactly symmetric in predicted/gold. Exact in i128 when it fits.
fn ari(tp: u128, pred_pairs: u128, gold_pairs: u128, all_pairs: u128) -> f64 {
    let fp = pred_pairs - tp;
    let fn_ = gold_pairs - tp;
    let tn = all_pairs - tp - fp - fn_;
    let exact = || -> Option<(i128, i128)> {
        let [tp, fp, fn_, tn] = [tp, fp, fn_, tn].map(|v| i128::try_from(v).ok());
        let (tp, fp, fn_, tn) = (tp?, fp?, fn_?, tn?);
        let num = tp
            .checked_mul(tn)?
            .checked_sub(fn_.checked_mul(fp)?)?
            .checked_mul(2)?;
        let den = (tp + fn_)
            .checked_mul(fn_ + tn)?
            .checked_add((tp + fp).checked_mul(fp + tn)?)?;
        Some((num, den))
    };
    let (num, den) = match exact() {
        Some((num, den)) => (num as f64, den as f64),
        None => {
            let [tp, fp, fn_, tn] = [tp, fp, fn_, tn].map(|v| v as f64);
            (
                2.0 * (tp * tn - fn_ * fp),
                (tp + fn_) * (fn_ + tn) + (tp + fp) * (fp + tn),
            )
        }
    };
    // den == 0 only when both clusterings are all singletons or both a single
    // cluster (or n < 2): identical clusterings, so 1 by convention.
    if den == 0.0 {
        1.0
    } else {
        (num / den).clamp(-1.0, 1.0)
    }
}

/// NMI = I(P;G) / ((H(P) + H(G)) / 2), natural logs (the base cancels).
fn nmi(t: &Table) -> f64 {
    let n = t.n as f64;
    let entropy = |sizes: &[u64]| -> f64 {
        sizes
            .iter()
            .filter(|&&s| s > 0)
            .map(|&s| {
                let p = s as f64 / n;
                -p * p.ln()
            })
            .sum()
    };
    let (hp, hg) = (entropy(&t.rows), entropy(&t.cols));
    // I = Σ n_ij/n · ln(n · n_ij / (a_i · b_j)); the log argument is computed as
    // (n_ij/a_i)·(n/b_j) to stay far from overflow for huge n.
    let mi: f64 = t
        .cells
        .iter()
        .map(|&(p, g, c)| {
            let c = c as f64;
            let arg = (c / t.rows[p] as f64) * (n / t.cols[g] as f64);
            c / n * arg.ln()
        })
        .sum();
    let mean_h = (hp + hg) / 2.0;
    if mean_h <= 0.0 {
        // Both clusterings are a single cluster: identical.
        1.0
    } else {
        (mi.max(0.0) / mean_h).clamp(0.0, 1.0)
    }
}

/// Scores `predicted` against `gold`, labels aligned by item index.
///
/// Label values are arbitrary (only equality matters), so the result is
/// invariant under renaming clusters. Runs in `O(n + cells)` time and memory.
/// Errors: [`Error::Empty`] for no items, [`Error::LengthMismatch`].
///
/// Hand example (also a unit test): predicted `[0,0,0,1,1]`, gold
/// `[0,0,1,1,1]` gives B³ precision 11/15, recall 11/15, pairwise 2/4.
pub fn cluster_scores<P: Eq + Hash, G: Eq + Hash>(
    predicted: &[P],
    gold: &[G],
) -> Result<ClusterScores> {
    if predicted.len() != gold.len() {
        return Err(Error::LengthMismatch {
            left: predicted.len(),
            right: gold.len(),
        });
    }
    if predicted.is_empty() {
        return Err(Error::Empty);
    }
    let (pred, kp) = intern(predicted);
    let (gold, kg) = intern(gold);
    let t = Table::build(&pred, kp, &gold, kg);
    let n = t.n as f64;

    // B³: item x in cell (i,j) has precision n_ij/a_i and recall n_ij/b_j;
    // summing over the n_ij items of the cell gives n_ij²/a_i and n_ij²/b_j.
    // Accumulate Σ_j n_ij² per row and Σ_i n_ij² per column exactly in u128.
    let mut row_sq = vec![0u128; kp];
    let mut col_sq = vec![0u128; kg];
    let mut tp = 0u128;
    for &(p, g, c) in &t.cells {
        let sq = u128::from(c) * u128::from(c);
        row_sq[p] += sq;
        col_sq[g] += sq;
        tp += pairs(c);
    }
    let b3_sum = |sq: &[u128], sizes: &[u64]| -> f64 {
        sq.iter()
            .zip(sizes)
            .map(|(&s, &size)| s as f64 / size as f64)
            .sum::<f64>()
            / n
    };
    let b3_precision = b3_sum(&row_sq, &t.rows).min(1.0);
    let b3_recall = b3_sum(&col_sq, &t.cols).min(1.0);

    let pred_pairs: u128 = t.rows.iter().map(|&a| pairs(a)).sum();
    let gold_pairs: u128 = t.cols.iter().map(|&b| pairs(b)).sum();
    let pairwise_precision = ratio(tp, pred_pairs, 1.0);
    let pairwise_recall = ratio(tp, gold_pairs, 1.0);

    Ok(ClusterScores {
        n: t.n,
        clusters: kp,
        gold_clusters: kg,
        b3_precision,
        b3_recall,
        b3_f1: f1(b3_precision, b3_recall),
        pairwise_precision,
        pairwise_recall,
        pairwise_f1: f1(pairwise_precision, pairwise_recall),
        ari: ari(tp, pred_pairs, gold_pairs, pairs(t.n as u64)),
        nmi: nmi(&t),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    /// Naive O(n²) reference: B³ per item and pairwise over all item pairs.
    fn naive(pred: &[u8], gold: &[u8]) -> (f64, f64, f64, f64) {
        let n = pred.len();
        let (mut bp, mut br) = (0.0, 0.0);
        for i in 0..n {
            let same_p = (0..n).filter(|&j| pred[j] == pred[i]).count() as f64;
            let same_g = (0..n).filter(|&j| gold[j] == gold[i]).count() as f64;
            let both = (0..n)
                .filter(|&j| pred[j] == pred[i] && gold[j] == gold[i])
                .count() as f64;
            bp += both / same_p;
            br += both / same_g;
        }
        let (mut tp, mut pp, mut gp) = (0u64, 0u64, 0u64);
        for i in 0..n {
            for j in i + 1..n {
                let (sp, sg) = (pred[i] == pred[j], gold[i] == gold[j]);
                pp += u64::from(sp);
                gp += u64::from(sg);
                tp += u64::from(sp && sg);
            }
        }
        let pw = |a: u64, b: u64| if b == 0 { 1.0 } else { a as f64 / b as f64 };
        (bp / n as f64, br / n as f64, pw(tp, pp), pw(tp, gp))
    }

    #[test]
    fn hand_computed_example() {
        // pred: A={0,1,2}, B={3,4};  gold: X={0,1}, Y={2,3,4}.
        // Cells: (A,X)=2, (A,Y)=1, (B,Y)=2.  a = [3,2], b = [2,3], n = 5.
        // B³ P = (2²/3 + 1²/3 + 2²/2)/5 = (4/3 + 1/3 + 2)/5 = (11/3)/5 = 11/15
        // B³ R = (2²/2 + 1²/3 + 2²/3)/5 = (2 + 1/3 + 4/3)/5 = 11/15
        // tp = C(2,2)+C(1,2)+C(2,2) = 2; pred pairs = 3+1 = 4; gold pairs = 1+3 = 4
        // pairwise P = R = F1 = 2/4 = 0.5
        // ARI: all = C(5,2) = 10, fp = 2, fn = 2, tn = 10-2-2-2 = 4
        //   = 2(2·4 − 2·2) / ((2+2)(2+4) + (2+2)(2+4)) = 8/48 = 1/6
        // NMI: H(P) = H(G) = −(0.6 ln 0.6 + 0.4 ln 0.4) = 0.673011667
        //   I = 0.4 ln(5·2/(3·2)) + 0.2 ln(5·1/(3·3)) + 0.4 ln(5·2/(2·3))
        //     = 0.8·0.510825624 + 0.2·(−0.587786665) = 0.291103166
        //   NMI = 0.291103166 / 0.673011667 = 0.432538...
        let s = cluster_scores(&[0, 0, 0, 1, 1], &["x", "x", "y", "y", "y"]).unwrap();
        assert_eq!((s.n, s.clusters, s.gold_clusters), (5, 2, 2));
        assert!(close(s.b3_precision, 11.0 / 15.0));
        assert!(close(s.b3_recall, 11.0 / 15.0));
        assert!(close(s.b3_f1, 11.0 / 15.0));
        assert!(close(s.pairwise_precision, 0.5));
        assert!(close(s.pairwise_recall, 0.5));
        assert!(close(s.pairwise_f1, 0.5));
        assert!(close(s.ari, 1.0 / 6.0), "{}", s.ari);
        let h = -(0.6f64 * 0.6f64.ln() + 0.4 * 0.4f64.ln());
        let i = 0.8 * (10.0f64 / 6.0).ln() + 0.2 * (5.0f64 / 9.0).ln();
        assert!(close(s.nmi, i / h), "{}", s.nmi);
        assert!((s.nmi - 0.432538).abs() < 1e-6);
    }

    #[test]
    fn singletons_vs_one_cluster() {
        // pred: 4 singletons; gold: one cluster of 4.
        // B³ P = 1 (each item alone), R = 1/4; F1 = 2·0.25/1.25 = 0.4.
        // pred pairs = 0 -> precision 1 by convention; recall = 0/6 = 0; F1 = 0.
        // ARI: tp=0, fp=0, fn=6, tn=0 -> num 0, den = 6·6 + 0 = 36 -> 0.
        // NMI: H(G) = 0 -> MI = 0, mean H = ln4/2 > 0 -> 0.
        let s = cluster_scores(&[1, 2, 3, 4], &[7, 7, 7, 7]).unwrap();
        assert!(close(s.b3_precision, 1.0) && close(s.b3_recall, 0.25) && close(s.b3_f1, 0.4));
        assert_eq!(
            (s.pairwise_precision, s.pairwise_recall, s.pairwise_f1),
            (1.0, 0.0, 0.0)
        );
        assert_eq!(s.ari, 0.0);
        assert_eq!(s.nmi, 0.0);
    }

    #[test]
    fn degenerate_identical_cases_score_one() {
        for (p, g) in [
            (vec![1, 2, 3], vec![4, 5, 6]),
            (vec![1, 1, 1], vec![2, 2, 2]),
            (vec![1], vec![9]),
        ] {
            let s = cluster_scores(&p, &g).unwrap();
            for v in [s.b3_f1, s.pairwise_f1, s.ari, s.nmi] {
                assert_eq!(v, 1.0, "{p:?} {g:?} {s:?}");
            }
        }
    }

    #[test]
    fn errors() {
        assert_eq!(cluster_scores::<u8, u8>(&[], &[]), Err(Error::Empty));
        assert_eq!(
            cluster_scores(&[1, 2], &[1]),
            Err(Error::LengthMismatch { left: 2, right: 1 })
        );
    }

    #[test]
    fn large_input_is_fast_and_sane() {
        // 1,000,000 items, 1,000 gold clusters, prediction = gold with every
        // 7th item moved to a neighbouring cluster.
        let n = 1_000_000u32;
        let gold: Vec<u32> = (0..n).map(|i| i % 1000).collect();
        let pred: Vec<u32> = gold
            .iter()
            .enumerate()
            .map(|(i, &g)| if i % 7 == 0 { (g + 1) % 1000 } else { g })
            .collect();
        let s = cluster_scores(&pred, &gold).unwrap();
        assert_eq!((s.n, s.clusters, s.gold_clusters), (1_000_000, 1000, 1000));
        assert!(s.b3_f1 > 0.7 && s.b3_f1 < 1.0);
        assert!(s.ari > 0.5 && s.ari < 1.0);
    }

    fn labels() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
        (1usize..40).prop_flat_map(|n| {
            (
                prop::collection::vec(0u8..6, n),
                prop::collection::vec(0u8..6, n),
            )
        })
    }

    proptest! {
        #[test]
        fn matches_naive_pairs_and_b3((p, g) in labels()) {
            let s = cluster_scores(&p, &g).unwrap();
            let (bp, br, pp, pr) = naive(&p, &g);
            prop_assert!(close(s.b3_precision, bp) && close(s.b3_recall, br));
            prop_assert!(close(s.pairwise_precision, pp) && close(s.pairwise_recall, pr));
        }

        #[test]
        fn identical_clusterings_score_one(p in prop::collection::vec(0u8..8, 1..50)) {
            let s = cluster_scores(&p, &p).unwrap();
            prop_assert_eq!(s.b3_precision, 1.0);
            prop_assert_eq!(s.b3_recall, 1.0);
            prop_assert_eq!(s.b3_f1, 1.0);
            prop_assert_eq!(s.pairwise_f1, 1.0);
            prop_assert_eq!(s.ari, 1.0);
            prop_assert!((s.nmi - 1.0).abs() < 1e-12);
        }

        #[test]
        fn invariant_under_relabelling((p, g) in labels(), k in 1u8..255) {
            let s = cluster_scores(&p, &g).unwrap();
            // Bijective renaming of both label sets, even to another type.
            let p2: Vec<u8> = p.iter().map(|x| x.wrapping_add(k)).collect();
            let g2: Vec<String> = g.iter().map(|x| format!("gold-{x}")).collect();
            let s2 = cluster_scores(&p2, &g2).unwrap();
            prop_assert_eq!(s, s2);
        }

        #[test]
        fn swap_is_symmetric((p, g) in labels()) {
            let s = cluster_scores(&p, &g).unwrap();
            let t = cluster_scores(&g, &p).unwrap();
            prop_assert_eq!(s.ari, t.ari);
            prop_assert!((s.nmi - t.nmi).abs() < 1e-12);
            prop_assert!(close(s.b3_precision, t.b3_recall) && close(s.b3_recall, t.b3_precision));
            prop_assert_eq!(s.pairwise_precision, t.pairwise_recall);
        }

        #[test]
        fn scores_in_range((p, g) in labels()) {
            let s = cluster_scores(&p, &g).unwrap();
            for v in [s.b3_precision, s.b3_recall, s.b3_f1, s.pairwise_precision,
                      s.pairwise_recall, s.pairwise_f1, s.nmi] {
                prop_assert!((0.0..=1.0).contains(&v), "{:?}", s);
            }
            prop_assert!((-1.0..=1.0).contains(&s.ari));
        }

        #[test]
        fn invariant_under_item_order((p, g) in labels(), rot in 0usize..40) {
            let s = cluster_scores(&p, &g).unwrap();
            let r = rot % p.len();
            let (mut p2, mut g2) = (p.clone(), g.clone());
            p2.rotate_left(r);
            g2.rotate_left(r);
            let s2 = cluster_scores(&p2, &g2).unwrap();
            prop_assert_eq!(s.ari, s2.ari);
            prop_assert!(close(s.b3_f1, s2.b3_f1) && close(s.nmi, s2.nmi));
        }
    }
}
