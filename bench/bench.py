#!/usr/bin/env python3
"""Near-duplicate detection benchmark: Storyline vs datasketch 2.x vs rensa.

Builds a corpus of ~3 KB articles from real news sentences (../shared/datasets when
present, else a generated sample corpus) with planted near duplicates and ground truth,
then runs, in one invocation:

* storyline  - the `storyline dedup` release binary, end to end (raw JSONL in, groups out,
               one process; includes ingest/cleaning, shingling, MinHash, LSH, output).
* datasketch - MinHash.bulk + MinHashLSH(threshold, num_perm), timed from texts in memory
               (its Python shingling included).
* rensa      - RMinHash + RMinHashLSH, timing its core alone: shingle sets precomputed.

All use word 3-shingles (lowercase, words = alphanumeric runs), 128 permutations and
threshold 0.8. Anchors group documents by union-find over LSH query candidates.
Reports medians over repetitions of wall time, docs/s, peak RSS, pairwise
precision/recall/F1 over duplicate pairs, and Storyline/anchor speed ratios.

Usage: bench.py run --n 20000 --reps 3 --storyline "target/release/storyline dedup"
"""
import argparse
import json
import os
import random
import re
import shlex
import statistics
import subprocess
import sys
import time
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "datasets")
NUM_PERM = 128
THRESHOLD = 0.8
K = 3
WORD_RE = re.compile(r"[^\W_]+")

# --------------------------------------------------------------------------- corpus

OUTLETS = ["Daily Herald", "The Morning Post", "Global Wire", "City Chronicle",
           "Evening Standard", "Metro News", "The Observer Online", "Reuters Desk"]
AUTHORS = ["Anna Keller", "John Smith", "Maria Lopez", "Wei Chen", "Olga Ivanova",
           "Samuel Okafor", "Lena Fischer", "Tom Brady", "Priya Raman", "Jonas Berg"]


def load_sentences():
    """Sentences from the shared evaluation texts (read in place, never copied)."""
    texts = []
    ecb = os.path.join(SHARED, "ecbplus-dev.jsonl")
    sem = os.path.join(SHARED, "semeval8-dev.jsonl")
    if os.path.exists(ecb):
        with open(ecb, encoding="utf-8") as f:
            texts += [json.loads(l)["text"] for l in f if l.strip()]
    if os.path.exists(sem):
        with open(sem, encoding="utf-8") as f:
            for l in f:
                if l.strip():
                    r = json.loads(l)
                    texts += [r["text1"], r["text2"]]
    sents = set()
    for t in texts:
        for s in re.split(r"(?<=[.!?])\s+|\n+", t):
            s = s.strip()
            if 6 <= len(s.split()) <= 60:
                sents.add(s)
    if len(sents) >= 2000:
        return sorted(sents), "shared datasets (ecbplus-dev + semeval8-dev sentences)"
    # Fallback sample corpus: Zipf-distributed pseudo-words.
    rng = random.Random(7)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
             for _ in range(20000)]
    weights = [1.0 / (i + 1) for i in range(len(vocab))]
    out = []
    for _ in range(30000):
        w = rng.choices(vocab, weights, k=rng.randint(8, 30))
        out.append(" ".join(w).capitalize() + ".")
    return out, "generated sample corpus (shared datasets not found)"


def make_article(rng, sents, target_bytes=3000):
    body, size = [], 0
    while size < target_bytes:
        s = rng.choice(sents)
        body.append(s)
        size += len(s) + 1
    return body


def header(rng):
    return f"By {rng.choice(AUTHORS)} | {rng.choice(OUTLETS)} | updated {rng.randint(1, 28)} {rng.choice(['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun'])} 2024"


def footer(rng):
    return f"Copyright {rng.choice(OUTLETS)} 2024. Follow us for more coverage, reference {rng.randint(10000, 99999)}."


def mutate(rng, art, vocab_sents):
    """Apply one or two planted edits to (header, body, footer)."""
    h, body, f = art["header"], list(art["body"]), art["footer"]
    edits = rng.sample(["swap", "drop", "words", "trunc"], k=1 if rng.random() < 0.7 else 2)
    for e in edits:
        if e == "swap":
            h, f = header(rng), footer(rng)
        elif e == "drop":
            for _ in range(rng.randint(1, 2)):
                if len(body) > 4:
                    body.pop(rng.randrange(len(body)))
        elif e == "words":
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(len(body))
                w = body[i].split()
                j = rng.randrange(len(w))
                op = rng.random()
                if op < 0.4:
                    w[j] = rng.choice(rng.choice(vocab_sents).split())
                elif op < 0.7 and len(w) > 1:
                    del w[j]
                else:
                    w.insert(j, rng.choice(["also", "reportedly", "now", "said"]))
                body[i] = " ".join(w)
        elif e == "trunc":
            keep = max(4, int(len(body) * rng.uniform(0.88, 0.96)))
            body = body[:keep]
    return {"header": h, "body": body, "footer": f}


def render(a):
    return a["header"] + "\n" + " ".join(a["body"]) + "\n" + a["footer"]


def build_corpus(n, seed, path, truth_path):
    rng = random.Random(seed)
    sents, source = load_sentences()
    n_orig = int(n * 0.7)
    originals = []
    docs = []  # (id, text, group)
    for i in range(n_orig):
        a = {"header": header(rng), "body": make_article(rng, sents), "footer": footer(rng)}
        originals.append(a)
        docs.append((f"o{i}", render(a), i))
    for j in range(n - n_orig):
        # Zipf-like choice of the original so that some groups get large.
        g = min(int(rng.paretovariate(1.2)) - 1, n_orig - 1)
        g = (g * 7919 + j // 3) % n_orig if rng.random() < 0.5 else rng.randrange(n_orig)
        if rng.random() < 0.1:
            text = render(originals[g])
            text = text.upper() if rng.random() < 0.5 else text.replace(" ", "  ")
        else:
            text = render(mutate(rng, originals[g], sents))
        docs.append((f"d{j}", text, g))
    rng.shuffle(docs)
    with open(path, "w", encoding="utf-8") as f:
        for i, (doc_id, text, _) in enumerate(docs):
            f.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n")
    with open(truth_path, "w") as f:
        json.dump({doc_id: g for doc_id, _, g in docs}, f)
    return source


# --------------------------------------------------------------------------- shingling

def shingles(text):
    words = WORD_RE.findall(text.lower())
    if not words:
        return set()
    if len(words) < K:
        return {" ".join(words)}
    return {" ".join(words[i:i + K]) for i in range(len(words) - K + 1)}


def read_corpus(path):
    ids, texts = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            ids.append(r["id"])
            texts.append(r["text"])
    return ids, texts


class UF:
    def __init__(self, n):
        self.p = list(range(n))

    def find(self, x):
        while self.p[x] != x:
            self.p[x] = self.p[self.p[x]]
            x = self.p[x]
        return x

    def union(self, a, b):
        a, b = self.find(a), self.find(b)
        if a != b:
            self.p[max(a, b)] = min(a, b)


# --------------------------------------------------------------------------- anchors

def group_by_queries(lsh, mhs):
    """Union-find over each signature's LSH query candidates; returns a group per document."""
    uf = UF(len(mhs))
    for i, m in enumerate(mhs):
        for j in lsh.query(m):
            uf.union(i, j)
    return [uf.find(i) for i in range(len(mhs))]


def anchor_datasketch(ids, texts):
    from datasketch import MinHash, MinHashLSH
    t0 = time.perf_counter()
    sets = [[s.encode("utf-8") for s in shingles(t)] for t in texts]
    mhs = MinHash.bulk(sets, num_perm=NUM_PERM)
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    for i, m in enumerate(mhs):
        lsh.insert(i, m)
    return time.perf_counter() - t0, group_by_queries(lsh, mhs)


def anchor_rensa(ids, texts):
    from rensa import RMinHash, RMinHashLSH
    sets = [sorted(shingles(t)) for t in texts]  # precomputed: not timed
    t0 = time.perf_counter()
    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=RENSA_BANDS)
    mhs = []
    for i, s in enumerate(sets):
        m = RMinHash(num_perm=NUM_PERM, seed=42)
        m.update(s)
        mhs.append(m)
        lsh.insert(i, m)
    return time.perf_counter() - t0, group_by_queries(lsh, mhs)


# datasketch picks (9 bands, 13 rows) for 0.8/128; rensa needs bands dividing num_perm,
# 8 x 16 is the nearest such choice.
RENSA_BANDS = 8
ANCHORS = {"datasketch": anchor_datasketch, "rensa": anchor_rensa}


def anchor_main(name, corpus, out):
    ids, texts = read_corpus(corpus)
    secs, groups = ANCHORS[name](ids, texts)
    with open(out, "w") as f:
        for doc_id, g in zip(ids, groups):
            f.write(json.dumps({"id": doc_id, "group": g}) + "\n")
    print(json.dumps({"seconds": secs}))


# --------------------------------------------------------------------------- evaluation

def pairs_score(pred, truth):
    """Pairwise precision/recall/F1 over same-group pairs."""
    def c2(n):
        return n * (n - 1) // 2
    cells = defaultdict(int)
    psize = defaultdict(int)
    tsize = defaultdict(int)
    for doc_id, t in truth.items():
        p = pred[doc_id]
        cells[(p, t)] += 1
        psize[p] += 1
        tsize[t] += 1
    tp = sum(c2(v) for v in cells.values())
    pp = sum(c2(v) for v in psize.values())
    tt = sum(c2(v) for v in tsize.values())
    prec = tp / pp if pp else 1.0
    rec = tp / tt if tt else 1.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return prec, rec, f1


def read_groups(path):
    pred = {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            pred[r["id"]] = r["group"]
    return pred


TIME_BIN = "/usr/bin/time"


def run_child(cmd, env=None):
    """Run cmd; return (wall seconds, peak RSS MiB, stdout).

    Peak RSS comes from GNU time when installed: a child forked from this (large) Python
    process inherits its RSS high-water mark through exec, so wait4's ru_maxrss would report
    at least the parent's size. Wall time is measured here either way.
    """
    use_time = os.access(TIME_BIN, os.X_OK)
    full = [TIME_BIN, "-f", "BENCH_MAXRSS_KB=%M"] + cmd if use_time else cmd
    t0 = time.perf_counter()
    p = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    if use_time:
        out, err = p.communicate()
        rc, ru = p.returncode, None
    else:
        out = p.stdout.read()
        err = p.stderr.read()
        _, status, ru = os.wait4(p.pid, 0)
        rc = os.waitstatus_to_exitcode(status)
        p.returncode = rc
    wall = time.perf_counter() - t0
    if rc != 0:
        sys.stderr.write(err.decode(errors="replace"))
        raise SystemExit(f"command failed ({p.returncode}): {' '.join(cmd)}")
    rss_kb = None
    for line in err.decode(errors="replace").splitlines():
        if line.startswith("BENCH_MAXRSS_KB="):
            rss_kb = float(line.split("=", 1)[1])
    if rss_kb is None:
        rss_kb = ru.ru_maxrss if ru is not None else float("nan")
    return wall, rss_kb / 1024.0, out.decode()


def main_run(args):
    outdir = os.path.join(HERE, "out")
    os.makedirs(outdir, exist_ok=True)
    corpus = os.path.join(outdir, f"corpus-{args.n}.jsonl")
    truth_path = os.path.join(outdir, f"truth-{args.n}.json")
    source = build_corpus(args.n, args.seed, corpus, truth_path)
    with open(truth_path) as f:
        truth = json.load(f)
    size_mb = os.path.getsize(corpus) / 1e6
    print(f"corpus: {args.n} articles, {size_mb:.1f} MB ({size_mb * 1e3 / args.n:.2f} KB/article), "
          f"{len(set(truth.values()))} true groups; text from {source}", flush=True)

    systems = ["storyline", "storyline-noclean", "datasketch", "rensa"]
    if args.skip:
        systems = [s for s in systems if s not in args.skip.split(",")]
    results = {s: {"secs": [], "rss": [], "score": None} for s in systems}
    for rep in range(args.reps):
        for s in systems:
            out = os.path.join(outdir, f"groups-{s}.jsonl")
            if s.startswith("storyline"):
                mode = ["--no-clean"] if s == "storyline-noclean" else []
                cmd = shlex.split(args.storyline) + mode + [corpus, "--out", out,
                                                      "--threshold", str(THRESHOLD),
                                                      "--num-perm", str(NUM_PERM), "--shingle", str(K)]
                wall, rss, _ = run_child(cmd)
                secs = wall
            else:
                wall, rss, stdout = run_child([sys.executable, os.path.abspath(__file__),
                                               "anchor", s, corpus, out])
                secs = json.loads(stdout.strip().splitlines()[-1])["seconds"]
            results[s]["secs"].append(secs)
            results[s]["rss"].append(rss)
            if results[s]["score"] is None:
                results[s]["score"] = pairs_score(read_groups(out), truth)
            print(f"  rep {rep + 1}/{args.reps} {s:<10} {secs:8.3f} s  peak RSS {rss:7.1f} MiB", flush=True)

    med = {s: statistics.median(r["secs"]) for s, r in results.items()}
    lines = [
        f"| system | what is timed | time (s, median of {args.reps}) | docs/s | peak RSS (MiB) | precision | recall | F1 | speed-up vs datasketch | speed-up vs rensa |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    timed = {"storyline": "whole process: JSONL in -> groups JSONL out (full text-crate cleaning)",
             "storyline-noclean": "whole process, `--no-clean` (title+text as given, like the anchors)",
             "datasketch": "shingling + MinHash.bulk + LSH insert/query",
             "rensa": "RMinHash + LSH insert/query (shingles precomputed)"}
    for s, r in results.items():
        p, rc, f1 = r["score"]
        ratios = [f"{med[a] / med[s]:.2f}x" if a in med else "-" for a in ("datasketch", "rensa")]
        lines.append(f"| {s} | {timed[s]} | {med[s]:.3f} | {args.n / med[s]:,.0f} | "
                     f"{statistics.median(r['rss']):.0f} | {p:.4f} | {rc:.4f} | {f1:.4f} | {ratios[0]} | {ratios[1]} |")
    table = "\n".join(lines)
    print()
    print(table)
    with open(os.path.join(outdir, f"results-{args.n}.md"), "w") as f:
        f.write(table + "\n")
    ok = True
    f1s = {s: results[s]["score"][2] for s in results}
    best_anchor = max((f1s[s] for s in f1s if not s.startswith("storyline")), default=0.0)
    for s in f1s:
        if s.startswith("storyline") and f1s[s] + 1e-9 < best_anchor:
            print(f"NOTE: {s} F1 {f1s[s]:.4f} below best anchor {best_anchor:.4f}")
            ok = ok and not args.check
    print(f"bench: {len(systems)} systems, {args.reps} repetitions, {args.n} articles")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--n", type=int, default=20000)
    r.add_argument("--reps", type=int, default=3)
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--storyline", required=False, default="")
    r.add_argument("--skip", default="")
    r.add_argument("--check", action="store_true", help="exit 1 if Storyline F1 < best anchor")
    a = sub.add_parser("anchor")
    a.add_argument("name", choices=sorted(ANCHORS))
    a.add_argument("corpus")
    a.add_argument("out")
    args = ap.parse_args()
    if args.cmd == "anchor":
        anchor_main(args.name, args.corpus, args.out)
        return 0
    if not args.storyline:
        args.skip = ",".join(filter(None, [args.skip, "storyline", "storyline-noclean"]))
    return main_run(args)


if __name__ == "__main__":
    sys.exit(main())
