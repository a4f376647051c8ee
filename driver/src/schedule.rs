//! Dynamic load balancing of grid points over MPI ranks.
//!
//! The world is cut into groups of `R = ranks_per_task` consecutive ranks; each
//! group computes one point at a time on its own sub-communicator, and its
//! first rank (the leader) talks to the coordinator. World rank 0 is both the
//! coordinator (main thread: hands out points, receives results, writes them)
//! and a worker (a second thread), so no rank idles at small rank counts. The
//! coordinator polls with `MPI_Iprobe` and sleeps between polls (back-off up to
//! 1 ms) so it does not steal a core from the computing thread; once no other
//! group is left (always, with a single group) it blocks on its own compute
//! thread instead.
//!
//! Messages (tags below): a leader sends `RESULT` carrying its last result (or
//! nothing, on its first request); the coordinator answers `TASK` with the next
//! point index, or −1 to stop. Points are handed out most expensive first.
//!
//! After a stopping signal ([`crate::signals`]) no new point is handed out: the points
//! in flight finish and reach the sink, then every group is told to stop.

use crate::error::{DriverError, PointError};
use crate::model::{Model, Task};
use crate::record::RecordLayout;
use mpi::point_to_point::{Destination, MatchedReceiveVec, Source};
use mpi::topology::{Color, Communicator, SimpleCommunicator};
use mpi::traits::Root;
use std::collections::{HashMap, VecDeque};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const TAG_RESULT: i32 = 11;
const TAG_TASK: i32 = 12;

/// The outcome of one grid point.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskResult {
    pub index: usize,
    /// The record's values (checked against the declared observables), or why it failed.
    pub outcome: Result<Vec<f64>, PointError>,
    /// Which method produced the result (the worker's provenance label; may be empty).
    pub method: String,
    /// Wall time of the computation in seconds.
    pub wall_time: f64,
    /// World rank of the group leader that computed it.
    pub rank: i32,
}

impl TaskResult {
    /// Wire format: index u64, wall time f64, rank i32, 1 (values) or 0 (error), then for
    /// values the label's length (u16), the label and the f64 values, for an error its text.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32);
        out.extend_from_slice(&(self.index as u64).to_le_bytes());
        out.extend_from_slice(&self.wall_time.to_le_bytes());
        out.extend_from_slice(&self.rank.to_le_bytes());
        match &self.outcome {
            Ok(values) => {
                out.push(1);
                let label = &self.method.as_bytes()[..self.method.len().min(u16::MAX as usize)];
                out.extend_from_slice(&(label.len() as u16).to_le_bytes());
                out.extend_from_slice(label);
                for v in values {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
            Err(e) => {
                out.push(0);
                out.extend_from_slice(e.0.as_bytes());
            }
        }
        out
    }

    /// The inverse of [`Self::encode`]; `None` for a message too short for its header.
    /// A values part that is not a whole number of f64 is kept as the error it is.
    fn decode(bytes: &[u8]) -> Option<TaskResult> {
        if bytes.len() < 21 {
            return None;
        }
        let index = u64::from_le_bytes(bytes[0..8].try_into().ok()?) as usize;
        let wall_time = f64::from_le_bytes(bytes[8..16].try_into().ok()?);
        let rank = i32::from_le_bytes(bytes[16..20].try_into().ok()?);
        let body = &bytes[21..];
        let (outcome, method) = if bytes[20] == 1 {
            let parsed = (|| {
                let n = u16::from_le_bytes(body.get(0..2)?.try_into().ok()?) as usize;
                let label = String::from_utf8_lossy(body.get(2..2 + n)?).into_owned();
                let values = body.get(2 + n..)?;
                (values.len() % 8 == 0).then(|| {
                    let v: Vec<f64> = values
                        .chunks_exact(8)
                        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
                        .collect();
                    (v, label)
                })
            })();
            match parsed {
                Some((v, label)) => (Ok(v), label),
                None => (
                    Err(PointError(
                        "malformed result message from the computing rank".into(),
                    )),
                    String::new(),
                ),
            }
        } else {
            (
                Err(PointError(String::from_utf8_lossy(body).into_owned())),
                String::new(),
            )
        };
        Some(TaskResult {
            index,
            outcome,
            method,
            wall_time,
            rank,
        })
    }

    /// A failure of the point at `index` found by the coordinator (not by the worker).
    fn failed(index: usize, rank: i32, why: String) -> TaskResult {
        TaskResult {
            index,
            outcome: Err(PointError(why)),
            method: String::new(),
            wall_time: f64::NAN,
            rank,
        }
    }
}

/// Where rank 0's coordinator delivers finished points.
pub trait Sink {
    /// One finished point, in completion order.
    fn finished(&mut self, result: TaskResult) -> Result<(), DriverError>;
    /// Called at least every [`IDLE_TICK`] while the coordinator waits (e.g. to commit
    /// buffered points on time).
    fn idle(&mut self) -> Result<(), DriverError> {
        Ok(())
    }
}

/// The longest the coordinator waits without calling [`Sink::idle`].
pub const IDLE_TICK: Duration = Duration::from_millis(50);

impl<F: FnMut(TaskResult) -> Result<(), DriverError>> Sink for F {
    fn finished(&mut self, result: TaskResult) -> Result<(), DriverError> {
        self(result)
    }
}

/// A communicator handed to rank 0's compute thread.
struct SendComm(SimpleCommunicator);
// SAFETY: MPI is initialised with MPI_THREAD_MULTIPLE whenever rank 0 computes
// on a sub-communicator from its second thread (checked by the caller), and
// the communicator is used by that thread alone.
unsafe impl Send for SendComm {}

/// Whether world rank 0 may also compute (its compute thread makes MPI calls
/// only when `ranks_per_task > 1`, which needs `MPI_THREAD_MULTIPLE`).
pub fn rank0_computes(ranks_per_task: usize, threading: mpi::Threading) -> bool {
    ranks_per_task == 1 || threading == mpi::Threading::Multiple
}

fn compute_point(
    model: &dyn Model,
    layout: &RecordLayout,
    worker: &mut dyn crate::model::Worker,
    index: usize,
    comm: &SimpleCommunicator,
    world_rank: i32,
) -> TaskResult {
    let point = model.grid().point(index);
    let start = Instant::now();
    let task = Task {
        index,
        point: &point,
        comm,
    };
    let (outcome, method) = match worker.compute(&task) {
        Ok(record) => match layout.check(&record) {
            Err(e) => (Err(e), String::new()),
            Ok(())
                if record.values().iter().any(|v| !v.is_finite())
                    && !model.accepts_non_finite(&record) =>
            {
                let slots = layout.non_finite_slots(record.values()).join(", ");
                (
                    Err(PointError(format!("non-finite value in results ({slots})"))),
                    String::new(),
                )
            }
            Ok(()) => {
                let (values, method) = record.into_parts();
                (Ok(values), method)
            }
        },
        Err(e) => (Err(e), String::new()),
    };
    TaskResult {
        index,
        outcome,
        method,
        wall_time: start.elapsed().as_secs_f64(),
        rank: world_rank,
    }
}

/// The result of the point `sent` to `source`, from the message `bytes` that came back:
/// a message that cannot be read, that names another point, or whose values do not
/// have the declared length makes that point fail (the sender's own check should have
/// caught it; this guards what crossed MPI). `None` for a first request (nothing sent).
fn received_result(
    bytes: &[u8],
    sent: Option<i64>,
    source: i32,
    layout: &RecordLayout,
) -> Option<TaskResult> {
    let expected = sent.filter(|&i| i >= 0).map(|i| i as usize)?;
    let mut result = match TaskResult::decode(bytes) {
        Some(r) if r.index == expected => r,
        Some(r) => {
            return Some(TaskResult::failed(
                expected,
                source,
                format!(
                    "rank {source} answered for point {} instead of {expected}",
                    r.index
                ),
            ))
        }
        None => {
            return Some(TaskResult::failed(
                expected,
                source,
                format!(
                    "unreadable result message ({} bytes) from rank {source}",
                    bytes.len()
                ),
            ))
        }
    };
    if let Ok(values) = &result.outcome {
        if values.len() != layout.total {
            result.outcome = Err(PointError(format!(
                "rank {source} sent {} values, the observables declare {}",
                values.len(),
                layout.total
            )));
            result.method.clear();
        }
    }
    Some(result)
}

/// Run the sweep over `pending` (point indices). On world rank 0, `sink` is
/// called with each finished point, in completion order; other ranks never
/// call it. Collective over `world`.
pub fn run_sweep(
    world: &SimpleCommunicator,
    threading: mpi::Threading,
    ranks_per_task: usize,
    model: &dyn Model,
    layout: &RecordLayout,
    pending: Vec<usize>,
    sink: &mut dyn Sink,
) -> Result<(), DriverError> {
    let size = world.size() as usize;
    let rank = world.rank();
    let r = ranks_per_task;
    if r == 0 || size % r != 0 {
        return Err(DriverError::Mpi(format!(
            "ranks per task {r} does not divide the {size} ranks"
        )));
    }
    let group_comm = if r > 1 {
        Some(
            world
                .split_by_color(Color::with_value(rank / r as i32))
                .ok_or_else(|| DriverError::Mpi("communicator split failed".into()))?,
        )
    } else {
        None
    };
    let is_leader = rank as usize % r == 0;

    if rank == 0 {
        coordinate(world, threading, model, layout, pending, group_comm, sink)
    } else if is_leader {
        lead(world, model, layout, group_comm);
        Ok(())
    } else {
        follow(
            model,
            layout,
            group_comm.expect("groups exist when ranks_per_task > 1"),
        );
        Ok(())
    }
}

/// A non-leader member of a group: compute whatever the leader broadcasts.
fn follow(model: &dyn Model, layout: &RecordLayout, group: SimpleCommunicator) {
    let mut worker = model.worker();
    let world_rank = mpi::topology::SimpleCommunicator::world().rank();
    loop {
        let mut index: i64 = -1;
        group.process_at_rank(0).broadcast_into(&mut index);
        if index < 0 {
            break;
        }
        compute_point(
            model,
            layout,
            worker.as_mut(),
            index as usize,
            &group,
            world_rank,
        );
    }
}

/// A group leader other than world rank 0.
fn lead(
    world: &SimpleCommunicator,
    model: &dyn Model,
    layout: &RecordLayout,
    group: Option<SimpleCommunicator>,
) {
    let self_comm = SimpleCommunicator::self_comm();
    let comm = group.as_ref().unwrap_or(&self_comm);
    let mut worker = model.worker();
    let coordinator = world.process_at_rank(0);
    let mut message: Vec<u8> = Vec::new(); // empty: first request
    loop {
        coordinator.send_with_tag(&message[..], TAG_RESULT);
        let (index, _) = coordinator.receive_with_tag::<i64>(TAG_TASK);
        if let Some(g) = &group {
            let mut b = index;
            g.process_at_rank(0).broadcast_into(&mut b);
        }
        if index < 0 {
            break;
        }
        message = compute_point(
            model,
            layout,
            worker.as_mut(),
            index as usize,
            comm,
            world.rank(),
        )
        .encode();
    }
}

/// World rank 0: hand out points, collect results, and compute on a second thread.
fn coordinate(
    world: &SimpleCommunicator,
    threading: mpi::Threading,
    model: &dyn Model,
    layout: &RecordLayout,
    pending: Vec<usize>,
    group: Option<SimpleCommunicator>,
    sink: &mut dyn Sink,
) -> Result<(), DriverError> {
    let r = group.as_ref().map_or(1, |g| g.size() as usize);
    let size = world.size() as usize;
    let mut queue: VecDeque<usize> = {
        let mut p = pending;
        // Most expensive first (longest-processing-time heuristic); stable for equal cost.
        let costs: Vec<f64> = p
            .iter()
            .map(|&i| model.cost(&model.grid().point(i)))
            .collect();
        let mut order: Vec<usize> = (0..p.len()).collect();
        order.sort_by(|&a, &b| costs[b].total_cmp(&costs[a]).then(a.cmp(&b)));
        p = order.into_iter().map(|k| p[k]).collect();
        p.into()
    };
    let mut remote_leaders = size / r - 1;
    let local = rank0_computes(r, threading);
    // the point each remote leader was last sent (its next message carries its result)
    let mut in_flight: HashMap<i32, i64> = HashMap::new();

    std::thread::scope(|scope| -> Result<(), DriverError> {
        let (task_tx, task_rx) = mpsc::channel::<Option<usize>>();
        let (result_tx, result_rx) = mpsc::channel::<TaskResult>();
        if local {
            let group = group.map(SendComm);
            scope.spawn(move || {
                let self_comm = SimpleCommunicator::self_comm();
                let comm = group.as_ref().map(|g| &g.0).unwrap_or(&self_comm);
                let mut worker = model.worker();
                while let Ok(Some(index)) = task_rx.recv() {
                    if let Some(g) = &group {
                        let mut b = index as i64;
                        g.0.process_at_rank(0).broadcast_into(&mut b);
                    }
                    let result = compute_point(model, layout, worker.as_mut(), index, comm, 0);
                    if result_tx.send(result).is_err() {
                        break;
                    }
                }
                if let Some(g) = &group {
                    let mut stop: i64 = -1;
                    g.0.process_at_rank(0).broadcast_into(&mut stop);
                }
            });
        } else {
            drop(result_tx);
            if let Some(g) = &group {
                // Rank 0 only coordinates: release the other members of its group.
                let mut stop: i64 = -1;
                g.process_at_rank(0).broadcast_into(&mut stop);
            }
        }

        let mut local_busy = false;
        let mut backoff = Duration::from_micros(20);
        let outcome = (|| -> Result<(), DriverError> {
            loop {
                if crate::signals::interrupted() {
                    queue.clear();
                }
                let mut progressed = false;
                if local && !local_busy {
                    if let Some(index) = queue.pop_front() {
                        task_tx
                            .send(Some(index))
                            .map_err(|_| DriverError::Mpi("compute thread ended".into()))?;
                        local_busy = true;
                        progressed = true;
                    }
                }
                if local_busy {
                    // with no other group to serve, wait for the compute
                    // thread instead of polling (no wake-ups competing with
                    // the compute threads for the cores)
                    let received = if remote_leaders == 0 {
                        result_rx.recv_timeout(IDLE_TICK).map_err(|e| match e {
                            mpsc::RecvTimeoutError::Timeout => mpsc::TryRecvError::Empty,
                            mpsc::RecvTimeoutError::Disconnected => {
                                mpsc::TryRecvError::Disconnected
                            }
                        })
                    } else {
                        result_rx.try_recv()
                    };
                    match received {
                        Ok(result) => {
                            local_busy = false;
                            progressed = true;
                            sink.finished(result)?;
                        }
                        Err(mpsc::TryRecvError::Empty) => sink.idle()?,
                        Err(mpsc::TryRecvError::Disconnected) => {
                            return Err(DriverError::Mpi(
                                "compute thread on rank 0 ended unexpectedly".into(),
                            ))
                        }
                    }
                }
                if remote_leaders > 0 {
                    if let Some(probed) = world
                        .any_process()
                        .immediate_matched_probe_with_tag(TAG_RESULT)
                    {
                        let source = probed.1.source_rank();
                        let (bytes, _) = probed.matched_receive_vec::<u8>();
                        let next: i64 = queue.pop_front().map(|i| i as i64).unwrap_or(-1);
                        world.process_at_rank(source).send_with_tag(&next, TAG_TASK);
                        let sent = in_flight.insert(source, next);
                        if next < 0 {
                            remote_leaders -= 1;
                        }
                        progressed = true;
                        if let Some(result) = received_result(&bytes, sent, source, layout) {
                            sink.finished(result)?;
                        }
                    }
                }
                if queue.is_empty() && !local_busy && remote_leaders == 0 {
                    return Ok(());
                }
                if progressed {
                    backoff = Duration::from_micros(20);
                } else {
                    sink.idle()?;
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_millis(1));
                }
            }
        })();
        let _ = task_tx.send(None);
        outcome
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::SlotSpec;

    fn ok(index: usize, values: Vec<f64>) -> TaskResult {
        TaskResult {
            index,
            outcome: Ok(values),
            method: "nd/real/direct".into(),
            wall_time: 0.25,
            rank: 3,
        }
    }

    #[test]
    fn result_round_trip() {
        let ok = ok(42, vec![1.5, -2.0, 1e-300]);
        assert_eq!(TaskResult::decode(&ok.encode()).unwrap(), ok);
        let err = TaskResult {
            index: 7,
            outcome: Err(PointError("singular matrix".into())),
            method: String::new(),
            wall_time: 1.0,
            rank: 1,
        };
        assert_eq!(TaskResult::decode(&err.encode()).unwrap(), err);
        assert!(TaskResult::decode(&[]).is_none());
    }

    #[test]
    fn a_bad_message_fails_the_point_that_was_sent() {
        let layout = RecordLayout {
            slots: vec![SlotSpec {
                name: "a".into(),
                shape: vec![2],
                len: 2,
            }],
            total: 2,
        };
        let good = ok(5, vec![1.0, 2.0]);
        assert_eq!(
            received_result(&good.encode(), Some(5), 3, &layout),
            Some(good.clone())
        );
        // first request: no result
        assert_eq!(received_result(&[], None, 3, &layout), None);
        let failed = |bytes: &[u8], sent: i64| {
            let r = received_result(bytes, Some(sent), 3, &layout).unwrap();
            assert_eq!(r.index, sent as usize);
            r.outcome.unwrap_err().0
        };
        // short and long records, a truncated message, another point, garbage
        assert!(failed(&ok(5, vec![1.0]).encode(), 5).contains("1 values"));
        assert!(failed(&ok(5, vec![1.0; 3]).encode(), 5).contains("3 values"));
        let bytes = good.encode();
        assert!(failed(&bytes[..bytes.len() - 3], 5).contains("malformed"));
        assert!(failed(&good.encode(), 6).contains("instead of 6"));
        assert!(failed(&[1, 2, 3], 5).contains("unreadable"));
    }
}
