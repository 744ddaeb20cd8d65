//! A minimal client: enough to produce records with a chosen `acks` and to read a partition as
//! a `read_uncommitted` consumer. Producer batching, idempotence and transactions, and consumer
//! groups, are their own modules (issues of their own).
//!
//! Like the Java client, it caches partition leaders from a `Metadata` request and, when a
//! broker answers `NOT_LEADER_OR_FOLLOWER`, refreshes its metadata and sends again after
//! `retry.backoff.ms` (100 ms) while `delivery.timeout.ms` (120000 ms) allows. Other errors are
//! reported, not retried, so that each outcome stays visible.

use crate::sorted::SortedMap;

use serde::{Deserialize, Serialize};

use crate::command::{Acks, NodeId, TopicPartition};
use crate::error::KafkaError;
use crate::event::EventKind;
use crate::kernel::{Ctx, Timers};
use crate::protocol::FetchRequest;
use crate::protocol::ProduceRequest;
use crate::protocol::{FetchPartition, FetchPartitionResponse, Message, ProducePartition};
use crate::record::Record;

/// What a client handles an input with: the kernel's handle, typed by its timers.
pub type ClientCtx<'a> = Ctx<'a, ClientTimer>;

/// The timers the command-line client sets.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ClientTimer {
    /// Send a request again after `retry.backoff.ms`.
    Retry { request_id: i64 },
    /// A request's `request.timeout.ms`.
    RequestTimeout { request_id: i64 },
}

impl ClientTimer {
    /// How the trace names it when it fires and does nothing else.
    pub fn name(&self) -> String {
        match self {
            ClientTimer::Retry { .. } => "client retry".into(),
            ClientTimer::RequestTimeout { .. } => "client request timeout".into(),
        }
    }
}

pub const CLIENT_ID: NodeId = -1;
pub const RETRY_BACKOFF_MS: i64 = 100;
pub const DELIVERY_TIMEOUT_MS: i64 = 120_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    Produce {
        partition: TopicPartition,
        acks: Acks,
        timeout_ms: i64,
        records: Vec<Record>,
        first_attempt_ms: i64,
    },
    Consume {
        partition: TopicPartition,
        from_offset: i64,
    },
    /// `kafka-delete-records.sh`: one partition's new log start offset (`-1`: its HW).
    DeleteRecords {
        partition: TopicPartition,
        offset: i64,
    },
}

impl Request {
    fn partition(&self) -> &TopicPartition {
        match self {
            Request::Produce { partition, .. }
            | Request::Consume { partition, .. }
            | Request::DeleteRecords { partition, .. } => partition,
        }
    }
}

/// The admin client's request timeout (`request.timeout.ms`, 30 s), which DeleteRecords also
/// sends as its own timeout.
const ADMIN_REQUEST_TIMEOUT_MS: i64 = 30_000;

/// A write the cluster acknowledged, kept to check guarantees against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckedWrite {
    /// The client that wrote it ("client" for `produce`, else the producer's name).
    #[serde(default = "client_name")]
    pub producer: String,
    pub partition: TopicPartition,
    pub acks: Acks,
    pub base_offset: i64,
    pub producer_seqs: Vec<i64>,
}

fn client_name() -> String {
    "client".to_string()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub next_request_id: i64,
    pub next_seq: i64,
    /// Cached leader and leader epoch per partition.
    pub leaders: SortedMap<TopicPartition, (Option<NodeId>, i32)>,
    /// Requests waiting for metadata or for an answer, by request id.
    pub in_flight: SortedMap<i64, Request>,
    pub waiting_for_metadata: Vec<i64>,
    pub bootstrap: Vec<NodeId>,
    pub acked: crate::chunked::ChunkedVec<AckedWrite>,
    /// Records returned to consumer reads, newest last.
    pub consumed: crate::chunked::ChunkedVec<(TopicPartition, Vec<Record>)>,
    pub timers: Timers<ClientTimer>,
}

/// What `produce` asks of the client: one producer request of `count` records to `partition`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProduceOrder {
    pub partition: TopicPartition,
    pub count: i32,
    pub acks: Acks,
    pub key: Option<String>,
    pub value: Option<String>,
    pub timeout_ms: i64,
}

impl Client {
    pub fn new() -> Client {
        Client {
            next_request_id: 1,
            next_seq: 0,
            leaders: SortedMap::new(),
            in_flight: SortedMap::new(),
            waiting_for_metadata: Vec::new(),
            bootstrap: Vec::new(),
            acked: Default::default(),
            consumed: Default::default(),
            timers: Timers::default(),
        }
    }

    fn set_timer(&mut self, ctx: &mut ClientCtx, timer: ClientTimer, after_ms: i64) {
        self.timers.set(ctx, timer, after_ms);
    }

    /// Starts a produce of `count` records.
    pub fn produce(&mut self, ctx: &mut ClientCtx, order: ProduceOrder) {
        let ProduceOrder {
            partition,
            count,
            acks,
            key,
            value,
            timeout_ms,
        } = order;
        let records = (0..count.max(0))
            .map(|_| {
                let seq = self.next_seq;
                self.next_seq += 1;
                Record {
                    offset: -1,
                    leader_epoch: -1,
                    producer: "client".into(),
                    producer_seq: seq,
                    key: key.clone(),
                    value: Some(value.clone().unwrap_or_else(|| format!("v{seq}"))),
                    timestamp_ms: ctx.now,
                    coordinator: None,
                    batch: None,
                }
            })
            .collect();
        let id = self.next_request_id;
        self.next_request_id += 1;
        self.in_flight.insert(
            id,
            Request::Produce {
                partition,
                acks,
                timeout_ms,
                records,
                first_attempt_ms: ctx.now,
            },
        );
        self.send(ctx, id);
    }

    pub fn consume(&mut self, ctx: &mut ClientCtx, partition: TopicPartition, from_offset: i64) {
        let id = self.next_request_id;
        self.next_request_id += 1;
        self.in_flight.insert(
            id,
            Request::Consume {
                partition,
                from_offset,
            },
        );
        self.send(ctx, id);
    }

    /// `kafka-delete-records.sh`: one DeleteRecords request per partition, to its leader
    /// (the admin client groups them by leader; one each reads the same in the trace).
    pub fn delete_records(&mut self, ctx: &mut ClientCtx, offsets: &[(TopicPartition, i64)]) {
        for (partition, offset) in offsets {
            let id = self.next_request_id;
            self.next_request_id += 1;
            self.in_flight.insert(
                id,
                Request::DeleteRecords {
                    partition: partition.clone(),
                    offset: *offset,
                },
            );
            self.send(ctx, id);
        }
    }

    fn handle_delete_records_response(
        &mut self,
        ctx: &mut ClientCtx,
        from: NodeId,
        request_id: i64,
        tp: TopicPartition,
        low_watermark: i64,
        error: Option<KafkaError>,
    ) {
        self.timers
            .cancel(&ClientTimer::RequestTimeout { request_id });
        let Some(Request::DeleteRecords { offset, .. }) = self.in_flight.get(&request_id).cloned()
        else {
            return;
        };
        match error {
            None => {
                self.in_flight.remove(&request_id);
                ctx.event(
                    EventKind::Command,
                    Some(tp.clone()),
                    format!("kafka-delete-records.sh: {tp} low_watermark: {low_watermark} (the records below it are gone from every live replica)"),
                );
            }
            Some(KafkaError::NOT_LEADER_OR_FOLLOWER) => {
                ctx.event(
                    EventKind::Deliver,
                    Some(tp.clone()),
                    format!("Broker {from} does not lead {tp}: the admin client refreshes its metadata and sends DeleteRecords again"),
                );
                self.leaders.remove(&tp);
                self.retry_later(ctx, request_id);
            }
            Some(e) => {
                self.in_flight.remove(&request_id);
                let why = match e {
                    KafkaError::OFFSET_OUT_OF_RANGE => format!(
                        "offset {offset} is past the high watermark: only committed records can be deleted"
                    ),
                    KafkaError::REQUEST_TIMED_OUT => format!(
                        "the leader moved its log start offset, but the low watermark was still {low_watermark} when the request timed out"
                    ),
                    _ => String::new(),
                };
                ctx.event(
                    EventKind::Command,
                    Some(tp.clone()),
                    format!(
                        "kafka-delete-records.sh: {tp} error: {e}{}{why}",
                        if why.is_empty() { "" } else { ": " }
                    ),
                );
            }
        }
    }

    /// Sends a request to the cached leader, or asks for metadata first.
    fn send(&mut self, ctx: &mut ClientCtx, id: i64) {
        let Some(request) = self.in_flight.get(&id) else {
            return;
        };
        let tp = request.partition().clone();
        let Some(&(Some(leader), epoch)) = self.leaders.get(&tp) else {
            self.waiting_for_metadata.push(id);
            self.request_metadata(ctx);
            return;
        };
        let message = match request {
            Request::Produce {
                acks,
                timeout_ms,
                records,
                ..
            } => Message::Produce(ProduceRequest {
                request_id: id,
                transactional_id: None,
                acks: *acks,
                timeout_ms: *timeout_ms,
                partitions: vec![ProducePartition {
                    partition: tp,
                    records: records.clone(),
                }],
            }),
            Request::Consume { from_offset, .. } => Message::Fetch(FetchRequest {
                replica_id: -1,
                broker_epoch: -1,
                max_wait_ms: 0,
                partitions: vec![FetchPartition {
                    partition: tp,
                    fetch_offset: *from_offset,
                    last_fetched_epoch: -1,
                    current_leader_epoch: epoch,
                    log_start_offset: -1,
                    max_bytes: 0,
                }],
                read_committed: false,
            }),
            Request::DeleteRecords { offset, .. } => Message::DeleteRecords {
                request_id: id,
                partition: tp.clone(),
                offset: *offset,
                timeout_ms: ADMIN_REQUEST_TIMEOUT_MS,
            },
        };
        ctx.send(leader, message);
        if matches!(
            request,
            Request::Produce {
                acks: Acks::None,
                ..
            }
        ) {
            // acks=0: fire and forget; there will be no response.
            self.in_flight.remove(&id);
        } else {
            let timeout = match request {
                Request::Produce { timeout_ms, .. } => *timeout_ms,
                Request::Consume { .. } => 30_000,
                // The broker answers REQUEST_TIMED_OUT at its own timeout; the client waits a
                // little longer for that answer.
                Request::DeleteRecords { .. } => ADMIN_REQUEST_TIMEOUT_MS + 1_000,
            };
            self.set_timer(ctx, ClientTimer::RequestTimeout { request_id: id }, timeout);
        }
    }

    fn request_metadata(&mut self, ctx: &mut ClientCtx) {
        // A real client tries its bootstrap servers; a refused connection fails at once, so
        // the sandbox asks the first broker that is running.
        if let Some(&broker) = self.bootstrap.first() {
            ctx.send(broker, Message::MetadataRequest);
        } else {
            ctx.event(
                EventKind::Deliver,
                None,
                "The client cannot reach any broker to ask for metadata".to_string(),
            );
        }
    }

    pub fn handle_metadata(
        &mut self,
        ctx: &mut ClientCtx,
        leaders: Vec<(TopicPartition, Option<NodeId>, i32)>,
    ) {
        for (tp, leader, epoch) in leaders {
            self.leaders.insert(tp, (leader, epoch));
        }
        let waiting = std::mem::take(&mut self.waiting_for_metadata);
        for id in waiting {
            let Some(request) = self.in_flight.get(&id) else {
                continue;
            };
            let tp = request.partition().clone();
            match self.leaders.get(&tp) {
                Some((Some(_), _)) => self.send(ctx, id),
                Some((None, _)) => {
                    ctx.event(
                        EventKind::Deliver,
                        Some(tp.clone()),
                        format!("The client learns that {tp} has no leader; it retries in retry.backoff.ms={RETRY_BACKOFF_MS}"),
                    );
                    self.retry_later(ctx, id);
                }
                None => {
                    ctx.event(
                        EventKind::ProduceAck,
                        Some(tp.clone()),
                        format!("The client's request for {tp} fails: UNKNOWN_TOPIC_OR_PARTITION"),
                    );
                    self.in_flight.remove(&id);
                }
            }
        }
    }

    fn retry_later(&mut self, ctx: &mut ClientCtx, id: i64) {
        if let Some(Request::Produce {
            first_attempt_ms, ..
        }) = self.in_flight.get(&id)
        {
            if ctx.now - first_attempt_ms > DELIVERY_TIMEOUT_MS {
                ctx.event(
                    EventKind::ProduceAck,
                    None,
                    format!("The client gives up on request {id}: delivery.timeout.ms={DELIVERY_TIMEOUT_MS} has passed"),
                );
                self.in_flight.remove(&id);
                return;
            }
        }
        self.set_timer(ctx, ClientTimer::Retry { request_id: id }, RETRY_BACKOFF_MS);
    }

    pub fn on_retry(&mut self, ctx: &mut ClientCtx, id: i64) {
        if let Some(request) = self.in_flight.get(&id) {
            let tp = request.partition().clone();
            self.leaders.remove(&tp);
            self.send(ctx, id);
        }
    }

    pub fn on_request_timeout(&mut self, ctx: &mut ClientCtx, id: i64) {
        if let Some(request) = self.in_flight.remove(&id) {
            let tp = request.partition().clone();
            ctx.event(
                EventKind::ProduceAck,
                Some(tp.clone()),
                format!("The client's request {id} for {tp} got no answer within request.timeout.ms: REQUEST_TIMED_OUT (the leader may have crashed or be cut off)"),
            );
        }
    }

    pub fn handle_produce_response(
        &mut self,
        ctx: &mut ClientCtx,
        from: NodeId,
        request_id: i64,
        tp: TopicPartition,
        error: Option<KafkaError>,
        base_offset: i64,
    ) {
        self.timers
            .cancel(&ClientTimer::RequestTimeout { request_id });
        let Some(Request::Produce { acks, records, .. }) = self.in_flight.get(&request_id).cloned()
        else {
            return;
        };
        match error {
            None => {
                self.in_flight.remove(&request_id);
                self.acked.push(AckedWrite {
                    producer: client_name(),
                    partition: tp.clone(),
                    acks,
                    base_offset,
                    producer_seqs: records.iter().map(|r| r.producer_seq).collect(),
                });
                ctx.event(
                    EventKind::ProduceAck,
                    Some(tp.clone()),
                    format!(
                        "The client's write of {} record(s) to {tp} is acknowledged by broker {from} at base offset {base_offset} ({})",
                        records.len(),
                        match acks {
                            Acks::All => "acks=all: every in-sync replica has it",
                            Acks::Leader => "acks=1: only the leader is known to have it",
                            Acks::None => "acks=0",
                        }
                    ),
                );
            }
            Some(KafkaError::NOT_LEADER_OR_FOLLOWER) | Some(KafkaError::FENCED_LEADER_EPOCH) => {
                ctx.event(
                    EventKind::ProduceAck,
                    Some(tp.clone()),
                    format!("Broker {from} answered {} for {tp}: the client's metadata is stale, so it refreshes it and retries", error.map_or(String::new(), |e| e.to_string())),
                );
                self.leaders.remove(&tp);
                self.retry_later(ctx, request_id);
            }
            Some(e) => {
                self.in_flight.remove(&request_id);
                ctx.event(
                    EventKind::ProduceAck,
                    Some(tp.clone()),
                    format!("The client's write to {tp} failed with {e}"),
                );
            }
        }
    }

    /// A request could not be sent: the broker is down and refused the connection. Like the
    /// Java client, forget the leaders on that broker, refresh metadata and retry.
    pub fn handle_disconnect(&mut self, ctx: &mut ClientCtx, broker: NodeId, message: &Message) {
        let request_id = match message {
            Message::Produce(ProduceRequest { request_id, .. })
            | Message::DeleteRecords { request_id, .. } => Some(*request_id),
            _ => None,
        };
        self.leaders
            .retain(|_, (leader, _)| *leader != Some(broker));
        self.bootstrap.retain(|&b| b != broker);
        let ids: Vec<i64> = match message {
            Message::Produce(ProduceRequest { .. }) | Message::DeleteRecords { .. } => {
                request_id.into_iter().collect()
            }
            Message::Fetch(FetchRequest { partitions, .. }) => self
                .in_flight
                .iter()
                .filter(|(_, r)| matches!(r, Request::Consume { partition, .. } if partitions.iter().any(|p| &p.partition == partition)))
                .map(|(&id, _)| id)
                .collect(),
            Message::MetadataRequest => std::mem::take(&mut self.waiting_for_metadata),
            _ => Vec::new(),
        };
        for id in ids {
            self.timers
                .cancel(&ClientTimer::RequestTimeout { request_id: id });
            if self.in_flight.contains_key(&id) {
                ctx.event(
                    EventKind::Deliver,
                    None,
                    format!("The client cannot connect to broker {broker} (it is down): it refreshes its metadata and retries in retry.backoff.ms={RETRY_BACKOFF_MS}"),
                );
                self.retry_later(ctx, id);
            }
        }
    }

    pub fn handle_fetch_response(
        &mut self,
        ctx: &mut ClientCtx,
        from: NodeId,
        partitions: Vec<FetchPartitionResponse>,
    ) {
        for part in partitions {
            let found = self.in_flight.iter().find_map(|(&id, r)| match r {
                Request::Consume { partition, .. } if *partition == part.partition => Some(id),
                _ => None,
            });
            let Some(id) = found else {
                continue;
            };
            self.in_flight.remove(&id);
            self.timers
                .cancel(&ClientTimer::RequestTimeout { request_id: id });
            let tp = part.partition.clone();
            match part.error {
                Some(KafkaError::NOT_LEADER_OR_FOLLOWER) => {
                    ctx.event(
                        EventKind::Consume,
                        Some(tp.clone()),
                        format!("Broker {from} no longer leads {tp}; the consumer would refresh its metadata and fetch again"),
                    );
                    self.leaders.remove(&tp);
                }
                Some(e) => ctx.event(
                    EventKind::Consume,
                    Some(tp.clone()),
                    format!("The consumer's fetch of {tp} failed with {e}"),
                ),
                None => {
                    let text = match (part.records.first(), part.records.last()) {
                        (Some(first), Some(last)) => format!(
                            "The consumer receives offsets {}..={} of {tp} (HW {})",
                            first.offset, last.offset, part.high_watermark
                        ),
                        _ => format!(
                            "The consumer receives nothing new from {tp}: it is at the HW {}",
                            part.high_watermark
                        ),
                    };
                    ctx.event(EventKind::Consume, Some(tp.clone()), text);
                    self.consumed.push((tp, part.records));
                }
            }
        }
    }
}

impl Default for Client {
    fn default() -> Self {
        Client::new()
    }
}

impl Client {
    /// Handles an answer that arrived for the command-line client.
    pub fn handle_message(&mut self, ctx: &mut ClientCtx, from: NodeId, message: Message) {
        match message {
            Message::MetadataResponse { leaders, .. } => self.handle_metadata(ctx, leaders),
            Message::ProduceResponse {
                request_id,
                partitions,
            } => {
                for p in partitions {
                    self.handle_produce_response(
                        ctx,
                        from,
                        request_id,
                        p.partition,
                        p.error,
                        p.base_offset,
                    );
                }
            }
            Message::FetchResponse { partitions } => {
                self.handle_fetch_response(ctx, from, partitions)
            }
            Message::DeleteRecordsResponse {
                request_id,
                partition,
                low_watermark,
                error,
            } => self.handle_delete_records_response(
                ctx,
                from,
                request_id,
                partition,
                low_watermark,
                error,
            ),
            // Nothing else is an answer to a request this client sends.
            _ => {}
        }
    }

    /// Fires one of the client's timers, if it is the one last set.
    pub fn handle_timer(&mut self, ctx: &mut ClientCtx, timer: ClientTimer) {
        if !self.timers.take(&timer, ctx.now) {
            return;
        }
        match timer {
            ClientTimer::Retry { request_id } => self.on_retry(ctx, request_id),
            ClientTimer::RequestTimeout { request_id } => self.on_request_timeout(ctx, request_id),
        }
    }
}
