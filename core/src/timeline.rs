//! Time travel: the history of a run, with rewinding, replaying and forking.
//!
//! A branch is a list of *actions* (user commands, each applied at a step position) on top of a
//! starting state. The state after `n` steps is rebuilt from the nearest snapshot at or before
//! `n` by replaying at most [`SNAPSHOT_INTERVAL`] steps and the commands recorded in between, so
//! a seek costs one clone of a snapshot plus at most `SNAPSHOT_INTERVAL` steps, however long the
//! run. Snapshots are whole clones of the [`Simulation`]; their memory is O(records) each,
//! which at workshop sizes (about 10,000 records) is a few MB over a long run.
//!
//! Forking keeps the old branch: the new one shares its history up to the fork point (the
//! snapshots at or before it are copied) and diverges with whatever is done next.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::command::{ClusterSpec, Command, EventFilter};
use crate::event::{Event, EventKind};
use crate::sim::{CommandError, Outcome, Simulation};

/// How many steps apart snapshots are taken: the bound on a seek's replay.
pub const SNAPSHOT_INTERVAL: u64 = 64;

/// Whether an event is of the kind a `step --until` filter waits for.
pub fn matches(filter: EventFilter, event: &Event) -> bool {
    match filter {
        EventFilter::Election => event.kind == EventKind::Election,
        EventFilter::IsrChange => matches!(event.kind, EventKind::IsrShrink | EventKind::IsrExpand),
        EventFilter::ProduceAck => event.kind == EventKind::ProduceAck,
        EventFilter::ControllerChange => {
            event.kind == EventKind::Quorum && event.text.contains("leader")
        }
        EventFilter::HighWatermark => event.kind == EventKind::HighWatermark,
        EventFilter::Rebalance => {
            event.kind == EventKind::Group && event.text.contains("PreparingRebalance")
        }
    }
}

/// Something that changes the run besides stepping: a command applied at a step position, or
/// the clock advanced by `run` past the last event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    Command(Command),
    AdvanceClockTo(i64),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Branch {
    /// Where it was forked from: `(branch index, step)`.
    pub parent: Option<(usize, u64)>,
    /// Actions in order, each with the step position it was applied at.
    pub actions: Vec<(u64, Action)>,
    /// Snapshots taken right after a step, before that position's actions.
    pub snapshots: BTreeMap<u64, Simulation>,
    /// Every event of the branch, in order.
    pub events: Vec<Event>,
    /// The furthest step the branch reached.
    pub head_step: u64,
}

/// A run with its history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    pub branches: Vec<Branch>,
    pub current_branch: usize,
    /// The state being looked at.
    pub state: Simulation,
    /// The state at the branch's head while `state` is in the past, kept so stepping forward
    /// after a seek back is cheap. `None` when `state` is the head.
    head: Option<Simulation>,
}

impl Timeline {
    /// Starts a run: builds the cluster and boots it (those steps are part of the history).
    pub fn new(spec: ClusterSpec) -> Timeline {
        let mut sim = Simulation::new(spec);
        let mut snapshots = BTreeMap::new();
        snapshots.insert(0, sim.clone());
        let events = sim.boot(|s| {
            if s.steps.is_multiple_of(SNAPSHOT_INTERVAL) {
                snapshots.insert(s.steps, s.clone());
            }
        });
        let branch = Branch {
            parent: None,
            actions: Vec::new(),
            snapshots,
            events,
            head_step: sim.steps,
        };
        Timeline {
            branches: vec![branch],
            current_branch: 0,
            head: None,
            state: sim,
        }
    }

    pub fn branch(&self) -> &Branch {
        &self.branches[self.current_branch]
    }

    pub fn at_head(&self) -> bool {
        self.state.steps == self.branch().head_step
    }

    /// Applies a command. Commands issued while looking at the past fork a new branch there
    /// first, so history is never rewritten.
    pub fn apply(&mut self, command: &Command) -> Result<Outcome, CommandError> {
        match command {
            Command::Back { steps } => {
                let target = self.state.steps.saturating_sub((*steps).max(0) as u64);
                self.seek(target);
                return Ok(Outcome::default());
            }
            Command::Seek { step } => {
                self.seek((*step).max(0) as u64);
                return Ok(Outcome::default());
            }
            Command::Fork => {
                self.fork();
                return Ok(Outcome::default());
            }
            _ => {}
        }
        if !self.at_head() {
            // Stepping forward through recorded history replays it; anything else forks.
            if let Command::Step { count } = command {
                let target =
                    (self.state.steps + (*count).max(0) as u64).min(self.branch().head_step);
                let from = self.state.steps;
                self.seek(target);
                let events = self
                    .branch()
                    .events
                    .iter()
                    .filter(|e| e.step > from && e.step <= target)
                    .cloned()
                    .collect();
                return Ok(Outcome {
                    events,
                    output: None,
                });
            }
            self.fork();
        }
        let before_step = self.state.steps;
        let before_time = self.state.now_ms;
        let is_time = matches!(
            command,
            Command::Step { .. } | Command::StepUntil { .. } | Command::Run { .. }
        );
        let branch = &mut self.branches[self.current_branch];
        let mut snapshot = |s: &Simulation| {
            if s.steps.is_multiple_of(SNAPSHOT_INTERVAL) {
                branch.snapshots.insert(s.steps, s.clone());
            }
        };
        let outcome = if is_time {
            // Time never fails, so it runs on the state itself: no copy per step.
            self.state.apply_observed(command, &mut snapshot)?
        } else {
            // A refused command must leave no trace, so it runs on a copy.
            let mut sim = self.state.clone();
            let outcome = sim.apply_observed(command, &mut snapshot)?;
            self.state = sim;
            outcome
        };
        let sim = &self.state;
        // Record the command at the position it was issued; the steps it took follow.
        if !is_time {
            branch
                .actions
                .push((before_step, Action::Command(command.clone())));
        }
        if let Command::Run { .. } = command {
            if sim.now_ms != before_time {
                branch
                    .actions
                    .push((sim.steps, Action::AdvanceClockTo(sim.now_ms)));
            }
        }
        branch.events.extend(outcome.events.iter().cloned());
        branch.head_step = sim.steps;
        self.head = None;
        Ok(outcome)
    }

    /// Moves the view to the state after `step` steps of the current branch (clamped to its
    /// head), replaying at most `SNAPSHOT_INTERVAL` steps from the nearest snapshot.
    pub fn seek(&mut self, step: u64) {
        let branch = self.branch();
        let target = step.min(branch.head_step);
        if target == branch.head_step {
            if let Some(head) = self.head.take() {
                self.state = head;
            }
            return;
        }
        let (&base, snapshot) = branch
            .snapshots
            .range(..=target)
            .next_back()
            .expect("every branch has a snapshot at step 0 or at its fork point");
        let mut sim = snapshot.clone();
        let actions: Vec<(u64, Action)> = branch
            .actions
            .iter()
            .filter(|(at, _)| *at >= base && *at <= target)
            .cloned()
            .collect();
        let mut next = 0;
        loop {
            while next < actions.len() && actions[next].0 == sim.steps {
                match &actions[next].1 {
                    // Recorded commands succeeded when first applied, so they succeed again.
                    Action::Command(c) => {
                        let _ = sim.apply(c);
                    }
                    Action::AdvanceClockTo(t) => sim.now_ms = *t,
                }
                next += 1;
            }
            if sim.steps >= target {
                break;
            }
            if sim.step().is_empty() {
                break;
            }
        }
        let previous = std::mem::replace(&mut self.state, sim);
        if self.head.is_none() {
            self.head = Some(previous);
        }
    }

    /// Starts a new branch at the current step; the old branch stays as it was.
    pub fn fork(&mut self) {
        let at = self.state.steps;
        let parent = self.branch();
        let mut snapshots: BTreeMap<u64, Simulation> = parent
            .snapshots
            .range(..=at)
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        snapshots.insert(at, self.state.clone());
        let actions = parent
            .actions
            .iter()
            .filter(|(p, _)| *p < at)
            .cloned()
            .collect();
        let events = parent
            .events
            .iter()
            .filter(|e| e.step <= at)
            .cloned()
            .collect();
        self.branches.push(Branch {
            parent: Some((self.current_branch, at)),
            actions,
            snapshots,
            events,
            head_step: at,
        });
        self.current_branch = self.branches.len() - 1;
        self.head = None;
    }

    /// Switches to another branch, at its head.
    pub fn switch_branch(&mut self, index: usize) -> bool {
        if index >= self.branches.len() {
            return false;
        }
        self.current_branch = index;
        let head = self.branches[index].head_step;
        // Rebuild the head state by replaying from the nearest snapshot.
        let start = self.branches[index]
            .snapshots
            .range(..=head)
            .next_back()
            .map(|(_, s)| s.clone())
            .unwrap_or_else(|| self.state.clone());
        self.seek_head_by_replay(start, head);
        true
    }

    fn seek_head_by_replay(&mut self, mut sim: Simulation, head: u64) {
        let actions = self.branch().actions.clone();
        let mut next = actions
            .iter()
            .position(|(p, _)| *p >= sim.steps)
            .unwrap_or(actions.len());
        loop {
            while next < actions.len() && actions[next].0 == sim.steps {
                match &actions[next].1 {
                    Action::Command(c) => {
                        let _ = sim.apply(c);
                    }
                    Action::AdvanceClockTo(t) => sim.now_ms = *t,
                }
                next += 1;
            }
            if sim.steps >= head || sim.step().is_empty() {
                break;
            }
        }
        self.head = None;
        self.state = sim;
    }

    /// The events of the current branch up to the step being looked at.
    pub fn events_so_far(&self) -> impl Iterator<Item = &Event> {
        let at = self.state.steps;
        self.branch().events.iter().filter(move |e| e.step <= at)
    }
}
