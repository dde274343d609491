//! A small timing harness shared by `benches/orm` and the peer crate (`benches/peers`).
//!
//! Why not criterion: the report needs page faults per operation beside each time, the
//! variants of a case timed under the same conditions, and machine-readable results of
//! several processes. So each case ("group") is run like this:
//!
//! 1. warm-up and calibration, per variant: the routine runs in doubling batches until
//!    `warm_up` has passed; the last batch gives the iterations per sample (about
//!    `sample_time` of work each, at least one);
//! 2. `samples` rounds; in each round every variant runs one sample, the order of the
//!    variants rotating from round to round, so a burst of load from a neighbour falls
//!    on all of them alike rather than on whichever ran at the time;
//! 3. per variant: min / median / max of the per-iteration time of its samples, and the
//!    minor page faults of the process (`/proc/self/stat`, the `getrusage` count, all
//!    threads) during its timed loops divided by the iterations.
//!
//! Results go to stdout as a table and, when `ROOST_BENCH_JSON` names a file, as one
//! JSON object per variant appended to that file (read by `scripts/bench-report.py`).
//! Without `--bench` (as under `cargo test --benches`) every routine runs once, untimed:
//! a smoke test of the cases and their checks.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{Duration, Instant};

/// How long and how often to measure.
#[derive(Clone, Debug)]
pub struct Config {
    /// Warm-up (and calibration) time per variant.
    pub warm_up: Duration,
    /// Samples per variant.
    pub samples: usize,
    /// Target duration of one sample.
    pub sample_time: Duration,
    /// `false` under `cargo test --benches`: every routine runs once.
    pub timed: bool,
    /// Run only the variant of this name (`ROOST_BENCH_VARIANT`): one variant alone in
    /// its process, its allocator state its own.
    pub only_variant: Option<String>,
}

impl Config {
    /// From the command line (`--bench` means timed: `cargo bench` passes it) and the
    /// environment: `ROOST_BENCH_WARMUP_MS` (300), `ROOST_BENCH_SAMPLES` (20),
    /// `ROOST_BENCH_SAMPLE_MS` (50), `ROOST_BENCH_VARIANT` (unset: every variant).
    pub fn from_env() -> Config {
        let env = |name: &str, default: u64| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        Config {
            warm_up: Duration::from_millis(env("ROOST_BENCH_WARMUP_MS", 300)),
            samples: env("ROOST_BENCH_SAMPLES", 20).max(1) as usize,
            sample_time: Duration::from_millis(env("ROOST_BENCH_SAMPLE_MS", 50)),
            timed: std::env::args().any(|a| a == "--bench"),
            only_variant: std::env::var("ROOST_BENCH_VARIANT").ok(),
        }
    }

    /// The settings as one line for the report.
    pub fn describe(&self) -> String {
        format!(
            "warm-up {} ms per variant, {} samples of ~{} ms per variant, {}",
            self.warm_up.as_millis(),
            self.samples,
            self.sample_time.as_millis(),
            match &self.only_variant {
                None => "variants interleaved".to_string(),
                Some(v) => format!("only variant `{v}`"),
            }
        )
    }

    /// Whether a case checks its variants against each other before timing: not when one
    /// variant runs alone (the others' results would shape its heap; the interleaved runs
    /// and `cargo test --benches` check).
    pub fn checks(&self) -> bool {
        self.only_variant.is_none()
    }

    /// `"interleaved"`, or `"alone"` when one variant runs by itself.
    pub fn mode(&self) -> &'static str {
        if self.only_variant.is_some() {
            "alone"
        } else {
            "interleaved"
        }
    }

    /// The non-flag arguments: case filters (a group runs when its name contains one).
    pub fn filters() -> Vec<String> {
        std::env::args()
            .skip(1)
            .filter(|a| !a.starts_with("--"))
            .collect()
    }
}

/// Minor and major page faults of the whole process so far, from `/proc/self/stat`
/// (the counters `getrusage(RUSAGE_SELF)` reports). `(0, 0)` where there is no procfs.
pub fn faults() -> (u64, u64) {
    // Read into a stack buffer: no allocation (which could itself fault) while counting.
    use std::io::Read as _;
    let mut buf = [0u8; 1024];
    let Ok(mut file) = std::fs::File::open("/proc/self/stat") else {
        return (0, 0);
    };
    let n = file.read(&mut buf).unwrap_or(0);
    let Ok(stat) = std::str::from_utf8(&buf[..n]) else {
        return (0, 0);
    };
    // Fields after the command name (which may hold spaces) start with the state
    // (field 3); minflt is field 10, majflt field 12.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return (0, 0);
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let get = |i: usize| fields.get(i).and_then(|f| f.parse().ok()).unwrap_or(0);
    (get(7), get(9))
}

/// CPU time (user + system) of this process, and the busy time of the whole machine,
/// both in clock ticks, from procfs: how busy the machine was apart from us.
pub fn cpu_ticks() -> (u64, u64) {
    let own = read_small("/proc/self/stat")
        .and_then(|stat| {
            let rest = stat.rsplit_once(')')?.1.to_string();
            let fields: Vec<u64> = rest
                .split_whitespace()
                .map(|f| f.parse().unwrap_or(0))
                .collect();
            // utime, stime: fields 14 and 15.
            Some(fields.get(11)? + fields.get(12)?)
        })
        .unwrap_or(0);
    let machine = read_small("/proc/stat")
        .and_then(|stat| {
            let line = stat.lines().next()?.to_string();
            let v: Vec<u64> = line
                .split_whitespace()
                .skip(1)
                .map(|f| f.parse().unwrap_or(0))
                .collect();
            // user nice system idle iowait irq softirq steal: busy = all but idle, iowait.
            Some(v.iter().take(8).sum::<u64>() - v.get(3)? - v.get(4)?)
        })
        .unwrap_or(0);
    (own, machine)
}

fn read_small(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// The 1-minute load average.
pub fn loadavg() -> String {
    read_small("/proc/loadavg")
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// One timed sample: how long the routine's iterations took and the minor faults
/// during them.
pub struct Sample {
    pub elapsed: Duration,
    pub faults: u64,
}

/// Run `f` `iters` times; time and faults around the whole loop.
pub fn time_loop(iters: u64, mut f: impl FnMut()) -> Sample {
    let before = faults().0;
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    let elapsed = start.elapsed();
    Sample {
        elapsed,
        faults: faults().0 - before,
    }
}

/// Run `setup` then `f`, `iters` times; only `f` is timed and its faults counted.
pub fn time_batched<S>(iters: u64, mut setup: impl FnMut() -> S, mut f: impl FnMut(S)) -> Sample {
    let mut elapsed = Duration::ZERO;
    let mut faulted = 0;
    for _ in 0..iters {
        let input = setup();
        let before = faults().0;
        let start = Instant::now();
        f(input);
        elapsed += start.elapsed();
        faulted += faults().0 - before;
    }
    Sample {
        elapsed,
        faults: faulted,
    }
}

type Routine<'a> = Box<dyn FnMut(u64) -> Sample + 'a>;

struct Variant<'a> {
    name: &'static str,
    label: &'static str,
    routine: Routine<'a>,
}

/// The measured figures of one variant.
#[derive(Clone, Debug)]
pub struct Measured {
    pub group: String,
    pub variant: &'static str,
    pub label: &'static str,
    pub median_ns: f64,
    pub min_ns: f64,
    pub max_ns: f64,
    pub faults_per_op: f64,
    pub iters_per_sample: u64,
    pub samples: usize,
}

/// One case: variants doing the same work, measured together.
pub struct Group<'a> {
    name: String,
    label: String,
    variants: Vec<Variant<'a>>,
}

impl<'a> Group<'a> {
    pub fn new(name: impl Into<String>, label: impl Into<String>) -> Self {
        Group {
            name: name.into(),
            label: label.into(),
            variants: Vec::new(),
        }
    }

    /// A variant whose every iteration is `f()`.
    pub fn bench(&mut self, name: &'static str, label: &'static str, mut f: impl FnMut() + 'a) {
        self.custom(name, label, move |iters| time_loop(iters, &mut f));
    }

    /// A variant with untimed per-iteration setup (its output is `f`'s input).
    pub fn bench_batched<S>(
        &mut self,
        name: &'static str,
        label: &'static str,
        mut setup: impl FnMut() -> S + 'a,
        mut f: impl FnMut(S) + 'a,
    ) {
        self.custom(name, label, move |iters| {
            time_batched(iters, &mut setup, &mut f)
        });
    }

    /// A variant given the iterations to run, returning its own sample.
    pub fn custom(
        &mut self,
        name: &'static str,
        label: &'static str,
        routine: impl FnMut(u64) -> Sample + 'a,
    ) {
        self.variants.push(Variant {
            name,
            label,
            routine: Box::new(routine),
        });
    }

    /// Measure every variant (see the module docs); print and record the results.
    pub fn run(mut self, config: &Config, bench: &str) -> Vec<Measured> {
        if let Some(only) = &config.only_variant {
            self.variants.retain(|v| v.name == only.as_str());
        }
        if !config.timed {
            for v in &mut self.variants {
                (v.routine)(1);
            }
            println!(
                "{}: {} variants ran once (untimed)",
                self.name,
                self.variants.len()
            );
            return Vec::new();
        }
        // Warm-up and calibration.
        let mut iters = Vec::with_capacity(self.variants.len());
        for v in &mut self.variants {
            let started = Instant::now();
            let mut n = 1u64;
            let per_iter = loop {
                let s = (v.routine)(n);
                let per_iter = s.elapsed.as_secs_f64() / n as f64;
                if started.elapsed() >= config.warm_up {
                    break per_iter;
                }
                n = n.saturating_mul(2);
            };
            let target = config.sample_time.as_secs_f64();
            iters.push(((target / per_iter.max(1e-9)) as u64).max(1));
        }
        // Interleaved samples.
        let count = self.variants.len();
        let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(config.samples); count];
        let mut faulted = vec![0u64; count];
        let mut ran = vec![0u64; count];
        for round in 0..config.samples {
            for k in 0..count {
                let i = (round + k) % count;
                let s = (self.variants[i].routine)(iters[i]);
                times[i].push(s.elapsed.as_nanos() as f64 / iters[i] as f64);
                faulted[i] += s.faults;
                ran[i] += iters[i];
            }
        }
        let mut out = Vec::with_capacity(count);
        for (i, v) in self.variants.iter().enumerate() {
            let t = &mut times[i];
            t.sort_by(|a, b| a.total_cmp(b));
            out.push(Measured {
                group: self.name.clone(),
                variant: v.name,
                label: v.label,
                median_ns: median(t),
                min_ns: t[0],
                max_ns: t[t.len() - 1],
                faults_per_op: faulted[i] as f64 / ran[i] as f64,
                iters_per_sample: iters[i],
                samples: t.len(),
            });
        }
        print_group(&self.label, &out);
        record(bench, config.mode(), &self.label, &out);
        out
    }
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// A duration for a table cell: `812 ns`, `14.2 µs`, `3.10 ms`.
pub fn fmt_ns(ns: f64) -> String {
    if ns < 1_000.0 {
        format!("{ns:.0} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.2} µs", ns / 1_000.0)
    } else {
        format!("{:.2} ms", ns / 1_000_000.0)
    }
}

fn print_group(label: &str, results: &[Measured]) {
    let base = results.first().map_or(1.0, |r| r.median_ns);
    let mut text = format!("\n{label}\n");
    for r in results {
        let _ = writeln!(
            text,
            "  {:<30} median {:>10}  (samples {:>10} .. {:>10})  {:>6.2}× first  {:>9.1} faults/op",
            r.label,
            fmt_ns(r.median_ns),
            fmt_ns(r.min_ns),
            fmt_ns(r.max_ns),
            r.median_ns / base,
            r.faults_per_op
        );
    }
    print!("{text}");
}

/// Append one JSON object per line to the file named by `ROOST_BENCH_JSON`.
pub fn record_json(value: &serde_json::Value) {
    let Some(path) = std::env::var_os("ROOST_BENCH_JSON") else {
        return;
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("ROOST_BENCH_JSON");
    writeln!(file, "{value}").expect("write results");
}

fn record(bench: &str, mode: &str, label: &str, results: &[Measured]) {
    for r in results {
        record_json(&serde_json::json!({
            "kind": "case",
            "bench": bench,
            "mode": mode,
            "case": r.group,
            "case_label": label,
            "variant": r.variant,
            "label": r.label,
            "median_ns": r.median_ns,
            "min_ns": r.min_ns,
            "max_ns": r.max_ns,
            "faults_per_op": r.faults_per_op,
            "iters_per_sample": r.iters_per_sample,
            "samples": r.samples,
        }));
    }
}

/// The run conditions of one process: its settings, the load average and how busy
/// the rest of the machine kept the CPUs while it ran.
pub struct Conditions {
    started: Instant,
    ticks: (u64, u64),
    load_before: String,
}

impl Conditions {
    pub fn start() -> Conditions {
        Conditions {
            started: Instant::now(),
            ticks: cpu_ticks(),
            load_before: loadavg(),
        }
    }

    /// Record the process's conditions (a `"kind": "process"` line).
    pub fn finish(self, bench: &str, config: &Config) {
        let wall = self.started.elapsed().as_secs_f64();
        let (own, machine) = cpu_ticks();
        // USER_HZ is 100 on every Linux this runs on.
        let hz = 100.0;
        let own_cores = (own - self.ticks.0) as f64 / hz / wall;
        let others =
            ((machine - self.ticks.1) as f64 - (own - self.ticks.0) as f64).max(0.0) / hz / wall;
        println!(
            "\n{bench}: {wall:.1} s; this process kept {own_cores:.2} cores busy, the rest of \
             the machine {others:.2}; load average {} → {}",
            self.load_before,
            loadavg()
        );
        record_json(&serde_json::json!({
            "kind": "process",
            "bench": bench,
            "mode": config.mode(),
            "wall_s": wall,
            "own_cores": own_cores,
            "other_cores": others,
            "load_before": self.load_before,
            "load_after": loadavg(),
            "settings": config.describe(),
        }));
    }
}
