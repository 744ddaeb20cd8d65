//! Time travel: the history of a run, with rewinding, replaying and forking, in bounded memory.
//!
//! A branch is a list of *actions* (user commands, each applied at a step position) on top of a
//! starting state. The state after `n` steps is rebuilt from the nearest snapshot at or before
//! `n` by replaying the steps and commands in between: the simulation is deterministic, so a
//! replay gives back exactly what happened.
//!
//! What a branch keeps, and why its memory does not grow with the length of the run:
//! - **Snapshots** (clones of the [`Simulation`], which share every unchanged log, replica and
//!   message with each other) are taken every [`Snapshots::interval`] steps (64, more on big
//!   clusters whose snapshots cost more). All of them are kept within
//!   [`Limits::dense_steps`] of the head; older ones are thinned to a grid whose spacing
//!   doubles whenever the snapshots would outgrow [`Limits::snapshot_budget_bytes`]. A seek into old history therefore replays at most one
//!   grid spacing, and leaves a few snapshots near where it landed ([`FOCUS_STEPS`]) so that
//!   stepping back from there replays at most a quarter interval.
//! - **Notable events** (everything but plain deliveries and timer firings, see
//!   [`EventKind::is_notable`]): the narration, the metrics and the Next: jumps read them. They
//!   are rare once a cluster is steady (a few per thousand steps) and are kept whole.
//! - **Every event of the last steps** ([`RECENT_EVENTS`]) for the "every message" view, which
//!   a seek elsewhere rebuilds from its replay.
//! - The actions, one per command (a played timeline adds one per tick).
//!
//! Forking keeps the old branch: the new one shares its snapshots (`Arc`) and its notable
//! events (chunk by chunk) up to the fork point, and diverges with whatever is done next.

use crate::sorted::SortedMap;
use std::collections::VecDeque;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::chunked::ChunkedVec;
use crate::command::{ClusterSpec, Command, EventFilter};
use crate::event::Event;
use crate::sim::{CommandError, Outcome, Simulation};

/// The smallest spacing of snapshots, and the most steps a seek near the head replays.
pub const SNAPSHOT_INTERVAL: u64 = 64;

/// How much history a timeline keeps, and how far it may grow. [`Limits::default`] is what
/// the page and the CLI use; tests shrink it to reach thinning quickly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Snapshots within this many steps of a branch's head are all kept: stepping and seeking
    /// around where a run is being played is the common case.
    pub dense_steps: u64,
    /// What the snapshots older than that may take, by [`Simulation::footprint`]: when they
    /// would take more, every other one is dropped.
    pub snapshot_budget_bytes: usize,
    /// The longest a branch may grow; past it, time commands are refused with a sentence.
    pub max_steps: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            dense_steps: 4_096,
            snapshot_budget_bytes: 128 << 20,
            // Far beyond any workshop: an hour of a six-broker cluster with consumers is about
            // 1.2 million steps.
            max_steps: 50_000_000,
        }
    }
}

/// A seek leaves snapshots a quarter interval apart (at least [`SNAPSHOT_INTERVAL`]) over the
/// last steps before its target (this many, and at least two intervals), so that stepping
/// back from there replays less than it would near the head.
pub const FOCUS_STEPS: u64 = 256;

/// [`Timeline::warm_up`] leaves a snapshot every interval for this many intervals before the
/// step being looked at, so stepping back from anywhere soon costs at most one interval.
pub const WARM_SNAPSHOTS: u64 = 12;

/// How many of the newest events (deliveries and timers included) are kept whole.
pub const RECENT_EVENTS: usize = 2_000;

/// Something that changes the run besides stepping: a command applied at a step position, or
/// the clock advanced by `run` past the last event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    Command(Command),
    AdvanceClockTo(i64),
}

/// A branch's snapshots: dense near the head, on a doubling grid further back, and a few
/// near the last places a seek landed.
#[derive(Clone, Debug)]
pub struct Snapshots {
    /// Snapshots taken right after a step, before that position's actions.
    map: SortedMap<u64, Arc<Simulation>>,
    /// The step the branch starts at (0, or its fork point): its snapshot is always kept.
    base: u64,
    /// Steps between two snapshots taken while running.
    interval: u64,
    /// Older than the dense window, only snapshots at multiples of this are kept (besides the
    /// focus ones). A power of two times `interval`.
    grid: u64,
    /// Snapshots below this step have been thinned to the grid already.
    thinned_to: u64,
    /// Steps of snapshots a seek left, oldest first.
    focus: VecDeque<u64>,
    /// The estimated size of one snapshot ([`Simulation::footprint`]), the largest seen.
    footprint: usize,
    limits: Limits,
}

impl Snapshots {
    fn new(base: u64, first: Arc<Simulation>, limits: Limits) -> Snapshots {
        let footprint = first.footprint();
        let interval = interval_for(footprint);
        let mut map = SortedMap::new();
        map.insert(base, first);
        Snapshots {
            map,
            base,
            interval,
            grid: interval,
            thinned_to: base,
            focus: VecDeque::new(),
            footprint,
            limits,
        }
    }

    /// Steps between snapshots taken while running.
    pub fn interval(&self) -> u64 {
        self.interval
    }

    /// Spacing of the snapshots kept in old history.
    pub fn grid(&self) -> u64 {
        self.grid
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// The steps snapshots are kept at, in order.
    pub fn steps(&self) -> impl Iterator<Item = u64> + '_ {
        self.map.keys().copied()
    }

    /// The estimated size of one snapshot the budget counts ([`Simulation::footprint`]).
    pub fn footprint(&self) -> usize {
        self.footprint
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The nearest snapshot at or before `step`.
    pub fn at_or_before(&self, step: u64) -> Option<(u64, &Arc<Simulation>)> {
        self.map
            .range(..=step)
            .next_back()
            .map(|(&s, sim)| (s, sim))
    }

    pub fn contains(&self, step: u64) -> bool {
        self.map.contains_key(&step)
    }

    fn keeps(&self, step: u64) -> bool {
        step == self.base || step.is_multiple_of(self.grid) || self.focus.contains(&step)
    }

    /// Takes a snapshot at the head, then thins what left the dense window.
    fn take_at_head(&mut self, sim: &Simulation) {
        let footprint = sim.footprint();
        if footprint > self.footprint {
            self.footprint = footprint;
            self.interval = self.interval.max(interval_for(footprint));
            self.grid = self.grid.max(self.interval);
        }
        self.map.insert(sim.steps, Arc::new(sim.clone()));
        self.thin(sim.steps);
    }

    /// Leaves a snapshot near where a seek landed, forgetting the oldest such one.
    fn take_focus(&mut self, sim: &Simulation) {
        self.map.insert(sim.steps, Arc::new(sim.clone()));
        self.focus.push_back(sim.steps);
        while self.focus.len() > WARM_SNAPSHOTS as usize + 8 {
            if let Some(old) = self.focus.pop_front() {
                if !self.keeps(old) && old < self.thinned_to {
                    self.map.remove(&old);
                }
            }
        }
    }

    fn thin(&mut self, head: u64) {
        let dense_from = head.saturating_sub(self.limits.dense_steps);
        if dense_from > self.thinned_to {
            let leaving: Vec<u64> = self
                .map
                .range(self.thinned_to..dense_from)
                .map(|(&s, _)| s)
                .filter(|&s| !self.keeps(s))
                .collect();
            for s in leaving {
                self.map.remove(&s);
            }
            self.thinned_to = dense_from;
        }
        loop {
            let sparse = self.map.range(..self.thinned_to).count();
            if sparse.saturating_mul(self.footprint) <= self.limits.snapshot_budget_bytes
                || self.grid > self.thinned_to
            {
                break;
            }
            self.grid *= 2;
            let dropped: Vec<u64> = self
                .map
                .range(..self.thinned_to)
                .map(|(&s, _)| s)
                .filter(|&s| !self.keeps(s))
                .collect();
            for s in dropped {
                self.map.remove(&s);
            }
        }
    }

    /// The snapshots up to `step` (for a branch forked there).
    fn up_to(&self, step: u64) -> Snapshots {
        Snapshots {
            map: self
                .map
                .range(..=step)
                .map(|(&s, sim)| (s, Arc::clone(sim)))
                .collect(),
            base: self.base,
            interval: self.interval,
            grid: self.grid,
            thinned_to: self.thinned_to.min(step),
            focus: self.focus.iter().copied().filter(|&s| s <= step).collect(),
            footprint: self.footprint,
            limits: self.limits,
        }
    }
}

/// Steps between snapshots for a cluster whose snapshots take `footprint` bytes: 64 for a
/// workshop-sized cluster, more for a big one, so that taking snapshots costs a small part of
/// running (a snapshot of 30 brokers and 1,000 partitions is about a megabyte).
fn interval_for(footprint: usize) -> u64 {
    let wanted = (footprint / 2_048) as u64;
    wanted
        .next_power_of_two()
        .clamp(SNAPSHOT_INTERVAL, 8 * SNAPSHOT_INTERVAL)
}

#[derive(Clone, Debug)]
pub struct Branch {
    /// Where it was forked from: `(branch index, step)`.
    pub parent: Option<(usize, u64)>,
    /// Actions in order, each with the step position it was applied at.
    pub actions: Vec<(u64, Action)>,
    pub snapshots: Snapshots,
    /// Every notable event of the branch, in order.
    pub notable: ChunkedVec<Event>,
    /// The furthest step the branch reached.
    pub head_step: u64,
}

impl Branch {
    /// The notable events up to and including `step`.
    pub fn notable_until(&self, step: u64) -> crate::chunked::Iter<'_, Event> {
        let end = partition_point(&self.notable, |e| e.step <= step);
        self.notable.range(0..end)
    }

    /// The first notable event after `step` that `filter` waits for.
    pub fn next_match(&self, step: u64, filter: EventFilter) -> Option<&Event> {
        let start = partition_point(&self.notable, |e| e.step <= step);
        self.notable
            .range(start..self.notable.len())
            .find(|e| filter.matches(e))
    }

    /// Index of the first action at or after `step`.
    fn first_action_at(&self, step: u64) -> usize {
        self.actions.partition_point(|(at, _)| *at < step)
    }
}

/// The first index whose element does not satisfy `pred`, for elements ordered so that
/// every element satisfying `pred` comes first.
fn partition_point(events: &ChunkedVec<Event>, pred: impl Fn(&Event) -> bool) -> usize {
    let (mut lo, mut hi) = (0, events.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(&events[mid]) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Every event of a run of consecutive steps of one branch: the steps after `after` up to and
/// including `through`.
#[derive(Clone, Debug)]
struct Recent {
    branch: usize,
    after: u64,
    through: u64,
    events: VecDeque<Event>,
}

impl Recent {
    fn starting(branch: usize, after: u64) -> Recent {
        Recent {
            branch,
            after,
            through: after,
            events: VecDeque::new(),
        }
    }

    /// A window that covers nothing (rebuilt when next asked for).
    fn invalid() -> Recent {
        Recent::starting(usize::MAX, 0)
    }

    fn push(&mut self, event: Event) {
        self.events.push_back(event);
        if self.events.len() > RECENT_EVENTS {
            // Drop the oldest step whole, so the window still holds every event of its steps.
            if let Some(oldest) = self.events.front().map(|e| e.step) {
                while self.events.front().is_some_and(|e| e.step == oldest) {
                    self.events.pop_front();
                }
                self.after = oldest;
            }
        }
    }

    /// Whether it holds the last `wanted` events up to `step` of `branch` (or every event
    /// from the start of the run).
    fn covers(&self, branch: usize, step: u64, wanted: usize) -> bool {
        if self.branch != branch || step > self.through || step < self.after {
            return false;
        }
        self.after == 0 || self.events.iter().filter(|e| e.step <= step).count() >= wanted
    }
}

/// Replays `actions` (from index `next` on) and steps on `sim` until it has taken `target`
/// steps, handing every event to `on_event` and the state after every step to `after_step`.
/// Recorded commands succeeded when first applied, so they succeed again.
fn replay(
    sim: &mut Simulation,
    actions: &[(u64, Action)],
    mut next: usize,
    target: u64,
    on_event: &mut dyn FnMut(Event),
    after_step: &mut dyn FnMut(&Simulation),
) -> usize {
    loop {
        while next < actions.len() && actions[next].0 == sim.steps {
            match &actions[next].1 {
                Action::Command(c) => {
                    if let Ok(outcome) = crate::tools::apply(sim, c) {
                        outcome.events.into_iter().for_each(&mut *on_event);
                    }
                }
                Action::AdvanceClockTo(t) => sim.now_ms = *t,
            }
            next += 1;
        }
        if sim.steps >= target {
            break;
        }
        let events = sim.step();
        if events.is_empty() {
            break;
        }
        events.into_iter().for_each(&mut *on_event);
        after_step(sim);
    }
    next
}

/// A run with its history.
#[derive(Clone, Debug)]
pub struct Timeline {
    pub branches: Vec<Branch>,
    pub current_branch: usize,
    /// The state being looked at.
    pub state: Simulation,
    /// The state at the branch's head while `state` is in the past, kept so coming back to the
    /// head is cheap. `None` when `state` is the head.
    head: Option<Simulation>,
    recent: Recent,
    limits: Limits,
    /// A replay [`Timeline::warm_up`] has under way: its branch, its state and the index of
    /// the next action to apply.
    warming: Option<(usize, Simulation, usize)>,
}

impl Timeline {
    /// Starts a run: builds the cluster and boots it (those steps are part of the history).
    pub fn new(spec: ClusterSpec) -> Timeline {
        Self::new_streaming(spec, |_| {})
    }

    /// Like [`Timeline::new`], handing every event of the boot to `sink`.
    pub fn new_streaming(spec: ClusterSpec, sink: impl FnMut(&Event)) -> Timeline {
        Self::with_limits(spec, Limits::default(), sink)
    }

    /// A run that keeps history within `limits`.
    pub fn with_limits(
        spec: ClusterSpec,
        limits: Limits,
        mut sink: impl FnMut(&Event),
    ) -> Timeline {
        let mut sim = Simulation::new(spec);
        let mut snapshots = Snapshots::new(0, Arc::new(sim.clone()), limits);
        let events = sim.boot(|s| {
            if s.steps.is_multiple_of(snapshots.interval()) {
                snapshots.take_at_head(s);
            }
        });
        let mut notable = ChunkedVec::new();
        let mut recent = Recent::starting(0, 0);
        for event in events {
            sink(&event);
            if event.kind.is_notable() {
                notable.push(event.clone());
            }
            recent.push(event);
        }
        recent.through = sim.steps;
        let branch = Branch {
            parent: None,
            actions: Vec::new(),
            snapshots,
            notable,
            head_step: sim.steps,
        };
        Timeline {
            branches: vec![branch],
            current_branch: 0,
            head: None,
            state: sim,
            recent,
            limits,
            warming: None,
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    pub fn branch(&self) -> &Branch {
        &self.branches[self.current_branch]
    }

    pub fn at_head(&self) -> bool {
        self.state.steps == self.branch().head_step
    }

    /// Applies a command and returns every event it caused. Commands issued while looking at
    /// the past fork a new branch there first, so history is never rewritten.
    pub fn apply(&mut self, command: &Command) -> Result<Outcome, CommandError> {
        let mut events = Vec::new();
        let mut outcome = self.apply_streaming(command, |e| events.push(e.clone()))?;
        outcome.events = events;
        Ok(outcome)
    }

    /// Like [`Timeline::apply`], but hands each event to `sink` as it happens instead of
    /// collecting them (`run 1h` causes a million events). The outcome holds only the output.
    pub fn apply_streaming(
        &mut self,
        command: &Command,
        mut sink: impl FnMut(&Event),
    ) -> Result<Outcome, CommandError> {
        self.apply_with(command, Some(&mut sink))
    }

    /// Like [`Timeline::apply`], for a caller that does not want the events: moving through
    /// recorded history (a step, a Next: jump) then starts from the nearest snapshot instead
    /// of replaying everything from the current step to hand the events out.
    pub fn apply_unobserved(&mut self, command: &Command) -> Result<Outcome, CommandError> {
        self.apply_with(command, None)
    }

    fn apply_with<'a>(
        &mut self,
        command: &Command,
        mut sink: Option<&mut (dyn FnMut(&Event) + 'a)>,
    ) -> Result<Outcome, CommandError> {
        if command.is_query() {
            // A question changes nothing: it is answered at the step being looked at, which
            // neither forks the run nor enters its history.
            return Ok(Outcome {
                events: Vec::new(),
                output: Some(crate::tools::answer(&self.state, command)?),
            });
        }
        match command {
            Command::Back { steps } => {
                let target = self.state.steps.saturating_sub((*steps).max(0) as u64);
                self.goto(target, None);
                return Ok(Outcome::default());
            }
            Command::Seek { step } => {
                self.goto((*step).max(0) as u64, None);
                return Ok(Outcome::default());
            }
            Command::Fork => {
                self.fork();
                return Ok(Outcome::default());
            }
            _ => {}
        }
        if !self.at_head() {
            // Moving forward through recorded history replays it; anything else forks.
            let head_step = self.branch().head_step;
            match command {
                Command::Step { count } => {
                    let target = (self.state.steps + (*count).max(0) as u64).min(head_step);
                    self.goto(target, sink);
                    return Ok(Outcome::default());
                }
                Command::StepUntil { filter, .. } => {
                    match self.branch().next_match(self.state.steps, *filter) {
                        Some(event) => {
                            let target = event.step;
                            self.goto(target, sink);
                            return Ok(Outcome::default());
                        }
                        // Nothing of that kind happened in what was recorded: go to the head
                        // and run on from there (below), still on this branch.
                        None => self.goto(head_step, sink.as_deref_mut()),
                    }
                }
                _ => self.fork(),
            }
        }
        let is_time = matches!(
            command,
            Command::Step { .. } | Command::StepUntil { .. } | Command::Run { .. }
        );
        let max_steps = self.limits.max_steps;
        if is_time && self.state.steps >= max_steps {
            return Err(CommandError {
                message: format!(
                    "this branch has reached {max_steps} steps, the most a run keeps: go back and fork, or start a new run"
                ),
            });
        }
        let before_step = self.state.steps;
        let before_time = self.state.now_ms;
        let current = self.current_branch;
        if self.recent.branch != current || self.recent.through != before_step {
            self.recent = Recent::starting(current, before_step);
        }
        let Timeline {
            branches,
            state,
            recent,
            head,
            ..
        } = self;
        let branch = &mut branches[current];
        let mut record = |s: &Simulation, events: Vec<Event>| {
            for event in events {
                if let Some(sink) = sink.as_mut() {
                    sink(&event);
                }
                if event.kind.is_notable() {
                    branch.notable.push(event.clone());
                }
                recent.push(event);
            }
            if s.steps.is_multiple_of(branch.snapshots.interval()) {
                branch.snapshots.take_at_head(s);
            }
        };
        let outcome = if is_time {
            // Time never fails, so it runs on the state itself: no copy per step.
            state.apply_observed(command, &mut record)?
        } else {
            // A refused command must leave no trace, so it runs on a copy.
            let mut sim = state.clone();
            let outcome = crate::tools::apply_observed(&mut sim, command, &mut record)?;
            *state = sim;
            outcome
        };
        // The command's own events (those of the steps went through `record`).
        for event in outcome.events {
            if let Some(sink) = sink.as_mut() {
                sink(&event);
            }
            if event.kind.is_notable() {
                branch.notable.push(event.clone());
            }
            recent.push(event);
        }
        recent.through = state.steps;
        // Record the command at the position it was issued; the steps it took follow.
        if !is_time {
            branch
                .actions
                .push((before_step, Action::Command(command.clone())));
        }
        if let Command::Run { .. } = command {
            if state.now_ms != before_time {
                branch
                    .actions
                    .push((state.steps, Action::AdvanceClockTo(state.now_ms)));
            }
        }
        branch.head_step = state.steps;
        *head = None;
        Ok(Outcome {
            events: Vec::new(),
            output: outcome.output,
        })
    }

    /// Moves the view to the state after `step` steps of the current branch (clamped to its
    /// head). Near the head or a recent seek this replays at most one snapshot interval; deep
    /// in a long run, at most one grid spacing.
    pub fn seek(&mut self, step: u64) {
        self.goto(step, None);
    }

    /// Where a scrubber dragged to `step` lands: `step` itself when that is the head or a short
    /// replay from a kept snapshot, else the nearest kept snapshot before it. Deep in a long
    /// run, snapshots are a grid spacing apart (thousands of steps); landing on one makes every
    /// position of the scrubber as quick as a step, and the arrows then move one step at a
    /// time from there.
    pub fn scrub_target(&self, step: u64) -> u64 {
        let branch = self.branch();
        let step = step.min(branch.head_step);
        if step == branch.head_step || step == self.state.steps {
            return step;
        }
        match branch.snapshots.at_or_before(step) {
            Some((kept, _)) if step - kept > 2 * SNAPSHOT_INTERVAL => kept,
            _ => step,
        }
    }

    /// Makes stepping back from here quick: leaves a snapshot every interval for the
    /// [`WARM_SNAPSHOTS`] intervals before the step being looked at, replaying at most
    /// `max_steps` steps per call, so the page can do it in slices while nobody is clicking.
    /// Deep in a long run, the nearest kept snapshot before a scrubber's landing point is a
    /// grid spacing back (thousands of steps); without this the first step back replays all
    /// of that. Returns whether there is more to do. It only adds snapshots, which change
    /// nothing but how fast a seek is.
    pub fn warm_up(&mut self, max_steps: u64) -> bool {
        let current = self.current_branch;
        let at = self.state.steps;
        let branch = &mut self.branches[current];
        let interval = branch.snapshots.interval();
        let from = at.saturating_sub(interval * WARM_SNAPSHOTS);
        let missing = (from.div_ceil(interval) * interval..at)
            .step_by(interval as usize)
            .find(|&m| !branch.snapshots.contains(m));
        let Some(missing) = missing else {
            self.warming = None;
            return false;
        };
        let (nearest, snapshot) = branch
            .snapshots
            .at_or_before(missing)
            .expect("every branch has a snapshot at its first step");
        let (mut sim, next) = match self.warming.take() {
            // The replay under way is on the way to the first missing snapshot: go on.
            Some((b, sim, next))
                if b == current && sim.steps >= nearest && sim.steps <= missing =>
            {
                (sim, next)
            }
            _ => (Simulation::clone(snapshot), branch.first_action_at(nearest)),
        };
        let target = (sim.steps + max_steps).min(at.saturating_sub(1));
        let snapshots = &branch.snapshots;
        let mut taken = Vec::new();
        let next = replay(
            &mut sim,
            &branch.actions,
            next,
            target,
            &mut |_| {},
            &mut |s| {
                if s.steps >= from
                    && s.steps.is_multiple_of(interval)
                    && !snapshots.contains(s.steps)
                {
                    taken.push(s.clone());
                }
            },
        );
        for snapshot in &taken {
            branch.snapshots.take_focus(snapshot);
        }
        let done = sim.steps + 1 >= at;
        if !done {
            self.warming = Some((current, sim, next));
        }
        true
    }

    /// The seek behind every move through recorded history. With a `sink`, every event of
    /// the steps from the current one to the target is handed to it (the target is then
    /// ahead of the current step, and the replay starts from the current state).
    fn goto<'a>(&mut self, step: u64, mut sink: Option<&mut (dyn FnMut(&Event) + 'a)>) {
        let current = self.current_branch;
        let head_step = self.branches[current].head_step;
        let target = step.min(head_step);
        if target == self.state.steps {
            return;
        }
        if target == head_step && sink.is_none() {
            if let Some(cached) = self.head.take() {
                self.state = cached;
                return;
            }
        }
        let Timeline {
            branches,
            state,
            head,
            recent,
            ..
        } = self;
        let branch = &mut branches[current];
        let ahead = state.steps < target;
        let nearest = branch.snapshots.at_or_before(target).map(|(s, _)| s);
        // Replay from where the view is when that is at least as close as the nearest
        // snapshot, or when the events on the way are wanted.
        let from_here = ahead && (sink.is_some() || nearest.is_none_or(|s| s <= state.steps));
        // The window of every event grows along a replay that continues it.
        let extends_recent = from_here && recent.branch == current && recent.through == state.steps;
        let mut on_event = |event: Event| {
            if let Some(sink) = sink.as_mut() {
                sink(&event);
            }
            if extends_recent {
                recent.push(event);
            }
        };
        if from_here {
            let next = branch.first_action_at(state.steps + 1);
            replay(
                state,
                &branch.actions,
                next,
                target,
                &mut on_event,
                &mut |_| {},
            );
        } else {
            let (base, snapshot) = branch
                .snapshots
                .at_or_before(target)
                .expect("every branch has a snapshot at its first step");
            let mut sim = Simulation::clone(snapshot);
            let interval = branch.snapshots.interval();
            // Snapshots a quarter interval apart over the last two intervals before the
            // target (however far apart a big cluster's snapshots are): the steps back from
            // there replay a quarter of what they would from the interval marks.
            let focus_steps = FOCUS_STEPS.max(2 * interval);
            let focus_every = (interval / 4).max(SNAPSHOT_INTERVAL);
            let snapshots = &branch.snapshots;
            let mut focus = Vec::new();
            replay(
                &mut sim,
                &branch.actions,
                branch.first_action_at(base),
                target,
                &mut on_event,
                &mut |s| {
                    if s.steps.is_multiple_of(focus_every)
                        && s.steps + focus_steps >= target
                        && !snapshots.contains(s.steps)
                    {
                        focus.push(s.clone());
                    }
                },
            );
            for snapshot in &focus {
                branch.snapshots.take_focus(snapshot);
            }
            let previous = std::mem::replace(state, sim);
            if head.is_none() && previous.steps == head_step {
                *head = Some(previous);
            }
        }
        if state.steps == head_step {
            *head = None;
        }
        if extends_recent {
            recent.through = state.steps;
        } else if !recent.covers(current, state.steps, 1) {
            *recent = Recent::invalid();
        }
    }

    /// Starts a new branch at the current step; the old branch stays as it was.
    pub fn fork(&mut self) {
        let at = self.state.steps;
        let parent = self.branch();
        // The state at the fork point includes the parent's commands at that step, which the
        // new branch does not repeat: its snapshot there is its base, always kept.
        let mut snapshots = parent.snapshots.up_to(at);
        snapshots.base = at;
        snapshots.map.insert(at, Arc::new(self.state.clone()));
        let actions = parent
            .actions
            .iter()
            .filter(|(p, _)| *p < at)
            .cloned()
            .collect();
        let mut notable = parent.notable.clone();
        notable.truncate(partition_point(&notable, |e| e.step <= at));
        let parent_index = self.current_branch;
        self.branches.push(Branch {
            parent: Some((parent_index, at)),
            actions,
            snapshots,
            notable,
            head_step: at,
        });
        self.current_branch = self.branches.len() - 1;
        self.head = None;
        if self.recent.covers(parent_index, at, 1) {
            self.recent.branch = self.current_branch;
            self.recent.events.retain(|e| e.step <= at);
            self.recent.through = at;
        } else {
            self.recent = Recent::invalid();
        }
    }

    /// Switches to another branch, at its head.
    pub fn switch_branch(&mut self, index: usize) -> bool {
        if index >= self.branches.len() {
            return false;
        }
        self.current_branch = index;
        let branch = &self.branches[index];
        let (base, snapshot) = branch
            .snapshots
            .at_or_before(branch.head_step)
            .expect("every branch has a snapshot at its first step");
        let mut sim = Simulation::clone(snapshot);
        replay(
            &mut sim,
            &branch.actions,
            branch.first_action_at(base),
            branch.head_step,
            &mut |_| {},
            &mut |_| {},
        );
        self.state = sim;
        self.head = None;
        self.recent = Recent::invalid();
        true
    }

    /// The newest notable events up to the step being looked at, oldest first, at most `n`.
    pub fn notable_events(&self, n: usize) -> Vec<Event> {
        let mut newest: Vec<Event> = self
            .branch()
            .notable_until(self.state.steps)
            .rev()
            .take(n)
            .cloned()
            .collect();
        newest.reverse();
        newest
    }

    /// The newest events, deliveries and timers included, up to the step being looked at,
    /// oldest first, at most `n` (at most [`RECENT_EVENTS`]). When the view moved away from
    /// where they were kept, they are rebuilt by a replay of the last steps before it.
    pub fn recent_events(&mut self, n: usize) -> Vec<Event> {
        let n = n.min(RECENT_EVENTS);
        let at = self.state.steps;
        let current = self.current_branch;
        if !self.recent.covers(current, at, n) {
            let branch = &self.branches[current];
            // Every step has at least one event, so `n` steps back hold `n` events.
            let (base, snapshot) = branch
                .snapshots
                .at_or_before(at.saturating_sub(n as u64))
                .expect("every branch has a snapshot at its first step");
            let mut sim = Simulation::clone(snapshot);
            let mut recent = Recent::starting(current, base);
            replay(
                &mut sim,
                &branch.actions,
                branch.first_action_at(base),
                at,
                &mut |e| recent.push(e),
                &mut |_| {},
            );
            recent.through = at;
            self.recent = recent;
        }
        let mut newest: Vec<Event> = self
            .recent
            .events
            .iter()
            .rev()
            .filter(|e| e.step <= at)
            .take(n)
            .cloned()
            .collect();
        newest.reverse();
        newest
    }
}
