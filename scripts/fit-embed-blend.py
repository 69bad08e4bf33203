#!/usr/bin/env python3
"""Fits the dense signal's calibration and blend weight from `storyline eval pairs --predictions`.

usage: storyline eval pairs semeval8-dev.jsonl --predictions preds.jsonl   (built with --features embed)
       scripts/fit-embed-blend.py preds.jsonl

1. Calibration: the least-squares affine map cos -> (cos - lo) / (hi - lo) onto the human similarity
   (4 - Overall) / 3 in [0, 1], clamped to [0, 1] (storyline_embed::Calibration). e5 cosines sit in
   a narrow band (about 0.72-1.0); this puts them on the scale of the sparse score.
2. Blend weight (the one supervised parameter): w in (1 - w) * sparse + w * calibrated, chosen on a
   0.05 grid to maximise Pearson with -Overall (storyline_cluster::Weights::dense).
Prints both, and the Pearson per language pair at the chosen weight. Standard library only.
"""
import json
import math
import sys
from collections import defaultdict


def pearson(x, y):
    n = len(x)
    if n < 3:
        return float("nan")
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sx = math.sqrt(sum((a - mx) ** 2 for a in x))
    sy = math.sqrt(sum((b - my) ** 2 for b in y))
    return sxy / (sx * sy) if sx > 0 and sy > 0 else float("nan")


def main(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    rows = [r for r in rows if r.get("cosine") is not None]
    if not rows:
        sys.exit("no predictions with a cosine: run eval pairs with the embed feature and a model")
    sparse = [r["score"] for r in rows]
    cos = [r["cosine"] for r in rows]
    gold = [-r["gold_overall"] for r in rows]
    n = len(rows)
    sim = [(4 - r["gold_overall"]) / 3 for r in rows]
    mc, mg = sum(cos) / n, sum(sim) / n
    slope = sum((c - mc) * (g - mg) for c, g in zip(cos, sim)) / sum((c - mc) ** 2 for c in cos)
    icept = mg - slope * mc
    # icept + slope * c = (c - lo) / (hi - lo)  =>  lo = -icept / slope, hi = (1 - icept) / slope
    lo, hi = -icept / slope, (1 - icept) / slope
    span = hi - lo
    cal = [min(1.0, max(0.0, (c - lo) / span)) for c in cos]
    best = None
    for k in range(21):
        w = k / 20
        blend = [(1 - w) * s + w * d for s, d in zip(sparse, cal)]
        p = pearson(blend, gold)
        print(f"w={w:.2f} pearson={p:.4f}")
        if best is None or p > best[1]:
            best = (w, p)
    w = best[0]
    print(f"\ncalibration lo={lo:.4f} hi={hi:.4f}; blend weight w={w:.2f}: pearson {best[1]:.4f} "
          f"(sparse {pearson(sparse, gold):.4f}, cosine {pearson(cos, gold):.4f})")
    groups = defaultdict(list)
    for r, s, d, g in zip(rows, sparse, cal, gold):
        groups[r["lang_pair"]].append(((1 - w) * s + w * d, s, g))
    for k in sorted(groups):
        xs = groups[k]
        print(f"{k:<8} {len(xs):>5} sparse {pearson([x[1] for x in xs], [x[2] for x in xs]):.4f} "
              f"blend {pearson([x[0] for x in xs], [x[2] for x in xs]):.4f}")


if __name__ == "__main__":
    main(sys.argv[1])
