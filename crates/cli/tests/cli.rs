//! End-to-end tests of the `storyline` binary. Tests that need `../shared` (the seeds and the
//! evaluation datasets) print why they skip when it is absent; CI always has it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_storyline"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run storyline")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIP: {} is absent (CI provides ../shared)", p.display());
        None
    }
}

/// The founding pair (the Tokyo meeting, the phone call), when `../shared` is there.
fn seeds() -> Option<(PathBuf, PathBuf)> {
    Some((
        shared("seeds/000_720a3b21c1c83422.txt")?,
        shared("seeds/002_183009727c3eb3e7.txt")?,
    ))
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/sample/articles.jsonl")
}

#[test]
fn seeds_are_the_same_storyline_not_the_same_event() {
    let Some((a, b)) = seeds() else {
        return;
    };
    let o = run(&["compare", a.to_str().unwrap(), b.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.starts_with("relation: same_storyline"), "{out}");
    for name in ["Kishida", "Kerry", "North Korea"] {
        let line = out
            .lines()
            .find(|l| l.starts_with("shared entities:"))
            .unwrap();
        assert!(line.contains(name), "{name} missing from {line}");
    }
    let o = run(&[
        "compare",
        "--json",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["relation"], "same_storyline");
    let score = v["score"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&score));
    assert!(v["reasons"]["shared_entities"].as_array().unwrap().len() >= 3);
    assert!(!v["reasons"]["shared_terms"].as_array().unwrap().is_empty());
}

/// `storyline cluster INPUTS…` in a temporary directory: the output rows whose id starts with "0"
/// (the seeds' ids), in output order.
fn cluster_seed_rows(inputs: &[&str]) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("clusters.jsonl");
    let mut args = vec!["cluster"];
    args.extend(inputs);
    args.extend(["--out", out.to_str().unwrap()]);
    let o = run(&args);
    assert!(o.status.success(), "{}", text(&o).1);
    std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &serde_json::Value| v["id"].as_str().is_some_and(|id| id.starts_with('0')))
        .collect()
}

#[test]
fn clustering_the_seeds_gives_two_events_in_one_storyline() {
    let Some((a, b)) = seeds() else {
        return;
    };
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    // With their real dates (the phone call of 3 February 2013, the Tokyo meeting of 14 April):
    // 70 days apart, still one storyline.
    let dir = tempfile::tempdir().unwrap();
    let dated = dir.path().join("seeds.jsonl");
    let line = |id: &str, path: &str, date: &str| {
        let text = std::fs::read_to_string(path).unwrap();
        serde_json::json!({"id": id, "text": text, "date": date}).to_string()
    };
    let lines = [
        line("0-call", b, "2013-02-03T20:00:00Z"),
        line("0-meeting", a, "2013-04-14T12:00:00Z"),
    ];
    std::fs::write(&dated, lines.join("\n")).unwrap();
    let sample = sample();
    // Alone, inside a stream of other stories (the sample corpus), and dated.
    for inputs in [
        vec![a, b],
        vec![sample.to_str().unwrap(), a, b],
        vec![dated.to_str().unwrap()],
    ] {
        let rows = cluster_seed_rows(&inputs);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_ne!(rows[0]["event_id"], rows[1]["event_id"], "{rows:?}");
        assert_eq!(rows[0]["storyline_id"], rows[1]["storyline_id"], "{rows:?}");
    }
}

#[test]
fn compare_finds_syndicated_copies_and_unrelated_articles() {
    let s = sample();
    let s = s.to_str().unwrap();
    // art-004 is a syndicated copy of art-002 in the sample corpus (field duplicate_of).
    let lines = std::fs::read_to_string(s).unwrap();
    let (copy, original) = lines
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find_map(|v| {
            Some((
                v["id"].as_str()?.to_string(),
                v["duplicate_of"].as_str()?.to_string(),
            ))
        })
        .expect("a copy in the sample corpus");
    let o = run(&[
        "compare", "--json", "--id-a", &copy, "--id-b", &original, s, s,
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["relation"], "duplicate", "{v}");
    let ids: Vec<serde_json::Value> = lines
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let other = ids
        .iter()
        .find(|x| {
            x["storyline"]
                != ids.iter().find(|y| y["id"] == original.as_str()).unwrap()["storyline"]
        })
        .unwrap();
    let o = run(&[
        "compare",
        "--json",
        "--id-a",
        other["id"].as_str().unwrap(),
        "--id-b",
        &original,
        s,
        s,
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["relation"], "unrelated", "{v}");
}

fn garbage_file(dir: &Path) -> PathBuf {
    // Deterministic pseudo-random bytes, like /dev/urandom.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes: Vec<u8> = (0..200_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let p = dir.join("garbage.jsonl");
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn garbage_input_gives_clear_errors_and_fails_only_when_strict() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = garbage_file(dir.path());
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, b"").unwrap();
    let huge = dir.path().join("huge.jsonl");
    let mut line = b"{\"id\": \"big\", \"text\": \"".to_vec();
    line.resize(50 * 1024 * 1024, b'a');
    line.extend_from_slice(b"\"}\n{\"id\": \"ok\", \"text\": \"A normal article about the port strike in Rotterdam.\"}\n");
    std::fs::write(&huge, line).unwrap();

    for (file, needle) in [
        (&garbage, "garbage.jsonl:1:"),
        (&empty, "file contains no records"),
        (&huge, "huge.jsonl:1: record is 52428"),
    ] {
        for cmd in ["cluster", "dedup"] {
            let o = run(&[cmd, file.to_str().unwrap()]);
            let (out, err) = text(&o);
            assert!(o.status.success(), "{cmd} {}: {err}", file.display());
            assert!(err.contains(needle), "{cmd}: {needle:?} not in {err}");
            assert!(!err.contains("panicked"), "{err}");
            let _ = out;
            let o = run(&["--strict", cmd, file.to_str().unwrap()]);
            let (_, err) = text(&o);
            assert_eq!(
                o.status.code(),
                Some(3),
                "{cmd} --strict {}: {err}",
                file.display()
            );
            assert!(
                err.contains(needle),
                "{cmd} --strict: {needle:?} not in {err}"
            );
            assert!(!err.contains("panicked"), "{err}");
        }
    }
    // The good record after the huge line is still read.
    let o = run(&["cluster", "--json", huge.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["assignments"][0]["id"], "ok");
}

#[test]
fn cluster_writes_one_line_per_article_and_copies_join_their_original() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("clusters.jsonl");
    let s = sample();
    let o = run(&[
        "cluster",
        s.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let (stdout, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        stdout.contains("events:") && stdout.contains("biggest events"),
        "{stdout}"
    );
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let input: Vec<serde_json::Value> = std::fs::read_to_string(&s)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), input.len());
    let event = |id: &str| rows.iter().find(|r| r["id"] == id).unwrap()["event_id"].clone();
    let copies: Vec<&serde_json::Value> = input
        .iter()
        .filter(|r| r["duplicate_of"].is_string())
        .collect();
    let joined = copies
        .iter()
        .filter(|c| event(c["id"].as_str().unwrap()) == event(c["duplicate_of"].as_str().unwrap()))
        .count();
    assert_eq!(
        joined,
        copies.len(),
        "every syndicated copy is in its original's event"
    );
}

#[test]
fn eval_pairs_meets_the_bar_on_semeval_dev() {
    let Some(f) = shared("datasets/semeval8-dev.jsonl") else {
        return;
    };
    let o = run(&["eval", "pairs", "--json", f.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let p = v["pearson"].as_f64().unwrap();
    println!("semeval8-dev pearson {p:.4}");
    assert!(p >= 0.62, "pearson {p}");
    assert_eq!(v["n"], 738);
    assert!(v["by_lang_pair"]["de-en"]["n"].as_u64().unwrap() > 50);
    // With the feature `embed` and the model installed, the same run carries the blended figures
    // (issue E's bars: ≥ 0.70 overall, ≥ 0.60 de-en).
    if let Some(d) = v.get("dense").filter(|d| d.is_object()) {
        let pd = d["pearson"].as_f64().unwrap();
        let de_en = d["by_lang_pair"]["de-en"]["pearson"].as_f64().unwrap();
        println!("semeval8-dev with embeddings: pearson {pd:.4}, de-en {de_en:.4}");
        assert!(pd >= 0.70, "pearson with embeddings {pd}");
        assert!(de_en >= 0.60, "de-en pearson with embeddings {de_en}");
    } else {
        println!("semeval8-dev: no embedding figures (feature `embed` off or no model)");
    }
}

#[test]
fn eval_clusters_reports_all_metrics_on_ecbplus_dev() {
    let Some(f) = shared("datasets/ecbplus-dev.jsonl") else {
        return;
    };
    let start = std::time::Instant::now();
    let o = run(&[
        "eval",
        "clusters",
        "--json",
        f.to_str().unwrap(),
        "--label",
        "event",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for k in [
        "b3_precision",
        "b3_recall",
        "b3_f1",
        "pairwise_f1",
        "ari",
        "clusters",
        "gold_clusters",
        "n",
    ] {
        assert!(v[k].is_number(), "{k} missing in {v}");
    }
    assert_eq!(v["n"], 509);
    assert_eq!(v["gold_clusters"], 44);
    println!(
        "ecbplus-dev event B3 F1 {:.4}",
        v["b3_f1"].as_f64().unwrap()
    );
    // Issue C's acceptance bar (streaming, one configuration for every dataset).
    assert!(
        v["b3_f1"].as_f64().unwrap() >= 0.92,
        "ECB+ dev event B3 F1 below issue C's 0.92: {v}"
    );
    assert!(start.elapsed().as_secs() < 60);
}

/// `(id, field)` of every JSON line of `path`, as strings.
fn column(path: &Path, field: &str) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["id"].as_str().unwrap().to_string(), v[field].to_string())
        })
        .collect()
}

/// A partition as a canonical labelling: rows sorted by id, each label replaced by the position
/// of the first id that carries it, so two partitions are equal exactly when these are.
fn partition(mut rows: Vec<(String, String)>) -> Vec<(String, usize)> {
    rows.sort();
    let mut first: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    rows.iter()
        .enumerate()
        .map(|(i, (id, label))| (id.clone(), *first.entry(label.clone()).or_insert(i)))
        .collect()
}

/// Runs `cluster`, `ingest` + `export` and `dedup` on `input` and asserts one answer: the same
/// event, storyline and duplicate partitions and the same canonical articles. Returns the
/// number of events.
fn assert_one_answer(input: &Path, dir: &Path) -> usize {
    let input = input.to_str().unwrap();
    let clusters = dir.join("clusters.jsonl");
    let exported = dir.join("export.jsonl");
    let groups = dir.join("groups.jsonl");
    let db = dir.join("svc.redb");
    let _ = std::fs::remove_file(&db);
    for args in [
        vec!["cluster", input, "--out", clusters.to_str().unwrap()],
        vec!["ingest", input, "--db", db.to_str().unwrap()],
        vec![
            "export",
            "--db",
            db.to_str().unwrap(),
            "--out",
            exported.to_str().unwrap(),
        ],
        vec!["dedup", input, "--out", groups.to_str().unwrap()],
    ] {
        let o = run(&args);
        assert!(o.status.success(), "{args:?}: {:?}", text(&o));
    }
    for field in ["event_id", "storyline_id", "group"] {
        assert_eq!(
            partition(column(&clusters, field)),
            partition(column(&exported, field)),
            "{field}: cluster and ingest + export disagree on {input}"
        );
    }
    assert_eq!(
        partition(column(&clusters, "group")),
        partition(column(&groups, "group")),
        "cluster and dedup disagree on the duplicate groups of {input}"
    );
    let mut canon = column(&clusters, "canonical");
    canon.sort();
    for other in [&exported, &groups] {
        let mut c = column(other, "canonical");
        c.sort();
        assert_eq!(canon, c, "canonical articles differ on {input}");
    }
    let events: std::collections::HashSet<String> = column(&clusters, "event_id")
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    events.len()
}

#[test]
fn every_front_end_gives_one_answer_on_the_sample() {
    let dir = tempfile::tempdir().unwrap();
    let events = assert_one_answer(&sample(), dir.path());
    assert!(events > 5, "{events} events");
}

#[test]
fn every_front_end_gives_one_answer_on_ecbplus_with_planted_copies() {
    let Some(ecb) = shared("datasets/ecbplus-dev.jsonl") else {
        return;
    };
    // Every fourth article gets a copy: a header and footer swap, a trimmed ending, or case and
    // punctuation edits, as syndication and scraping make them.
    let mut out = String::new();
    for (i, line) in std::fs::read_to_string(ecb).unwrap().lines().enumerate() {
        out.push_str(line);
        out.push('\n');
        if i % 4 != 0 {
            continue;
        }
        let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
        let text = v["text"].as_str().unwrap().to_string();
        let copy = match i % 3 {
            0 => format!(
                "Wire report | World News\n\n{text}\n\nShare this article. All rights reserved."
            ),
            1 => text[..text
                .char_indices()
                .nth(text.chars().count() * 9 / 10)
                .unwrap()
                .0]
                .to_string(),
            _ => text.to_lowercase().replace(',', ""),
        };
        v["id"] = format!("copy-{}", v["id"].as_str().unwrap()).into();
        v["text"] = copy.into();
        out.push_str(&v.to_string());
        out.push('\n');
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ecb-copies.jsonl");
    std::fs::write(&input, out).unwrap();
    assert_one_answer(&input, dir.path());
}

#[test]
fn every_front_end_gives_one_answer_on_a_generated_stream() {
    // More than one pipeline batch, so batch boundaries are exercised.
    let n: usize = std::env::var("STORYLINE_STREAM_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("stream.jsonl");
    let mut synth = storyline_loadgen::synth::Synth::new(11, "gen", 365);
    let mut out = String::new();
    for _ in 0..n {
        out.push_str(&synth.next_article().to_string());
        out.push('\n');
    }
    std::fs::write(&input, out).unwrap();
    let start = std::time::Instant::now();
    let events = assert_one_answer(&input, dir.path());
    println!(
        "{n} generated articles: one answer from cluster, ingest + export and dedup ({events} events) in {:.1} s",
        start.elapsed().as_secs_f64()
    );
}

#[test]
fn delete_removes_articles_from_the_database_and_names_unknown_ids() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.redb");
    let db = db.to_str().unwrap();
    let sample = sample();
    assert!(run(&["ingest", sample.to_str().unwrap(), "--db", db])
        .status
        .success());
    let o = run(&["delete", "--db", db, "art-001", "no-such-id"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("removed art-001"), "{out}");
    assert!(err.contains("no-such-id"), "{err}");
    let o = run(&["export", "--db", db]);
    let (out, _) = text(&o);
    assert_eq!(out.lines().count(), 61);
    assert!(!out.contains("\"id\":\"art-001\""));
}
