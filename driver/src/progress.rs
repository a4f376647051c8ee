//! Progress of a sweep on rank 0: a live bar when stderr is a terminal,
//! otherwise one line every `QK_PROGRESS_INTERVAL` seconds (default 30) and at the end,
//! e.g. `qk: 120/201 points (59.7%), 0 failed, 3.10 points/s, elapsed 38.7 s, ETA 26.1 s`.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

pub struct Progress {
    total: usize,
    done: usize,
    done_at_start: usize,
    failed: usize,
    start: Instant,
    last_line: Instant,
    interval: Duration,
    bar: Option<ProgressBar>,
}

impl Progress {
    /// `total` points in the grid, `done_at_start` of them already finished (resume).
    pub fn new(total: usize, done_at_start: usize, quiet: bool) -> Self {
        let interval = std::env::var("QK_PROGRESS_INTERVAL")
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| *s >= 0.0)
            .map(Duration::from_secs_f64)
            .unwrap_or(Duration::from_secs(30));
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let b = ProgressBar::new(total as u64);
            b.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:40}] {pos}/{len} points, {per_sec}, ETA {eta} {msg}",
                )
                .expect("static template")
                .progress_chars("=> "),
            );
            b.set_position(done_at_start as u64);
            b
        });
        let now = Instant::now();
        Progress {
            total,
            done: done_at_start,
            done_at_start,
            failed: 0,
            start: now,
            last_line: now,
            interval: if quiet { Duration::MAX } else { interval },
            bar,
        }
    }

    pub fn point_finished(&mut self, failed: bool) {
        self.done += 1;
        self.failed += usize::from(failed);
        if let Some(b) = &self.bar {
            b.set_position(self.done as u64);
            if self.failed > 0 {
                b.set_message(format!("({} failed)", self.failed));
            }
        } else if self.last_line.elapsed() >= self.interval {
            self.last_line = Instant::now();
            eprintln!("{}", self.line());
        }
    }

    fn line(&self) -> String {
        let elapsed = self.start.elapsed().as_secs_f64();
        let new = (self.done - self.done_at_start) as f64;
        let rate = if elapsed > 0.0 { new / elapsed } else { 0.0 };
        let eta = if rate > 0.0 {
            format!("{:.1} s", (self.total - self.done) as f64 / rate)
        } else {
            "unknown".into()
        };
        format!(
            "qk: {}/{} points ({:.1}%), {} failed, {:.2} points/s, elapsed {:.1} s, ETA {}",
            self.done,
            self.total,
            100.0 * self.done as f64 / self.total.max(1) as f64,
            self.failed,
            rate,
            elapsed,
            eta
        )
    }

    /// Points done, counting those done before this run.
    pub fn done(&self) -> usize {
        self.done
    }

    pub fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish();
        }
        if self.interval != Duration::MAX {
            eprintln!("{}", self.line());
        }
    }
}
