//! Fuzz drivers that run on stable Rust inside `cargo test` (cargo-fuzz needs nightly): for
//! a time budget, each target gets random inputs (mutations and splices of a seed corpus,
//! with tokens of its grammar) and kpack must answer every one with a result or an error
//! of the expected kind: no panic, no hang, no unbounded work.
//!
//! - `KPACK_FUZZ_SECS`: seconds per target (default 2). `0` replays the corpus only.
//! - `KPACK_FUZZ_SEED`: the seed of a run (each target prints the one it used), to
//!   reproduce it. Without it a run picks a new seed, except under `CI`, where the seed is
//!   fixed ([`CI_SEED`]) so that CI's verdict does not depend on luck: exploration is for
//!   developers' runs, whose finds become fixtures.
//! - A failing input (a panic, or an answer of the wrong kind) is written to
//!   `target/fuzz-failures/<target>/<fnv hash>` and the test fails naming it. An input that
//!   takes longer than [`HANG_SECS`] is written there too, then the process aborts.
//! - `tests/fixtures/fuzz/<target>/`: the crashers the drivers found, fixed since, replayed
//!   first on every run as regression tests.
//!
//! Targets: the `--set` family (`set`), the values loader (`values`), the chart archive
//! loader (`archive`), the OCI manifest parser (`oci_manifest`), the Jinja engine
//! (`jinja`) and the Go template engine (`gotmpl`).

mod targets;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// An input running longer than this is a hang (debug builds are slow; real inputs take
/// milliseconds).
pub const HANG_SECS: u64 = 60;

/// SplitMix64: small, fast, and the same sequence for the same seed everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// What a target is: seeds, grammar tokens, a way to make inputs, and the check.
pub struct Target {
    pub name: &'static str,
    pub seeds: Vec<Vec<u8>>,
    /// Pieces of the input language spliced in by the mutator.
    pub tokens: Vec<Vec<u8>>,
    /// Make an input from a mutated seed (default: the bytes themselves).
    pub prepare: fn(Vec<u8>, &mut Rng) -> Vec<u8>,
    /// Largest input made.
    pub max_len: usize,
    /// The check: `Err` says what was wrong with kpack's answer.
    pub check: fn(&[u8]) -> Result<(), String>,
}

pub fn identity(v: Vec<u8>, _: &mut Rng) -> Vec<u8> {
    v
}

/// One mutation of `input`.
fn mutate(input: &mut Vec<u8>, t: &Target, rng: &mut Rng) {
    let len = input.len();
    match rng.below(9) {
        0 if len > 0 => {
            let i = rng.below(len);
            input[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            input[i] = rng.next() as u8;
        }
        2 if len > 0 => {
            let a = rng.below(len);
            let b = (a + 1 + rng.below(16)).min(len);
            input.drain(a..b);
        }
        3 if len > 0 => {
            // Duplicate a slice, sometimes many times (sizes, nesting).
            let a = rng.below(len);
            let b = (a + 1 + rng.below(32)).min(len);
            let piece = input[a..b].to_vec();
            let times = if rng.chance(8) { 1 + rng.below(64) } else { 1 };
            let at = rng.below(len + 1);
            for _ in 0..times {
                input.splice(at..at, piece.iter().copied());
            }
        }
        4 | 5 if !t.tokens.is_empty() => {
            let tok = rng.pick(&t.tokens).clone();
            let at = rng.below(len + 1);
            input.splice(at..at, tok);
        }
        6 if !t.seeds.is_empty() => {
            // Splice: the head of this input and the tail of a seed.
            let other = rng.pick(&t.seeds);
            let a = rng.below(len + 1);
            let b = rng.below(other.len() + 1);
            input.truncate(a);
            input.extend_from_slice(&other[b..]);
        }
        7 if len > 0 => input.truncate(rng.below(len)),
        _ => {
            let at = rng.below(len + 1);
            let n = 1 + rng.below(8);
            let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            input.splice(at..at, bytes);
        }
    }
    input.truncate(t.max_len);
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

fn failures_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/fuzz-failures")
        .join(target)
}

fn save_failure(target: &str, input: &[u8]) -> PathBuf {
    let dir = failures_dir(target);
    let _ = std::fs::create_dir_all(&dir);
    let p = dir.join(format!("{:016x}", fnv(input)));
    let _ = std::fs::write(&p, input);
    p
}

/// Run `input` through the check, catching panics. `Err` describes the failure.
fn run_one(t: &Target, input: &[u8]) -> Result<(), String> {
    match catch_unwind(AssertUnwindSafe(|| (t.check)(input))) {
        Ok(r) => r,
        Err(p) => Err(format!(
            "panicked: {}",
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        )),
    }
}

/// A watchdog for one target: aborts the process (after saving the input) when one input
/// runs longer than [`HANG_SECS`].
struct Watchdog {
    epoch: Instant,
    /// When the current input started, in ms since `epoch` (+1); 0 between inputs.
    started: Arc<AtomicU64>,
    input: Arc<std::sync::Mutex<Vec<u8>>>,
    done: Arc<AtomicBool>,
}

impl Watchdog {
    fn start(target: &'static str) -> Self {
        let w = Watchdog {
            epoch: Instant::now(),
            started: Arc::new(AtomicU64::new(0)),
            input: Arc::new(std::sync::Mutex::new(Vec::new())),
            done: Arc::new(AtomicBool::new(false)),
        };
        let (s, i, d, epoch) = (w.started.clone(), w.input.clone(), w.done.clone(), w.epoch);
        std::thread::spawn(move || {
            while !d.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let at = s.load(Ordering::Relaxed);
                let now = epoch.elapsed().as_millis() as u64 + 1;
                if at > 0 && now.saturating_sub(at) > HANG_SECS * 1000 {
                    let input = i.lock().map(|g| g.clone()).unwrap_or_default();
                    let p = save_failure(target, &input);
                    eprintln!(
                        "fuzz {target}: an input ran longer than {HANG_SECS} s (a hang); saved as {}",
                        p.display()
                    );
                    std::process::abort();
                }
            }
        });
        w
    }

    fn begin(&self, input: &[u8]) {
        if let Ok(mut g) = self.input.lock() {
            g.clear();
            g.extend_from_slice(input);
        }
        self.started.store(
            self.epoch.elapsed().as_millis() as u64 + 1,
            Ordering::Relaxed,
        );
    }

    fn end(&self) {
        self.started.store(0, Ordering::Relaxed);
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
    }
}

/// The files of `tests/fixtures/fuzz/<target>/`, sorted.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read(e.path()).unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn budget() -> Duration {
    let secs = std::env::var("KPACK_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(2.0);
    Duration::from_secs_f64(secs.max(0.0))
}

/// The seed of runs under `CI` without `KPACK_FUZZ_SEED`.
const CI_SEED: u64 = 20261202;

fn seed() -> u64 {
    std::env::var("KPACK_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .or_else(|| std::env::var_os("CI").map(|_| CI_SEED))
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
}

/// Replay the committed corpus, then fuzz for the budget. Panics naming every failure.
pub fn fuzz(t: Target) {
    let dog = Watchdog::start(t.name);
    let mut failures = Vec::new();
    for (name, input) in corpus(t.name) {
        dog.begin(&input);
        if let Err(e) = run_one(&t, &input) {
            failures.push(format!("corpus file {name}: {e}"));
        }
        dog.end();
    }
    let mut fixed = Rng::new(0);
    for seed_input in &t.seeds {
        let input = (t.prepare)(seed_input.clone(), &mut fixed);
        dog.begin(&input);
        if let Err(e) = run_one(&t, &input) {
            let p = save_failure(t.name, &input);
            failures.push(format!("seed {}: {e}", p.display()));
        }
        dog.end();
    }
    let seed = seed();
    let mut rng = Rng::new(seed);
    let deadline = Instant::now() + budget();
    let mut runs = 0u64;
    while Instant::now() < deadline && failures.len() < 5 {
        let mut input = if t.seeds.is_empty() || rng.chance(16) {
            Vec::new()
        } else {
            rng.pick(&t.seeds).clone()
        };
        for _ in 0..1 + rng.below(8) {
            mutate(&mut input, &t, &mut rng);
        }
        let input = (t.prepare)(input, &mut rng);
        dog.begin(&input);
        if let Err(e) = run_one(&t, &input) {
            let p = save_failure(t.name, &input);
            failures.push(format!("{e}\n    input saved as {}", p.display()));
        }
        dog.end();
        runs += 1;
    }
    eprintln!(
        "fuzz {}: {runs} inputs in {:?} (KPACK_FUZZ_SEED={seed})",
        t.name,
        budget()
    );
    assert!(
        failures.is_empty(),
        "fuzz {} (KPACK_FUZZ_SEED={seed}) found {} failing input(s):\n  {}",
        t.name,
        failures.len(),
        failures.join("\n  ")
    );
}
