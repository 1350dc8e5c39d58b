//! The asynchronous, batched writer of call records.
//!
//! Ending a call must never wait on the database: the call model hands the
//! record to [`CallRecordWriter::try_record`], which only pushes it on a
//! bounded channel. A background task takes whatever has queued up (up to
//! `max_batch` records), lingers a moment for more when the batch is not
//! full, and inserts it in one transaction, so under load many records
//! share one commit (one fsync on SQLite).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::repo::call_records::CallRecord;
use crate::store::Store;

/// Tuning of a [`CallRecordWriter`].
#[derive(Debug, Clone, Copy)]
pub struct WriterConfig {
    /// Records that may wait in memory; beyond, `try_record` refuses.
    pub capacity: usize,
    /// Most records per transaction.
    pub max_batch: usize,
    /// Pause before retrying a failed batch record by record (a record
    /// failing again is dropped and counted in [`WriterStats::failed`]).
    pub retry_after: Duration,
    /// How long a batch that is not full waits for more records before
    /// its transaction: at a few hundred calls a second, one commit then
    /// carries tens of records instead of one (the insert's fixed cost was
    /// a tenth of the PBX's CPU per call). Records reach the database this
    /// much later; zero writes at once.
    pub linger: Duration,
}

impl Default for WriterConfig {
    fn default() -> Self {
        Self {
            capacity: 10_000,
            max_batch: 500,
            retry_after: Duration::from_millis(500),
            linger: Duration::from_millis(50),
        }
    }
}

/// Counters of a writer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Records committed.
    pub written: u64,
    /// Transactions committed.
    pub batches: u64,
    /// Records refused because the queue was full.
    pub refused: u64,
    /// Records lost because they failed on their own too.
    pub failed: u64,
}

#[derive(Default)]
struct Counters {
    written: AtomicU64,
    batches: AtomicU64,
    refused: AtomicU64,
    failed: AtomicU64,
}

/// The queue is full: the database is not keeping up. The record is handed
/// back so the caller may log it.
#[derive(Debug, thiserror::Error)]
#[error("the call-record queue is full: the database is not keeping up; the record was not queued")]
pub struct QueueFull(pub Box<CallRecord>);

/// Handle on the background writer; clone-free, one per call model.
pub struct CallRecordWriter {
    tx: mpsc::Sender<CallRecord>,
    counters: Arc<Counters>,
    task: JoinHandle<()>,
}

impl CallRecordWriter {
    /// Starts the background task on the current tokio runtime.
    pub fn spawn(store: Store, config: WriterConfig) -> Self {
        let (tx, rx) = mpsc::channel(config.capacity.max(1));
        let counters = Arc::new(Counters::default());
        let task = tokio::spawn(run(store, rx, config, counters.clone()));
        Self { tx, counters, task }
    }

    /// Queues a record without waiting; fails only when the queue is full.
    pub fn try_record(&self, record: CallRecord) -> Result<(), QueueFull> {
        self.tx.try_send(record).map_err(|e| {
            self.counters.refused.fetch_add(1, Ordering::Relaxed);
            QueueFull(Box::new(e.into_inner()))
        })
    }

    /// Queues a record, waiting for room when the queue is full (for tools
    /// and imports, not the call path).
    pub async fn record(&self, record: CallRecord) {
        let _ = self.tx.send(record).await;
    }

    /// The counters so far.
    pub fn stats(&self) -> WriterStats {
        WriterStats {
            written: self.counters.written.load(Ordering::Relaxed),
            batches: self.counters.batches.load(Ordering::Relaxed),
            refused: self.counters.refused.load(Ordering::Relaxed),
            failed: self.counters.failed.load(Ordering::Relaxed),
        }
    }

    /// Writes everything queued, stops the task and returns the final
    /// counters. Call it at shutdown so no record is lost.
    pub async fn shutdown(self) -> WriterStats {
        let Self { tx, counters, task } = self;
        drop(tx);
        let _ = task.await;
        WriterStats {
            written: counters.written.load(Ordering::Relaxed),
            batches: counters.batches.load(Ordering::Relaxed),
            refused: counters.refused.load(Ordering::Relaxed),
            failed: counters.failed.load(Ordering::Relaxed),
        }
    }
}

async fn run(
    store: Store,
    mut rx: mpsc::Receiver<CallRecord>,
    config: WriterConfig,
    counters: Arc<Counters>,
) {
    let max = config.max_batch.max(1);
    let mut batch = Vec::with_capacity(max);
    // recv_many waits for at least one record, then takes what is queued.
    while rx.recv_many(&mut batch, max).await > 0 {
        if batch.len() < max && !config.linger.is_zero() {
            tokio::time::sleep(config.linger).await;
            while batch.len() < max {
                match rx.try_recv() {
                    Ok(rec) => batch.push(rec),
                    Err(_) => break,
                }
            }
        }
        let n = batch.len() as u64;
        match store.insert_call_records(&batch).await {
            Ok(()) => {
                counters.written.fetch_add(n, Ordering::Relaxed);
                counters.batches.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                // One bad record (its tenant deleted meanwhile) must not
                // take the others down: retry them one by one.
                tracing::warn!(error = %e, records = n, "writing a call-record batch failed; retrying one by one");
                tokio::time::sleep(config.retry_after).await;
                for rec in &batch {
                    match store.insert_call_records(std::slice::from_ref(rec)).await {
                        Ok(()) => {
                            counters.written.fetch_add(1, Ordering::Relaxed);
                            counters.batches.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            tracing::error!(error = %e, call_id = %rec.call_id, "call record lost");
                            counters.failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
        }
        batch.clear();
    }
}
