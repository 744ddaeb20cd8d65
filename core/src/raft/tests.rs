use super::*;
use expect_test::expect;

type Rec = u32;
type Node = RaftNode<Rec>;

const LATENCY_MS: i64 = 5;
const OBSERVER: NodeId = 1;

#[derive(Clone, Debug)]
enum Item {
    Message {
        to: NodeId,
        from: NodeId,
        message: RaftMessage<Rec>,
    },
    Timer {
        node: NodeId,
        timer: RaftTimer,
    },
}

/// A tiny deterministic network: a queue ordered by (deliver_at_ms, seq), fixed latency,
/// timers, crashes and directed links that drop messages.
struct Sim {
    now: i64,
    seq: u64,
    rng: SimRng,
    nodes: SortedMap<NodeId, Node>,
    queue: SortedMap<(i64, u64), Item>,
    blocked: SortedSet<(NodeId, NodeId)>,
    /// Chance in percent that a message is delivered twice (the copy late).
    duplicate_percent: u64,
    events: Vec<(i64, NodeId, RaftEvent)>,
    leaders: SortedMap<i32, NodeId>,
    /// The longest committed prefix any node has ever reported, as (epoch, record).
    committed: Vec<(i32, RaftRecord<Rec>)>,
    /// (voter, epoch) -> the candidate it voted for.
    votes: SortedMap<(NodeId, i32), NodeId>,
    /// The HW each process has reached since it (re)started.
    hw: SortedMap<NodeId, i64>,
    seed: u64,
}

impl Sim {
    fn new(seed: u64, voters: &[NodeId], observers: &[NodeId]) -> Sim {
        let mut sim = Sim {
            now: 0,
            seq: 0,
            rng: SimRng::new(seed),
            nodes: SortedMap::new(),
            queue: SortedMap::new(),
            blocked: SortedSet::new(),
            duplicate_percent: 0,
            events: Vec::new(),
            leaders: SortedMap::new(),
            committed: Vec::new(),
            votes: SortedMap::new(),
            hw: SortedMap::new(),
            seed,
        };
        for &v in voters {
            let (node, out) =
                Node::new_voter(v, voters.to_vec(), RaftConfig::default(), 0, &mut sim.rng);
            sim.nodes.insert(v, node);
            sim.process(v, out);
        }
        for &o in observers {
            let (node, out) =
                Node::new_observer(o, voters.to_vec(), RaftConfig::default(), 0, &mut sim.rng);
            sim.nodes.insert(o, node);
            sim.process(o, out);
        }
        sim
    }

    fn push(&mut self, at: i64, item: Item) {
        self.seq += 1;
        self.queue.insert((at, self.seq), item);
    }

    fn process(&mut self, node: NodeId, out: Vec<RaftOutput<Rec>>) {
        for o in out {
            match o {
                RaftOutput::Send { to, message } => {
                    if self.duplicate_percent > 0 && self.rng.below(100) < self.duplicate_percent {
                        let extra = self.rng.range(1, 60);
                        let copy = Item::Message {
                            to,
                            from: node,
                            message: message.clone(),
                        };
                        self.push(self.now + LATENCY_MS + extra, copy);
                    }
                    let item = Item::Message {
                        to,
                        from: node,
                        message,
                    };
                    self.push(self.now + LATENCY_MS, item);
                }
                RaftOutput::SetTimer { timer, after_ms } => {
                    assert!(after_ms >= 0);
                    self.push(self.now + after_ms, Item::Timer { node, timer });
                }
                RaftOutput::Event(event) => {
                    if let RaftEvent::BecameLeader { epoch, .. } = &event {
                        let previous = self.leaders.insert(*epoch, node);
                        assert!(
                            previous.is_none() || previous == Some(node),
                            "seed {}: two leaders in epoch {epoch}: {previous:?} and {node}",
                            self.seed
                        );
                        // Leader Completeness: the new leader holds every committed record.
                        let log = self.nodes[&node].log();
                        for (i, c) in self.committed.iter().enumerate() {
                            let e = log.get(i).map(|e| (e.epoch, (*e.record).clone()));
                            assert_eq!(
                                e.as_ref(),
                                Some(c),
                                "seed {}: new leader {node} of epoch {epoch} lacks committed offset {i}",
                                self.seed
                            );
                        }
                    }
                    if let RaftEvent::VoteGranted {
                        to: candidate,
                        epoch,
                        ..
                    } = &event
                    {
                        let previous = self.votes.insert((node, *epoch), *candidate);
                        assert!(
                            previous.is_none() || previous == Some(*candidate),
                            "seed {}: {node} voted twice in epoch {epoch}",
                            self.seed
                        );
                    }
                    self.events.push((self.now, node, event));
                }
            }
        }
        self.check_node(node);
    }

    /// Every node's committed prefix agrees with every other (State Machine Safety).
    fn check_node(&mut self, id: NodeId) {
        let node = &self.nodes[&id];
        assert!(
            node.high_watermark() <= node.log_end_offset(),
            "seed {}: HW past LEO on {id}",
            self.seed
        );
        let seen = self.hw.entry(id).or_insert(0);
        assert!(
            node.high_watermark() >= *seen,
            "seed {}: HW of {id} went back",
            self.seed
        );
        *seen = node.high_watermark();
        for (i, e) in node.committed().enumerate() {
            assert_eq!(e.offset, i as i64);
            let item = (e.epoch, (*e.record).clone());
            match self.committed.get(i) {
                Some(c) => assert_eq!(
                    c, &item,
                    "seed {}: node {id} committed a different record at offset {i}",
                    self.seed
                ),
                None => self.committed.push(item),
            }
        }
    }

    fn run_until(&mut self, until: i64) {
        while let Some((&(at, seq), _)) = self.queue.iter().next() {
            if at > until {
                break;
            }
            let item = self.queue.remove(&(at, seq)).unwrap();
            self.now = at;
            match item {
                Item::Message { to, from, message } => {
                    if self.blocked.contains(&(from, to)) {
                        continue;
                    }
                    let Some(node) = self.nodes.get_mut(&to) else {
                        continue;
                    };
                    if node.is_crashed() {
                        continue;
                    }
                    let out = node.handle_message(at, from, message, &mut self.rng);
                    self.process(to, out);
                }
                Item::Timer { node: id, timer } => {
                    let node = self.nodes.get_mut(&id).unwrap();
                    if !node.is_timer_live(&timer, at) {
                        continue;
                    }
                    let out = node.handle_timer(at, timer, &mut self.rng);
                    self.process(id, out);
                }
            }
        }
        self.now = until;
    }

    fn run_for(&mut self, ms: i64) {
        self.run_until(self.now + ms);
    }

    fn crash(&mut self, id: NodeId) {
        self.nodes.get_mut(&id).unwrap().crash();
    }

    fn restart(&mut self, id: NodeId) {
        let now = self.now;
        let node = self.nodes.get_mut(&id).unwrap();
        if node.is_crashed() {
            self.hw.insert(id, 0);
            let out = node.restart(now, &mut self.rng);
            self.process(id, out);
        }
    }

    /// Drops every message between the two sides, both ways.
    fn partition(&mut self, a: &[NodeId], b: &[NodeId]) {
        for &x in a {
            for &y in b {
                self.blocked.insert((x, y));
                self.blocked.insert((y, x));
            }
        }
    }

    fn heal(&mut self) {
        self.blocked.clear();
    }

    fn leaders(&self) -> Vec<NodeId> {
        self.nodes
            .values()
            .filter(|n| !n.is_crashed() && n.role() == RaftRole::Leader)
            .map(|n| n.id())
            .collect()
    }

    fn single_leader(&self) -> NodeId {
        let leaders = self.leaders();
        assert_eq!(leaders.len(), 1, "seed {}: leaders {leaders:?}", self.seed);
        leaders[0]
    }

    fn append(&mut self, leader: NodeId, records: Vec<Rec>) -> Result<i64, NotLeader> {
        let now = self.now;
        let (first, out) = self.nodes.get_mut(&leader).unwrap().append(now, records)?;
        self.process(leader, out);
        Ok(first)
    }

    fn data(&self, id: NodeId, committed_only: bool) -> Vec<Rec> {
        let node = &self.nodes[&id];
        let entries = if committed_only {
            node.committed()
        } else {
            node.log().iter()
        };
        entries
            .filter_map(|e| match &*e.record {
                RaftRecord::Data(r) => Some(*r),
                RaftRecord::LeaderChange { .. } => None,
            })
            .collect()
    }

    fn trace(&self) -> String {
        self.events
            .iter()
            .map(|(t, n, e)| format!("[{t:>5} ms] {}\n", e.explain(*n)))
            .collect()
    }
}

const VOTERS: [NodeId; 3] = [101, 102, 103];

#[test]
fn config_defaults_are_kafkas() {
    let c = RaftConfig::default();
    assert_eq!(
        (
            c.fetch_timeout_ms,
            c.election_timeout_ms,
            c.election_backoff_max_ms,
            c.fetch_max_wait_ms
        ),
        (2000, 1000, 1000, 500)
    );
    assert_eq!((c.request_timeout_ms, c.retry_backoff_ms), (2000, 20));
    assert_eq!(c.check_quorum_timeout_ms(), 3000);
    assert_eq!(c.begin_quorum_epoch_interval_ms(), 1000);
}

#[test]
fn three_voters_elect_exactly_one_leader() {
    for seed in 0..20 {
        let mut sim = Sim::new(seed, &VOTERS, &[]);
        sim.run_until(5_000);
        let leader = sim.single_leader();
        let epoch = sim.nodes[&leader].epoch();
        for (&id, n) in &sim.nodes {
            assert_eq!(n.epoch(), epoch, "seed {seed}");
            assert_eq!(n.leader(), Some(leader), "seed {seed}");
            if id != leader {
                assert_eq!(n.role(), RaftRole::Follower);
            }
        }
        // The election timeout is random in [1000, 2000), so the first candidate stands
        // no earlier than 1000 ms.
        let first = sim
            .events
            .iter()
            .find(|(_, _, e)| matches!(e, RaftEvent::BecameCandidate { .. }))
            .unwrap();
        assert!((1000..2000).contains(&first.0), "seed {seed}: {}", first.0);
        // The leader's LeaderChange record is committed on all three.
        for n in sim.nodes.values() {
            assert!(n.high_watermark() >= 1, "seed {seed}");
            assert!(
                matches!(*n.committed().next().unwrap().record, RaftRecord::LeaderChange { leader: l, .. } if l == leader)
            );
        }
    }
}

#[test]
fn single_voter_elects_itself_immediately() {
    let mut rng = SimRng::new(1);
    let (mut node, out) = Node::new_voter(101, vec![101], RaftConfig::default(), 0, &mut rng);
    assert_eq!(node.role(), RaftRole::Leader);
    assert_eq!(node.epoch(), 1);
    assert_eq!(node.high_watermark(), 1);
    assert!(out.iter().any(|o| matches!(
        o,
        RaftOutput::Event(RaftEvent::BecameLeader { epoch: 1, .. })
    )));
    let (first, _) = node.append(10, vec![7, 8]).unwrap();
    assert_eq!(first, 1);
    assert_eq!(node.high_watermark(), 3);
    // It restarts resigned in epoch 1 and elects itself again in epoch 2.
    node.crash();
    node.restart(20, &mut rng);
    assert_eq!((node.role(), node.epoch()), (RaftRole::Leader, 2));
    assert_eq!(node.log().len(), 4);
    assert_eq!(node.high_watermark(), 4);
}

#[test]
fn records_commit_on_a_majority_and_survive_leader_failover() {
    let mut sim = Sim::new(7, &VOTERS, &[]);
    sim.run_until(4_000);
    let leader = sim.single_leader();
    let epoch = sim.nodes[&leader].epoch();
    let first = sim.append(leader, vec![1, 2, 3]).unwrap();
    assert_eq!(first, 1);
    // Not committed yet: only the leader has them.
    assert_eq!(sim.nodes[&leader].high_watermark(), 1);
    // The followers' parked fetches return the records at once; their next fetches tell
    // the leader, which commits.
    sim.run_for(20);
    assert_eq!(sim.data(leader, true), vec![1, 2, 3]);
    // Followers learn the new HW from their next fetch response, which the leader parks
    // for up to fetch_max_wait_ms=500 when there is nothing new.
    sim.run_for(500);
    for &v in &VOTERS {
        assert_eq!(sim.data(v, true), vec![1, 2, 3], "node {v}");
    }
    // The leader crashes; the others elect a new one in a higher epoch.
    sim.crash(leader);
    sim.run_for(6_000);
    let new_leader = sim.single_leader();
    assert_ne!(new_leader, leader);
    assert!(sim.nodes[&new_leader].epoch() > epoch);
    assert_eq!(sim.data(new_leader, true), vec![1, 2, 3]);
    sim.append(new_leader, vec![4]).unwrap();
    sim.run_for(50);
    // Two of three voters are enough to commit.
    assert_eq!(sim.data(new_leader, true), vec![1, 2, 3, 4]);
    // The old leader comes back resigned, then follows the new leader and catches up.
    sim.restart(leader);
    assert_eq!(sim.nodes[&leader].role(), RaftRole::Resigned);
    sim.run_for(3_000);
    assert_eq!(sim.nodes[&leader].role(), RaftRole::Follower);
    assert_eq!(sim.nodes[&leader].leader(), Some(new_leader));
    assert_eq!(sim.data(leader, true), vec![1, 2, 3, 4]);
    let logs: Vec<Vec<&Entry<Rec>>> = sim
        .nodes
        .values()
        .map(|n| n.committed().collect())
        .collect();
    assert!(logs.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn partitioned_minority_leader_resigns_and_cannot_commit() {
    let mut sim = Sim::new(3, &VOTERS, &[]);
    sim.run_until(4_000);
    let old = sim.single_leader();
    let old_epoch = sim.nodes[&old].epoch();
    sim.append(old, vec![1]).unwrap();
    sim.run_for(50);
    let others: Vec<NodeId> = VOTERS.iter().copied().filter(|&v| v != old).collect();
    sim.partition(&[old], &others);
    let cut_at = sim.now;
    // The cut-off leader still accepts a write but cannot commit it.
    sim.append(old, vec![99]).unwrap();
    sim.run_for(2_900);
    assert_eq!(sim.data(old, true), vec![1]);
    sim.run_for(6_000);
    let resigned = sim
        .events
        .iter()
        .find(|(_, n, e)| {
            *n == old
                && matches!(
                    e,
                    RaftEvent::Resigned {
                        reason: ResignReason::CheckQuorum { .. },
                        ..
                    }
                )
        })
        .expect("check-quorum resignation");
    // Resigns no later than 1.5 x fetch timeout after the last majority of fetches.
    assert!(
        resigned.0 - cut_at <= 3_000 + 10,
        "resigned at {}",
        resigned.0
    );
    let now = sim.now;
    assert!(sim
        .nodes
        .get_mut(&old)
        .unwrap()
        .append(now, vec![100])
        .is_err());
    // The majority side elected a new leader and commits.
    let majority_leaders: Vec<NodeId> = sim.leaders();
    assert_eq!(majority_leaders.len(), 1);
    let new = majority_leaders[0];
    assert!(others.contains(&new));
    sim.append(new, vec![2]).unwrap();
    sim.run_for(50);
    assert_eq!(sim.data(new, true), vec![1, 2]);
    assert_eq!(sim.data(old, false), vec![1, 99]);
    // After healing, the old leader truncates its uncommitted record and catches up.
    sim.heal();
    sim.run_for(8_000);
    let leader = sim.single_leader();
    assert!(sim.nodes[&leader].epoch() > old_epoch);
    sim.append(leader, vec![3]).unwrap();
    sim.run_for(600);
    for &v in &VOTERS {
        assert_eq!(sim.data(v, true), vec![1, 2, 3], "node {v}");
    }
    assert!(sim
        .events
        .iter()
        .any(|(_, n, e)| *n == old && matches!(e, RaftEvent::Truncated { .. })));
}

#[test]
fn restarted_follower_rejoins_and_catches_up() {
    let mut sim = Sim::new(11, &VOTERS, &[]);
    sim.run_until(4_000);
    let leader = sim.single_leader();
    let follower = *VOTERS.iter().find(|&&v| v != leader).unwrap();
    sim.append(leader, vec![1]).unwrap();
    sim.run_for(50);
    sim.crash(follower);
    sim.run_for(100);
    for i in 2..=5 {
        sim.append(leader, vec![i]).unwrap();
        sim.run_for(30);
    }
    assert_eq!(sim.data(leader, true), vec![1, 2, 3, 4, 5]);
    assert_eq!(sim.data(follower, false), vec![1]);
    sim.restart(follower);
    // It restarts following the leader its quorum-state file names, with HW unknown.
    assert_eq!(sim.nodes[&follower].role(), RaftRole::Follower);
    assert_eq!(sim.nodes[&follower].quorum_high_watermark(), None);
    sim.run_for(700);
    assert_eq!(sim.data(follower, true), vec![1, 2, 3, 4, 5]);
    assert_eq!(sim.single_leader(), leader);
    let view = sim.nodes[&leader].view();
    let row = view
        .replication
        .iter()
        .find(|r| r.node_id == follower)
        .unwrap();
    assert_eq!((row.log_end_offset, row.lag), (6, 0));
}

#[test]
fn observer_never_votes_and_catches_up() {
    let mut sim = Sim::new(5, &VOTERS, &[OBSERVER]);
    assert_eq!(sim.nodes[&OBSERVER].role(), RaftRole::Observer);
    sim.run_until(4_000);
    let leader = sim.single_leader();
    sim.append(leader, vec![1, 2]).unwrap();
    sim.run_for(600);
    assert_eq!(sim.nodes[&OBSERVER].leader(), Some(leader));
    assert_eq!(sim.data(OBSERVER, true), vec![1, 2]);
    // The leader lists it as an observer.
    let view = sim.nodes[&leader].view();
    assert!(view
        .replication
        .iter()
        .any(|r| r.node_id == OBSERVER && r.status == "Observer"));
    // The leader crashes: the observer never stands, finds the new leader through a voter.
    sim.crash(leader);
    sim.run_for(8_000);
    let new_leader = sim.single_leader();
    sim.append(new_leader, vec![3]).unwrap();
    sim.run_for(600);
    assert_eq!(sim.nodes[&OBSERVER].leader(), Some(new_leader));
    assert_eq!(sim.data(OBSERVER, true), vec![1, 2, 3]);
    assert_eq!(sim.nodes[&OBSERVER].role(), RaftRole::Observer);
    assert!(sim.events.iter().all(|(_, n, e)| *n != OBSERVER
        || !matches!(
            e,
            RaftEvent::VoteGranted { .. } | RaftEvent::BecameCandidate { .. }
        )));
    assert!(sim
        .events
        .iter()
        .any(|(_, n, e)| *n == OBSERVER && matches!(e, RaftEvent::ObserverLostLeader { .. })));
    // Even asked directly, an observer does not vote.
    let mut rng = SimRng::new(0);
    let epoch = sim.nodes[&OBSERVER].epoch() + 1;
    let out = sim.nodes.get_mut(&OBSERVER).unwrap().handle_message(
        sim.now,
        101,
        RaftMessage::VoteRequest {
            candidate_epoch: epoch,
            candidate_id: 101,
            last_offset_epoch: epoch - 1,
            last_offset: 1000,
        },
        &mut rng,
    );
    assert!(out.iter().any(|o| matches!(
        o,
        RaftOutput::Send {
            message: RaftMessage::VoteResponse {
                vote_granted: false,
                ..
            },
            ..
        }
    )));
}

#[test]
fn votes_follow_the_log_comparison_and_one_vote_per_epoch() {
    let mut rng = SimRng::new(2);
    let (mut node, _) = Node::new_voter(102, VOTERS.to_vec(), RaftConfig::default(), 0, &mut rng);
    // Give the voter a log: epoch 2, end offset 3.
    node.epoch = 2;
    for _ in 0..3 {
        node.push_entry(RaftRecord::Data(0));
    }
    let vote = |node: &mut Node, candidate, epoch, last_epoch, last_offset, rng: &mut SimRng| {
        let out = node.handle_message(
            10,
            candidate,
            RaftMessage::VoteRequest {
                candidate_epoch: epoch,
                candidate_id: candidate,
                last_offset_epoch: last_epoch,
                last_offset,
            },
            rng,
        );
        out.iter()
            .find_map(|o| match o {
                RaftOutput::Send {
                    message:
                        RaftMessage::VoteResponse {
                            vote_granted,
                            error,
                            ..
                        },
                    ..
                } => Some((*vote_granted, *error)),
                _ => None,
            })
            .unwrap()
    };
    // Behind on epoch (1 < 2) although longer: refused.
    assert_eq!(vote(&mut node, 101, 3, 1, 10, &mut rng), (false, None));
    // Same epoch, shorter: refused.
    assert_eq!(vote(&mut node, 101, 3, 2, 2, &mut rng), (false, None));
    // Same epoch and offset: granted, and again to the same candidate.
    assert_eq!(vote(&mut node, 101, 3, 2, 3, &mut rng), (true, None));
    assert_eq!(vote(&mut node, 101, 3, 2, 3, &mut rng), (true, None));
    // One vote per epoch.
    assert_eq!(vote(&mut node, 103, 3, 2, 5, &mut rng), (false, None));
    // A stale epoch is fenced; an invalid request is flagged.
    assert_eq!(
        vote(&mut node, 103, 2, 1, 5, &mut rng),
        (false, Some(RaftError::FENCED_LEADER_EPOCH))
    );
    assert_eq!(
        vote(&mut node, 103, 4, 4, 5, &mut rng),
        (false, Some(RaftError::INVALID_REQUEST))
    );
    // A higher epoch frees the vote.
    assert_eq!(vote(&mut node, 103, 4, 2, 3, &mut rng), (true, None));
    assert_eq!((node.epoch(), node.voted_for()), (4, Some(103)));
    // The vote survives a restart.
    node.crash();
    node.restart(20, &mut rng);
    assert_eq!(vote(&mut node, 101, 4, 2, 9, &mut rng), (false, None));
}

#[test]
fn leader_answers_divergence_and_parks_empty_fetches() {
    let mut rng = SimRng::new(4);
    let (mut leader, _) = Node::new_voter(101, VOTERS.to_vec(), RaftConfig::default(), 0, &mut rng);
    // Log: offsets 0..2 in epoch 1, then leader of epoch 3 from offset 2.
    leader.epoch = 1;
    leader.push_entry(RaftRecord::Data(1));
    leader.push_entry(RaftRecord::Data(2));
    leader.epoch = 2;
    leader.voted_for = Some(101);
    leader.state = State::Candidate(CandidateState {
        granted: [101, 102].into_iter().collect(),
        rejected: SortedSet::new(),
        retries: 1,
        backing_off: false,
        backoff_ms: 0,
    });
    leader.epoch = 3;
    let mut out = Vec::new();
    assert!(leader.maybe_become_leader(&mut out));
    assert_eq!(leader.log_end_offset(), 3);
    let fetch = |node: &mut Node, now, epoch, offset, last_epoch, rng: &mut SimRng| {
        node.handle_message(
            now,
            102,
            RaftMessage::FetchRequest {
                epoch,
                replica_id: 102,
                fetch_offset: offset,
                last_fetched_epoch: last_epoch,
                max_wait_ms: 500,
                correlation_id: 9,
            },
            rng,
        )
    };
    let response = |out: &[RaftOutput<Rec>]| {
        out.iter().find_map(|o| match o {
            RaftOutput::Send {
                message: m @ RaftMessage::FetchResponse { .. },
                ..
            } => Some(m.clone()),
            _ => None,
        })
    };
    // A follower with (offset 4, epoch 2) diverges: epoch 1 ends at 2 in the leader's log.
    let out = fetch(&mut leader, 10, 3, 4, 2, &mut rng);
    match response(&out) {
        Some(RaftMessage::FetchResponse {
            diverging, records, ..
        }) => {
            assert_eq!(diverging, Some((1, 2)));
            assert!(records.is_empty());
        }
        other => panic!("{other:?}"),
    }
    // A valid position with records behind it is answered at once.
    let out = fetch(&mut leader, 10, 3, 2, 1, &mut rng);
    match response(&out) {
        Some(RaftMessage::FetchResponse {
            records,
            high_watermark,
            ..
        }) => {
            assert_eq!(records.len(), 1);
            assert_eq!(high_watermark, -1);
        }
        other => panic!("{other:?}"),
    }
    // Caught up: the fetch is parked, and this fetch commits the epoch's first record.
    let out = fetch(&mut leader, 20, 3, 3, 3, &mut rng);
    assert!(response(&out).is_none());
    assert_eq!(leader.high_watermark(), 3);
    assert!(out.iter().any(|o| matches!(
        o,
        RaftOutput::SetTimer {
            timer: RaftTimer::FetchWait { replica: 102 },
            after_ms: 500
        }
    )));
    // An append answers it before the wait ends.
    let (_, out) = leader.append(30, vec![7]).unwrap();
    match response(&out) {
        Some(RaftMessage::FetchResponse {
            records,
            high_watermark,
            ..
        }) => {
            assert_eq!(records.len(), 1);
            assert_eq!(high_watermark, 3);
        }
        other => panic!("{other:?}"),
    }
    assert!(!leader.is_timer_live(&RaftTimer::FetchWait { replica: 102 }, 520));
    // Parked again, then answered empty when the wait ends.
    let out = fetch(&mut leader, 40, 3, 4, 3, &mut rng);
    assert!(response(&out).is_none());
    assert!(!leader.is_timer_live(&RaftTimer::FetchWait { replica: 102 }, 539));
    assert!(leader.is_timer_live(&RaftTimer::FetchWait { replica: 102 }, 540));
    let out = leader.handle_timer(540, RaftTimer::FetchWait { replica: 102 }, &mut rng);
    match response(&out) {
        Some(RaftMessage::FetchResponse {
            records,
            high_watermark,
            ..
        }) => {
            assert!(records.is_empty());
            assert_eq!(high_watermark, 4);
        }
        other => panic!("{other:?}"),
    }
    // Wrong epochs get Kafka's errors.
    let error = |out: &[RaftOutput<Rec>]| match response(out) {
        Some(RaftMessage::FetchResponse { error, .. }) => error,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        error(&fetch(&mut leader, 50, 2, 4, 2, &mut rng)),
        Some(RaftError::FENCED_LEADER_EPOCH)
    );
    assert_eq!(
        error(&fetch(&mut leader, 50, 5, 4, 3, &mut rng)),
        Some(RaftError::UNKNOWN_LEADER_EPOCH)
    );
    assert_eq!(
        error(&fetch(&mut leader, 50, 3, 4, 4, &mut rng)),
        Some(RaftError::INVALID_REQUEST)
    );
}

#[test]
fn stale_and_duplicate_fetch_responses_are_ignored() {
    let mut rng = SimRng::new(6);
    let (mut node, _) = Node::new_voter(102, VOTERS.to_vec(), RaftConfig::default(), 0, &mut rng);
    let begin = RaftMessage::BeginQuorumEpoch {
        leader_epoch: 1,
        leader_id: 101,
    };
    let out = node.handle_message(5, 101, begin, &mut rng);
    assert_eq!(
        (node.role(), node.leader()),
        (RaftRole::Follower, Some(101))
    );
    let sent_fetch = |out: &[RaftOutput<Rec>]| {
        out.iter().find_map(|o| match o {
            RaftOutput::Send {
                to: 101,
                message:
                    RaftMessage::FetchRequest {
                        correlation_id,
                        fetch_offset,
                        ..
                    },
            } => Some((*correlation_id, *fetch_offset)),
            _ => None,
        })
    };
    let (cid, offset) = sent_fetch(&out).expect("a follower fetches at once");
    assert_eq!(offset, 0);
    let response =
        |correlation_id, records: Vec<Entry<Rec>>, diverging| RaftMessage::FetchResponse {
            epoch: 1,
            leader_id: Some(101),
            error: None,
            records,
            high_watermark: 1,
            diverging,
            correlation_id,
        };
    let entries = vec![
        Entry {
            offset: 0,
            epoch: 1,
            record: Arc::new(RaftRecord::LeaderChange {
                leader: 101,
                voters: VOTERS.to_vec(),
            }),
        },
        Entry {
            offset: 1,
            epoch: 1,
            record: Arc::new(RaftRecord::Data(4)),
        },
    ];
    // A response to a request never sent is ignored.
    assert!(node
        .handle_message(10, 101, response(cid + 7, entries.clone(), None), &mut rng)
        .is_empty());
    let out = node.handle_message(10, 101, response(cid, entries.clone(), None), &mut rng);
    assert_eq!((node.log_end_offset(), node.high_watermark()), (2, 1));
    let (next, offset) = sent_fetch(&out).expect("fetches again at once");
    assert_eq!((next, offset), (cid + 1, 2));
    // The same response delivered twice, or a diverging one from an old request: ignored.
    assert!(node
        .handle_message(11, 101, response(cid, entries, None), &mut rng)
        .is_empty());
    assert!(node
        .handle_message(12, 101, response(cid, Vec::new(), Some((0, 0))), &mut rng)
        .is_empty());
    // The expected response from the wrong node: ignored too.
    assert!(node
        .handle_message(13, 103, response(next, Vec::new(), Some((0, 0))), &mut rng)
        .is_empty());
    assert_eq!(node.log_end_offset(), 2);
}

#[test]
fn garbage_messages_never_panic() {
    let mut sim = Sim::new(21, &VOTERS, &[OBSERVER]);
    sim.run_until(3_000);
    let mut rng = SimRng::new(99);
    let ids = [101, 102, 103, 1, 7, -1];
    for i in 0..5_000 {
        let to = ids[rng.below(4) as usize];
        let from = ids[rng.below(ids.len() as u64) as usize];
        let epoch = rng.range(-1, 6) as i32;
        let leader = if rng.below(2) == 0 {
            None
        } else {
            Some(ids[rng.below(ids.len() as u64) as usize])
        };
        let error = [
            None,
            Some(RaftError::FENCED_LEADER_EPOCH),
            Some(RaftError::NOT_LEADER_OR_FOLLOWER),
            Some(RaftError::UNKNOWN_LEADER_EPOCH),
            Some(RaftError::INVALID_REQUEST),
        ][rng.below(5) as usize];
        let offset = rng.range(-1, 8);
        let message = match rng.below(8) {
            0 => RaftMessage::VoteRequest {
                candidate_epoch: epoch,
                candidate_id: from,
                last_offset_epoch: rng.range(-1, 6) as i32,
                last_offset: offset,
            },
            1 => RaftMessage::VoteResponse {
                error,
                leader_epoch: epoch,
                leader_id: leader,
                vote_granted: rng.below(2) == 0,
            },
            2 => RaftMessage::BeginQuorumEpoch {
                leader_epoch: epoch,
                leader_id: from,
            },
            3 => RaftMessage::BeginQuorumEpochResponse {
                error,
                leader_epoch: epoch,
                leader_id: leader,
            },
            4 => RaftMessage::EndQuorumEpoch {
                leader_epoch: epoch,
                leader_id: from,
                preferred_successors: vec![102, 101],
            },
            5 => RaftMessage::EndQuorumEpochResponse {
                error,
                leader_epoch: epoch,
                leader_id: leader,
            },
            6 => RaftMessage::FetchRequest {
                epoch,
                replica_id: from,
                fetch_offset: offset,
                last_fetched_epoch: rng.range(-1, 6) as i32,
                max_wait_ms: rng.range(-1, 600),
                correlation_id: i,
            },
            _ => RaftMessage::FetchResponse {
                epoch,
                leader_id: leader,
                error,
                records: (0..rng.below(3))
                    .map(|k| Entry {
                        offset: offset + k as i64,
                        epoch: rng.range(0, 6) as i32,
                        record: Arc::new(RaftRecord::Data(5)),
                    })
                    .collect(),
                high_watermark: rng.range(-1, 10),
                diverging: if rng.below(3) == 0 {
                    Some((rng.range(-1, 5) as i32, rng.range(-1, 8)))
                } else {
                    None
                },
                correlation_id: rng.range(0, 50),
            },
        };
        let now = sim.now;
        let node = sim.nodes.get_mut(&to).unwrap();
        let out = node.handle_message(now, from, message, &mut rng);
        // Garbage may derail the quorum but never its invariants' basics.
        for o in &out {
            if let RaftOutput::SetTimer { after_ms, .. } = o {
                assert!(*after_ms >= 0);
            }
        }
        sim.run_for(rng.range(0, 30));
    }
}

#[test]
fn same_seed_same_events() {
    let run = |seed| {
        let mut sim = Sim::new(seed, &[101, 102, 103, 104, 105], &[OBSERVER]);
        sim.run_until(3_000);
        sim.crash(sim.single_leader());
        sim.run_for(5_000);
        let leader = sim.single_leader();
        sim.append(leader, vec![1, 2]).unwrap();
        sim.run_for(1_000);
        sim.trace()
    };
    assert_eq!(run(42), run(42));
    assert_ne!(run(42), run(43));
}

#[test]
fn randomized_crashes_and_partitions_keep_raft_safe() {
    for seed in 0..200u64 {
        if std::panic::catch_unwind(|| random_run(seed)).is_err() {
            panic!("randomized run failed for seed {seed} (rerun with random_run({seed}))");
        }
    }
}

fn random_run(seed: u64) {
    let voters: Vec<NodeId> = if seed.is_multiple_of(2) {
        vec![101, 102, 103]
    } else {
        vec![101, 102, 103, 104, 105]
    };
    let mut sim = Sim::new(seed, &voters, &[OBSERVER]);
    sim.duplicate_percent = 3;
    let all: Vec<NodeId> = sim.nodes.keys().copied().collect();
    let mut next_record: Rec = 1;
    for _ in 0..60 {
        let step = sim.rng.range(50, 600);
        sim.run_for(step);
        match sim.rng.below(20) {
            0..=6 => {
                if let Some(&leader) = sim.leaders().first() {
                    let n = sim.rng.range(1, 4) as Rec;
                    let records: Vec<Rec> = (next_record..next_record + n).collect();
                    next_record += n;
                    sim.append(leader, records).unwrap();
                }
            }
            7 | 8 => {
                let id = all[sim.rng.below(all.len() as u64) as usize];
                sim.crash(id);
            }
            9 | 10 => {
                let id = all[sim.rng.below(all.len() as u64) as usize];
                sim.restart(id);
            }
            11 | 12 => {
                let (a, b): (Vec<NodeId>, Vec<NodeId>) =
                    all.iter().partition(|_| sim.rng.below(2) == 0);
                sim.partition(&a, &b);
            }
            13 => {
                let id = all[sim.rng.below(all.len() as u64) as usize];
                let rest: Vec<NodeId> = all.iter().copied().filter(|&x| x != id).collect();
                sim.partition(&[id], &rest);
            }
            14..=16 => sim.heal(),
            _ => {}
        }
    }
    // Heal everything: the quorum must settle on one leader that commits for everyone.
    sim.heal();
    sim.duplicate_percent = 0;
    for id in all.clone() {
        sim.restart(id);
    }
    sim.run_for(15_000);
    let leader = sim.single_leader();
    let value = next_record;
    sim.append(leader, vec![value]).unwrap();
    sim.run_for(1_500);
    for id in &all {
        let node = &sim.nodes[id];
        assert_eq!(node.leader(), Some(leader), "seed {seed}: node {id}");
        assert!(
            sim.data(*id, true).contains(&value),
            "seed {seed}: node {id} lacks the last record"
        );
        assert_eq!(
            node.high_watermark(),
            sim.nodes[&leader].high_watermark(),
            "seed {seed}: node {id}"
        );
    }
}

#[test]
fn election_trace() {
    let mut sim = Sim::new(2, &VOTERS, &[]);
    sim.run_until(2_000);
    let leader = sim.single_leader();
    sim.append(leader, vec![1]).unwrap();
    sim.run_for(20);
    // The leader crashes. Both followers time out together (the fetch timeout is not
    // random), split the vote, and the random backoff breaks the tie.
    sim.crash(leader);
    sim.run_until(7_000);
    assert_ne!(sim.single_leader(), leader);
    expect![[r#"
        [    0 ms] Controller 101 started as a voter, unattached in epoch 0: it waits a random election timeout of 1110 ms (between controller.quorum.election.timeout.ms=1000 and twice that) for a leader before standing itself
        [    0 ms] Controller 102 started as a voter, unattached in epoch 0: it waits a random election timeout of 1226 ms (between controller.quorum.election.timeout.ms=1000 and twice that) for a leader before standing itself
        [    0 ms] Controller 103 started as a voter, unattached in epoch 0: it waits a random election timeout of 1951 ms (between controller.quorum.election.timeout.ms=1000 and twice that) for a leader before standing itself
        [ 1110 ms] Controller 101 became a candidate for epoch 1: no leader appeared within its random election timeout of 1110 ms (controller.quorum.election.timeout.ms=1000 to twice that); it votes for itself and asks the other voters for theirs
        [ 1115 ms] Controller 102 moved from epoch 0 to epoch 1 because a message from 101 carried the higher epoch, which always wins; it does not know that epoch's leader yet
        [ 1115 ms] Controller 102 voted for 101 in epoch 1: it had no other vote in this epoch and the candidate's log (last epoch 0, end offset 0) is at least as up to date as its own (last epoch 0, end offset 0)
        [ 1115 ms] Controller 103 moved from epoch 0 to epoch 1 because a message from 101 carried the higher epoch, which always wins; it does not know that epoch's leader yet
        [ 1115 ms] Controller 103 voted for 101 in epoch 1: it had no other vote in this epoch and the candidate's log (last epoch 0, end offset 0) is at least as up to date as its own (last epoch 0, end offset 0)
        [ 1120 ms] Controller 101 became leader for epoch 1 with votes from 101 and 102 (a majority of 3 voters); it writes a LeaderChange record at offset 0 and sends BeginQuorumEpoch
        [ 1125 ms] Controller 102 now follows leader 101 in epoch 1, learned from a BeginQuorumEpoch from the leader; it pulls the log with Fetch requests
        [ 1125 ms] Controller 103 now follows leader 101 in epoch 1, learned from a BeginQuorumEpoch from the leader; it pulls the log with Fetch requests
        [ 1140 ms] Leader 101 advanced the high watermark to 1: every record below it is on 101 and 102 (2 of 3 voters, a majority), including this epoch's LeaderChange record (a new leader commits nothing until a record of its own epoch 1 is on a majority)
        [ 1645 ms] Controller 102 learned high watermark 1 from leader 101's FetchResponse in epoch 1: records below it are committed
        [ 1645 ms] Controller 103 learned high watermark 1 from leader 101's FetchResponse in epoch 1: records below it are committed
        [ 2010 ms] Leader 101 advanced the high watermark to 2: every record below it is on 101 and 102 (2 of 3 voters, a majority)
        [ 4005 ms] Controller 102 became a candidate for epoch 2: it heard nothing from leader 101 for controller.quorum.fetch.timeout.ms=2000; it votes for itself and asks the other voters for theirs
        [ 4005 ms] Controller 103 became a candidate for epoch 2: it heard nothing from leader 101 for controller.quorum.fetch.timeout.ms=2000; it votes for itself and asks the other voters for theirs
        [ 4010 ms] Controller 103 refused to vote for 102 in epoch 2: it is a candidate in this epoch itself and voted for itself
        [ 4010 ms] Controller 102 refused to vote for 103 in epoch 2: it is a candidate in this epoch itself and voted for itself
        [ 5760 ms] Controller 103 lost the election for epoch 2: it did not collect votes from a majority within its election timeout; it backs off 100 ms (random, at most controller.quorum.election.backoff.max.ms=1000) before standing again
        [ 5860 ms] Controller 103 became a candidate for epoch 3: its election in epoch 2 failed and its random backoff of 100 ms ended; it votes for itself and asks the other voters for theirs
        [ 5865 ms] Candidate 102 gave up and moved from epoch 2 to epoch 3 because a message from 103 carried the higher epoch, which always wins; it does not know that epoch's leader yet
        [ 5865 ms] Controller 102 voted for 103 in epoch 3: it had no other vote in this epoch and the candidate's log (last epoch 1, end offset 2) is at least as up to date as its own (last epoch 1, end offset 2)
        [ 5870 ms] Controller 103 became leader for epoch 3 with votes from 102 and 103 (a majority of 3 voters); it writes a LeaderChange record at offset 2 and sends BeginQuorumEpoch
        [ 5875 ms] Controller 102 now follows leader 103 in epoch 3, learned from a BeginQuorumEpoch from the leader; it pulls the log with Fetch requests
        [ 5890 ms] Leader 103 advanced the high watermark to 3: every record below it is on 102 and 103 (2 of 3 voters, a majority), including this epoch's LeaderChange record (a new leader commits nothing until a record of its own epoch 3 is on a majority)
        [ 6395 ms] Controller 102 learned high watermark 3 from leader 103's FetchResponse in epoch 3: records below it are committed
    "#]]
    .assert_eq(&sim.trace());
}

#[test]
fn views_and_summaries_serialize() {
    let mut sim = Sim::new(8, &VOTERS, &[OBSERVER]);
    sim.run_until(4_000);
    let leader = sim.single_leader();
    let view = sim.nodes[&leader].view();
    assert_eq!(view.role_name, "Leader");
    assert_eq!(view.replication.len(), 4);
    let json = serde_json::to_string(&sim.nodes[&leader]).unwrap();
    let back: Node = serde_json::from_str(&json).unwrap();
    assert_eq!(back, sim.nodes[&leader]);
    let json = serde_json::to_string(&view).unwrap();
    assert!(json.contains("\"role\":\"Leader\""));
    let m: RaftMessage<Rec> = RaftMessage::FetchRequest {
        epoch: 3,
        replica_id: 1,
        fetch_offset: 12,
        last_fetched_epoch: 3,
        max_wait_ms: 500,
        correlation_id: 0,
    };
    assert_eq!(
        m.summary(),
        "Fetch(epoch 3, fetch_offset 12, last_fetched_epoch 3)"
    );
    assert_eq!(m.name(), "Fetch");
}
