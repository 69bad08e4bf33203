//! Prometheus metrics: requests by route and status, a latency histogram, articles stored.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Debug, Default)]
struct Inner {
    requests: BTreeMap<(String, u16), u64>,
    /// Per route: counts per bucket (non-cumulative; the last slot is +Inf), sum, count.
    latency: BTreeMap<String, ([u64; BUCKETS.len() + 1], f64, u64)>,
}

/// Request counters and latency histograms, rendered by [`Metrics::render`].
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    /// Records one finished request.
    pub fn record(&self, route: &str, status: u16, elapsed: Duration) {
        let Ok(mut m) = self.inner.lock() else {
            return;
        };
        *m.requests.entry((route.to_string(), status)).or_default() += 1;
        let secs = elapsed.as_secs_f64();
        let slot = BUCKETS
            .iter()
            .position(|&b| secs <= b)
            .unwrap_or(BUCKETS.len());
        let h = m.latency.entry(route.to_string()).or_default();
        h.0[slot] += 1;
        h.1 += secs;
        h.2 += 1;
    }

    /// The Prometheus text exposition, with `articles` as the stored-articles gauge.
    pub fn render(&self, articles: usize) -> String {
        let mut out = String::new();
        let m = match self.inner.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        let _ = writeln!(
            out,
            "# HELP storyline_articles_stored Articles in the store."
        );
        let _ = writeln!(out, "# TYPE storyline_articles_stored gauge");
        let _ = writeln!(out, "storyline_articles_stored {articles}");
        let _ = writeln!(
            out,
            "# HELP storyline_http_requests_total HTTP requests by route and status."
        );
        let _ = writeln!(out, "# TYPE storyline_http_requests_total counter");
        for ((route, status), n) in &m.requests {
            let _ = writeln!(
                out,
                "storyline_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        let _ = writeln!(
            out,
            "# HELP storyline_http_request_duration_seconds HTTP request latency by route."
        );
        let _ = writeln!(
            out,
            "# TYPE storyline_http_request_duration_seconds histogram"
        );
        for (route, (counts, sum, count)) in &m.latency {
            let route = escape(route);
            let mut cumulative = 0;
            for (i, b) in BUCKETS.iter().enumerate() {
                cumulative += counts[i];
                let _ = writeln!(
                    out,
                    "storyline_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "storyline_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                out,
                "storyline_http_request_duration_seconds_sum{{route=\"{route}\"}} {sum}"
            );
            let _ = writeln!(
                out,
                "storyline_http_request_duration_seconds_count{{route=\"{route}\"}} {count}"
            );
        }
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative() {
        let m = Metrics::default();
        m.record("/a", 200, Duration::from_millis(3));
        m.record("/a", 404, Duration::from_secs(20));
        let text = m.render(7);
        assert!(text.contains("storyline_articles_stored 7"));
        assert!(text.contains("storyline_http_requests_total{route=\"/a\",status=\"404\"} 1"));
        assert!(text.contains("route=\"/a\",le=\"0.005\"} 1"));
        assert!(text.contains("route=\"/a\",le=\"10\"} 1"));
        assert!(text.contains("route=\"/a\",le=\"+Inf\"} 2"));
    }
}
