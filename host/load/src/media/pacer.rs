//! The shared pacers: a few process-wide OS threads (2 to 4, one per core)
//! that send every leg's packets on time. Each owns a set of legs and a
//! min-heap of their due times; it sleeps until the earliest is due (or a
//! command arrives), then sends every packet due within [`SLACK`]. Legs
//! are spread round-robin over the pacers. The threads are independent of
//! any tokio runtime (sends use the non-blocking `try_send_to`), so legs
//! of different runtimes share them; idle pacers block without a timer.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::send::SendLeg;

/// Packets due this close to now are sent in the same wake-up.
pub const SLACK: Duration = Duration::from_micros(500);

/// A request to a pacer.
enum Command {
    /// Start sending a leg.
    Add(u64, Box<SendLeg>),
    /// Stop sending a leg; the reply (if any) confirms nothing more will go out.
    Remove(u64, Option<oneshot::Sender<()>>),
}

/// Handle of a leg registered with a pacer.
#[derive(Debug)]
pub struct Registration {
    id: u64,
    pacer: usize,
}

fn pacers() -> &'static [mpsc::Sender<Command>] {
    static PACERS: OnceLock<Vec<mpsc::Sender<Command>>> = OnceLock::new();
    PACERS.get_or_init(|| {
        let n = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .clamp(2, 4);
        (0..n)
            .filter_map(|i| {
                let (tx, rx) = mpsc::channel();
                std::thread::Builder::new()
                    .name(format!("rtp-pacer-{i}"))
                    .spawn(move || run(rx))
                    .ok()
                    .map(|_| tx)
            })
            .collect()
    })
}

/// Hands a leg to a pacer; `None` if no pacer thread could be started.
pub fn register(leg: SendLeg) -> Option<Registration> {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    static NEXT_PACER: AtomicUsize = AtomicUsize::new(0);
    let all = pacers();
    if all.is_empty() {
        return None;
    }
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let pacer = NEXT_PACER.fetch_add(1, Ordering::Relaxed) % all.len();
    all[pacer].send(Command::Add(id, Box::new(leg))).ok()?;
    Some(Registration { id, pacer })
}

impl Registration {
    /// Stops the leg and waits until its pacer has let go of it.
    pub async fn remove(self) {
        let (tx, rx) = oneshot::channel();
        if pacers()[self.pacer]
            .send(Command::Remove(self.id, Some(tx)))
            .is_ok()
        {
            let _ = rx.await;
        }
    }

    /// Stops the leg without waiting.
    pub fn remove_now(self) {
        let _ = pacers()[self.pacer].send(Command::Remove(self.id, None));
    }
}

/// The pacer thread.
fn run(rx: mpsc::Receiver<Command>) {
    let mut legs: HashMap<u64, SendLeg> = HashMap::new();
    // Due time and leg id; entries of removed legs are skipped when popped.
    let mut due: BinaryHeap<Reverse<(Instant, u64)>> = BinaryHeap::new();
    loop {
        let first = match due.peek() {
            None => match rx.recv() {
                Ok(c) => Some(c),
                Err(_) => return,
            },
            Some(Reverse((at, _))) => {
                let wait = at.saturating_duration_since(Instant::now());
                if wait > SLACK {
                    match rx.recv_timeout(wait) {
                        Ok(c) => Some(c),
                        Err(RecvTimeoutError::Timeout) => None,
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                } else {
                    None
                }
            }
        };
        for cmd in first
            .into_iter()
            .chain(std::iter::from_fn(|| rx.try_recv().ok()))
        {
            match cmd {
                Command::Add(id, leg) => {
                    due.push(Reverse((leg.due(), id)));
                    legs.insert(id, *leg);
                }
                Command::Remove(id, reply) => {
                    legs.remove(&id);
                    if let Some(r) = reply {
                        let _ = r.send(());
                    }
                }
            }
        }
        if legs.is_empty() {
            due.clear();
            continue;
        }
        while let Some(&Reverse((at, id))) = due.peek() {
            let now = Instant::now();
            if at > now + SLACK {
                break;
            }
            due.pop();
            if let Some(leg) = legs.get_mut(&id) {
                leg.tick(now.max(at));
                due.push(Reverse((leg.due(), id)));
            }
        }
    }
}
