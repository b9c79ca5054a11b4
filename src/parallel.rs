//! Independent work on every core, delivered in input order: [`ordered_map`].
//!
//! `sesh open` and `sesh receive` decrypt messages that do not depend on one another, and
//! must print them in the order they came. [`ordered_map`] reads the input on one thread,
//! hands items to worker threads a few at a time, and gives the results back to the calling
//! thread in input order, as soon as each is ready: output streams while input is still
//! coming, and at most [`Workers::window`] items are read and not yet delivered at any time,
//! however long the input is. With one thread it does the work inline, without spawning.
//!
//! Only `std`: scoped threads, channels and a mutex.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Mutex, PoisonError};

/// How many items a worker takes at once when more are waiting: fewer hand-overs, while a
/// trickle of input is still handed over one item at a time.
const DEFAULT_BATCH: usize = 8;

/// The items in flight per worker thread: enough to keep every worker busy while the
/// consumer catches up, few enough that memory does not depend on the input's length.
const WINDOW_PER_THREAD: usize = 32;

/// The most items in flight whatever the number of threads (but at least one per thread), so
/// that memory does not grow with the machine either: `sesh open` holds up to ≈ 100 KB of
/// input or rendered output per item.
const MAX_WINDOW: usize = 256;

/// How many threads work, and how many items may be in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Workers {
    threads: NonZeroUsize,
    window: NonZeroUsize,
    batch: NonZeroUsize,
}

impl Workers {
    /// One worker per core this process may run on
    /// ([`std::thread::available_parallelism`], which honours the CPU affinity mask, as set
    /// by `taskset`, and cgroup quotas); one when that cannot be told.
    #[must_use]
    pub fn available() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
    }

    /// `threads` workers (at least one), with the default window: 32 items per thread, at
    /// most 256 in all (but at least one per thread).
    #[must_use]
    pub fn new(threads: usize) -> Self {
        let threads = NonZeroUsize::new(threads).unwrap_or(NonZeroUsize::MIN);
        let window = threads
            .saturating_mul(nz(WINDOW_PER_THREAD))
            .min(nz(MAX_WINDOW))
            .max(threads);
        Self {
            threads,
            window,
            batch: nz(DEFAULT_BATCH),
        }
    }

    /// [`Workers::new`] with `value` (a setting's text, such as `SESH_THREADS`) as the number
    /// of threads when it is a positive number, else [`Workers::available`].
    #[must_use]
    pub fn from_env_or_available(value: Option<&str>) -> Self {
        match value.and_then(|v| v.trim().parse::<usize>().ok()) {
            Some(n) if n > 0 => Self::new(n),
            _ => Self::available(),
        }
    }

    /// At most `window` items (at least one) read and not yet delivered at any time.
    #[must_use]
    pub fn with_window(mut self, window: usize) -> Self {
        self.window = NonZeroUsize::new(window).unwrap_or(NonZeroUsize::MIN);
        self
    }

    /// How many threads do the work.
    #[must_use]
    pub fn threads(&self) -> usize {
        self.threads.get()
    }

    /// At most how many items are read and not yet delivered.
    #[must_use]
    pub fn window(&self) -> usize {
        self.window.get()
    }
}

fn nz(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN)
}

/// What [`ordered_map`] gives its sink.
#[derive(Debug, PartialEq, Eq)]
pub enum Event<U> {
    /// The next result, in input order.
    Item(U),
    /// The next result is not ready yet (or, with one thread, an item was just delivered):
    /// a good moment to flush buffered output, so that what is ready is seen while the rest
    /// is worked on or the input is waited for.
    Idle,
}

/// Maps `work` over `input` on [`Workers::threads`] threads and feeds the results to `sink`
/// on the calling thread, in input order, as [`Event::Item`]s, with [`Event::Idle`] whenever
/// the sink is about to wait.
///
/// The input is read on its own thread (so it must be [`Send`]); it may block (a pipe) while
/// results already made are delivered. At most [`Workers::window`] items are read and not
/// yet delivered at any time. With one thread nothing is spawned: each item is read, worked
/// on and delivered in turn, followed by an [`Event::Idle`].
///
/// # Errors
/// The first error `sink` returns: then no more items are delivered, nothing more is read or
/// worked on, and the call returns once the threads have stopped (an input thread blocked in
/// a read stops when that read returns, so an input that blocks delays the return until it
/// yields an item or ends).
///
/// # Panics
/// A panic in `work` is not swallowed: delivery stops there (no item after the one that
/// panicked is delivered, nor perhaps a few before it), the other threads stop, and the panic
/// is resumed on the calling thread with its payload. A panic in the input iterator stops the
/// input there; the items before it are delivered, then the panic is resumed on the calling
/// thread.
pub fn ordered_map<I, U, E, F, S>(workers: Workers, input: I, work: F, mut sink: S) -> Result<(), E>
where
    I: IntoIterator,
    I::IntoIter: Send,
    I::Item: Send,
    U: Send,
    F: Fn(I::Item) -> U + Sync,
    S: FnMut(Event<U>) -> Result<(), E>,
{
    if workers.threads.get() == 1 {
        for item in input {
            sink(Event::Item(work(item)))?;
            sink(Event::Idle)?;
        }
        return Ok(());
    }
    let window = workers.window.get();
    let batch = workers.batch.get();
    let work = &work;
    let (item_tx, item_rx) = mpsc::channel::<(usize, I::Item)>();
    let item_rx = Mutex::new(item_rx);
    let item_rx = &item_rx;
    // Set when the consumer stops early: the reader reads nothing more, workers skip what
    // they hold.
    let stop = AtomicBool::new(false);
    let stop = &stop;
    let outcome = std::thread::scope(|scope| {
        // Permits: the reader takes one before reading an item, the consumer returns it once
        // the item is delivered. Holding `window` permits bounds what is in flight.
        let (permit_tx, permit_rx) = mpsc::sync_channel::<()>(window);
        for _ in 0..window {
            let _ = permit_tx.send(());
        }
        let (done_tx, done_rx) = mpsc::channel::<Done<U>>();

        let iter = input.into_iter();
        let reader = scope.spawn(move || {
            let mut iter = iter;
            let mut seq = 0usize;
            // A dropped consumer (the sink failed) ends the permits, and so the reading.
            while permit_rx.recv().is_ok() && !stop.load(Ordering::Relaxed) {
                let Some(item) = iter.next() else { break };
                if item_tx.send((seq, item)).is_err() {
                    break;
                }
                seq += 1;
            }
        });
        for _ in 0..workers.threads.get() {
            let done_tx = done_tx.clone();
            scope.spawn(move || {
                let mut taken = Vec::with_capacity(batch);
                loop {
                    {
                        let rx = item_rx.lock().unwrap_or_else(PoisonError::into_inner);
                        match rx.recv() {
                            Ok(first) => taken.push(first),
                            Err(_) => return,
                        }
                        while taken.len() < batch {
                            match rx.try_recv() {
                                Ok(next) => taken.push(next),
                                Err(_) => break,
                            }
                        }
                    }
                    let mut made = Vec::with_capacity(taken.len());
                    for (seq, item) in taken.drain(..) {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        let run = std::panic::AssertUnwindSafe(|| work(item));
                        match std::panic::catch_unwind(run) {
                            Ok(u) => made.push((seq, u)),
                            Err(payload) => {
                                let _ = done_tx.send(Done::Made(made));
                                let _ = done_tx.send(Done::Panicked(payload));
                                return;
                            }
                        }
                    }
                    if done_tx.send(Done::Made(made)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);

        let mut ready: BTreeMap<usize, U> = BTreeMap::new();
        let mut next = 0usize;
        // Permits of delivered items not yet given back: given back a batch at a time, so
        // that the reader wakes once per batch, not per item (and all of them before the
        // consumer waits, so that the reader is never starved while it does).
        let mut owed = 0usize;
        let give_back = |owed: &mut usize| {
            for _ in 0..std::mem::take(owed) {
                let _ = permit_tx.send(());
            }
        };
        let result = loop {
            if let Some(u) = ready.remove(&next) {
                next += 1;
                if let Err(e) = sink(Event::Item(u)) {
                    break Ok(Err(e));
                }
                owed += 1;
                if owed >= batch {
                    give_back(&mut owed);
                }
                continue;
            }
            let done = match done_rx.try_recv() {
                Ok(d) => d,
                Err(mpsc::TryRecvError::Empty) => {
                    if let Err(e) = sink(Event::Idle) {
                        break Ok(Err(e));
                    }
                    give_back(&mut owed);
                    match done_rx.recv() {
                        Ok(d) => d,
                        Err(_) => break Ok(Ok(())),
                    }
                }
                Err(mpsc::TryRecvError::Disconnected) => break Ok(Ok(())),
            };
            match done {
                Done::Made(made) => ready.extend(made),
                Done::Panicked(payload) => break Err(payload),
            }
        };
        // Stop the reader (no more permits) and, through it, the workers; drop what is left.
        stop.store(true, Ordering::Relaxed);
        drop(permit_tx);
        drop(done_rx);
        drop(ready);
        let read = reader.join();
        (result, read)
    });
    match outcome {
        (Err(payload), _) | (Ok(_), Err(payload)) => std::panic::resume_unwind(payload),
        (Ok(result), Ok(())) => result,
    }
}

/// What a worker sends back.
enum Done<U> {
    /// Results, each with its item's place in the input.
    Made(Vec<(usize, U)>),
    /// `work` panicked: the payload, to resume on the calling thread.
    Panicked(Box<dyn std::any::Any + Send>),
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn the_window_is_bounded_whatever_the_threads() {
        assert_eq!(Workers::new(1).window(), 32);
        assert_eq!(Workers::new(2).window(), 64);
        assert_eq!(Workers::new(8).window(), 256);
        assert_eq!(Workers::new(64).window(), 256);
        assert_eq!(Workers::new(1000).window(), 1000);
        assert_eq!(Workers::new(0).threads(), 1);
    }

    #[test]
    fn threads_from_a_setting_or_every_core() {
        assert_eq!(Workers::from_env_or_available(Some("3")).threads(), 3);
        assert_eq!(Workers::from_env_or_available(Some(" 5\n")).threads(), 5);
        let every = Workers::available().threads();
        for bad in [None, Some(""), Some("0"), Some("-2"), Some("many")] {
            assert_eq!(
                Workers::from_env_or_available(bad).threads(),
                every,
                "{bad:?}"
            );
        }
    }

    /// Collects the items `ordered_map` delivers.
    fn collect<U: Send>(workers: Workers, n: usize, work: impl Fn(usize) -> U + Sync) -> Vec<U> {
        let mut out = Vec::new();
        let r: Result<(), ()> = ordered_map(workers, 0..n, work, |e| {
            if let Event::Item(u) = e {
                out.push(u);
            }
            Ok(())
        });
        assert_eq!(r, Ok(()));
        out
    }

    #[test]
    fn results_come_in_input_order_whatever_order_they_finish_in() {
        // Early items take longest: they finish last, yet come first.
        let slow_first = |i: usize| {
            let spins = if i % 50 < 5 { 30_000 } else { 10 };
            let mut x = i as u64;
            for _ in 0..spins {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
            (i, x)
        };
        for threads in [1, 2, 4, 7] {
            let got = collect(Workers::new(threads), 1000, slow_first);
            let order: Vec<usize> = got.iter().map(|(i, _)| *i).collect();
            assert_eq!(order, (0..1000).collect::<Vec<_>>(), "{threads} threads");
            let inline: Vec<_> = (0..1000).map(slow_first).collect();
            assert_eq!(got, inline, "{threads} threads");
        }
    }

    #[test]
    fn empty_input_delivers_nothing() {
        assert!(collect(Workers::new(3), 0, |i| i).is_empty());
        assert!(collect(Workers::new(1), 0, |i| i).is_empty());
    }

    #[test]
    fn no_more_than_the_window_is_ever_read_ahead_of_delivery() {
        for (threads, window) in [(2, 5), (4, 1), (3, 64), (1, 1)] {
            let read = AtomicUsize::new(0);
            let input = (0..500).inspect(|_| {
                read.fetch_add(1, Ordering::SeqCst);
            });
            let (mut delivered, mut worst) = (0usize, 0usize);
            let workers = Workers::new(threads).with_window(window);
            let r: Result<(), ()> = ordered_map(
                workers,
                input,
                |i| i * 2,
                |e| {
                    if let Event::Item(u) = e {
                        assert_eq!(u, delivered * 2);
                        // This item is read and not yet delivered: it counts.
                        worst = worst.max(read.load(Ordering::SeqCst) - delivered);
                        delivered += 1;
                    }
                    Ok(())
                },
            );
            assert_eq!(r, Ok(()));
            assert_eq!(delivered, 500);
            let bound = if threads == 1 { 1 } else { window };
            assert!(worst <= bound, "{worst} in flight, window {window}");
            assert!(worst >= 1);
        }
    }

    #[test]
    fn one_thread_works_inline_and_idles_after_each_item() {
        let here = std::thread::current().id();
        let mut events = Vec::new();
        let r: Result<(), ()> = ordered_map(
            Workers::new(1),
            0..3,
            |i| {
                assert_eq!(std::thread::current().id(), here);
                i + 10
            },
            |e| {
                events.push(e);
                Ok(())
            },
        );
        assert_eq!(r, Ok(()));
        use Event::{Idle, Item};
        assert_eq!(events, [Item(10), Idle, Item(11), Idle, Item(12), Idle]);
    }

    #[test]
    fn a_sink_error_stops_delivery_and_is_returned() {
        for threads in [1, 2, 4] {
            let mut seen = Vec::new();
            let read = AtomicUsize::new(0);
            let input = (0..10_000).inspect(|_| {
                read.fetch_add(1, Ordering::SeqCst);
            });
            let workers = Workers::new(threads).with_window(16);
            let r = ordered_map(
                workers,
                input,
                |i| i,
                |e| match e {
                    Event::Item(7) => Err("seven"),
                    Event::Item(i) => {
                        seen.push(i);
                        Ok(())
                    }
                    Event::Idle => Ok(()),
                },
            );
            assert_eq!(r, Err("seven"));
            assert_eq!(seen, (0..7).collect::<Vec<_>>());
            // Reading stopped: at most a window past the item that failed.
            let read = read.load(Ordering::SeqCst);
            assert!(read <= 8 + 16, "{read} items read");
        }
    }

    #[test]
    fn a_panic_in_work_reaches_the_caller_and_nothing_after_it_is_delivered() {
        let mut seen = Vec::new();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _: Result<(), ()> = ordered_map(
                Workers::new(2),
                0..1000,
                |i| {
                    assert!(i != 300, "item 300 is bad");
                    i
                },
                |e| {
                    if let Event::Item(i) = e {
                        seen.push(i);
                    }
                    Ok(())
                },
            );
        }));
        let payload = caught.expect_err("the panic is resumed");
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        assert!(text.contains("item 300 is bad"), "{text:?}");
        assert!(seen.len() <= 300);
        assert_eq!(seen, (0..seen.len()).collect::<Vec<_>>());
    }

    #[test]
    fn a_panic_in_the_input_delivers_what_came_before_then_resumes() {
        let mut seen = Vec::new();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let input = (0..100).inspect(|&i| assert!(i != 40, "input 40 is bad"));
            let _: Result<(), ()> = ordered_map(
                Workers::new(3),
                input,
                |i| i,
                |e| {
                    if let Event::Item(i) = e {
                        seen.push(i);
                    }
                    Ok(())
                },
            );
        }));
        assert!(caught.is_err());
        assert_eq!(seen, (0..40).collect::<Vec<_>>());
    }

    #[test]
    fn every_thread_shares_the_work() {
        let threads = std::sync::Mutex::new(std::collections::HashSet::new());
        let got = collect(Workers::new(3), 600, |i| {
            threads
                .lock()
                .expect("not poisoned")
                .insert(std::thread::current().id());
            std::thread::sleep(std::time::Duration::from_micros(200));
            i
        });
        assert_eq!(got, (0..600).collect::<Vec<_>>());
        let used = threads.lock().expect("not poisoned").len();
        assert!(used >= 2, "{used} threads did the work");
    }
}
