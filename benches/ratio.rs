//! Ratios of two benchmarks measured in the same run (issue 11: every target is a ratio):
//! from criterion's medians, and from an interleaved timing that a shared machine's changing
//! load disturbs much less. Shared by the benches that `#[path]` it in.

use std::cell::RefCell;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use criterion::Criterion;
use sesh::clock::Stopwatch;

/// Where criterion writes its estimates (its own rule, with the `cargo metadata` step left
/// out: `target/` under the package).
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => Path::new(&dir).join("criterion"),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("target/criterion"),
    }
}

/// This run: where criterion writes, when the run started, and the ratios measured.
pub(crate) struct Run {
    dir: PathBuf,
    group: &'static str,
    since: SystemTime,
    rows: RefCell<Vec<String>>,
}

impl Run {
    /// A run of the benchmark group `group`, and the criterion that measures it.
    pub(crate) fn start(group: &'static str) -> (Self, Criterion) {
        let dir = criterion_dir();
        // The start of this run, as the file system dates the estimates criterion writes.
        let marker = dir.join(format!("{group}-run-start"));
        let since = std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(&marker, b""))
            .and_then(|()| std::fs::metadata(&marker)?.modified())
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let c = Criterion::default()
            .output_directory(&dir)
            .configure_from_args();
        let run = Self {
            dir,
            group,
            since,
            rows: RefCell::new(Vec::new()),
        };
        (run, c)
    }

    /// Prints the ratios measured, as a Markdown table.
    pub(crate) fn print(self) {
        let rows = self.rows.into_inner();
        if rows.is_empty() {
            return;
        }
        println!(
            "\n| a / b | criterion medians | ratio | interleaved ratio | target |\n\
             |---|---:|---:|---:|---|"
        );
        for row in rows {
            println!("{row}");
        }
    }

    /// The median of `id` (e.g. `prepare_send`) in ns, if criterion measured it in this run.
    fn median(&self, id: &str) -> Option<f64> {
        let file = self
            .dir
            .join(self.group)
            .join(id)
            .join("new/estimates.json");
        let modified = std::fs::metadata(&file).ok()?.modified().ok()?;
        if modified < self.since {
            return None;
        }
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(file).ok()?).ok()?;
        v["median"]["point_estimate"].as_f64()
    }

    /// When criterion measured both `a` and `b` in this run (they were not filtered out):
    /// their ratio from criterion's medians, and again timed interleaved (a and b in turn,
    /// [`ROUNDS`] rounds; the median of the per-round ratios), which a shared machine's
    /// changing load disturbs much less.
    pub(crate) fn compare<A, B>(
        &self,
        (a, b, target): (&str, &str, &str),
        mut fa: impl FnMut() -> A,
        mut fb: impl FnMut() -> B,
    ) {
        let (Some(ma), Some(mb)) = (self.median(a), self.median(b)) else {
            return;
        };
        // About 2 ms of each per round.
        let iters = (2e6 / ma.max(mb)).clamp(1.0, 1000.0) as usize;
        let time = |f: &mut dyn FnMut()| {
            let watch = Stopwatch::start();
            for _ in 0..iters {
                f();
            }
            watch.elapsed().as_secs_f64()
        };
        let mut ratios = Vec::with_capacity(ROUNDS);
        for round in 0..ROUNDS {
            let (ta, tb) = if round % 2 == 0 {
                let ta = time(&mut || drop(black_box(fa())));
                (ta, time(&mut || drop(black_box(fb()))))
            } else {
                let tb = time(&mut || drop(black_box(fb())));
                (time(&mut || drop(black_box(fa()))), tb)
            };
            ratios.push(ta / tb);
        }
        ratios.sort_by(f64::total_cmp);
        self.rows.borrow_mut().push(format!(
            "| {a} / {b} | {:.1} µs / {:.1} µs | {:.2} | {:.2} | {target} |",
            ma / 1e3,
            mb / 1e3,
            ma / mb,
            ratios[ROUNDS / 2],
        ));
    }
}

/// Rounds of the interleaved ratio measurements.
const ROUNDS: usize = 101;
