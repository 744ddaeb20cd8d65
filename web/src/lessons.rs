//! The curriculum in the page: the lessons compiled in (see `build.rs`), read with core's
//! lesson parser, the learner's place in the open one, and progress kept in local storage.

use sandbox_core::sorted::SortedMap;
use std::rc::Rc;

use sandbox_core::lesson::predict::{prepare, Question};
use sandbox_core::lesson::{Block, Lesson, Target};

/// The lessons as the page got them: not fetched yet, or each lesson (or why it is broken),
/// or why the file could not be fetched.
pub type Catalog = Option<Result<Rc<Vec<Result<Rc<Lesson>, String>>>, String>>;

thread_local! {
    static CATALOG: std::cell::RefCell<Catalog> = const { std::cell::RefCell::new(None) };
}

/// The curriculum, compiled by `kafka-sandbox lesson --compile` into the site, fetched once
/// when the page starts (neither the Markdown parser nor the lessons' text is in the wasm).
pub const LESSONS_FILE: &str = "lessons.txt";

/// Fetches the compiled lessons.
pub async fn fetch_lessons() -> Result<String, String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let window = web_sys::window().ok_or("no window")?;
    let failed = |e: wasm_bindgen::JsValue| format!("{LESSONS_FILE}: {e:?}");
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(LESSONS_FILE))
        .await
        .map_err(failed)?
        .dyn_into()
        .map_err(failed)?;
    if !response.ok() {
        return Err(format!("{LESSONS_FILE}: HTTP {}", response.status()));
    }
    let text = JsFuture::from(response.text().map_err(failed)?)
        .await
        .map_err(failed)?;
    text.as_string()
        .ok_or_else(|| format!("{LESSONS_FILE} is not text"))
}

/// Keeps what [`fetch_lessons`] got.
pub fn set_catalog(fetched: Result<String, String>) {
    let catalog = fetched.map(|text| {
        Rc::new(
            sandbox_core::lesson::ir::read_all(&text)
                .into_iter()
                .map(|l| l.map(Rc::new))
                .collect(),
        )
    });
    CATALOG.with(|c| *c.borrow_mut() = Some(catalog));
}

/// The lessons, once fetched.
pub fn catalog() -> Catalog {
    CATALOG.with(|c| c.borrow().clone())
}

/// The lesson with this id (`02-replication`).
pub fn find(id: &str) -> Option<Rc<Lesson>> {
    catalog()?
        .ok()?
        .iter()
        .filter_map(|l| l.as_ref().ok())
        .find(|l| l.id == id)
        .cloned()
}

/// A block of a lesson: (step, block index).
pub type BlockKey = (usize, usize);

/// Values kept per block, a few at most: a list (a map type would add its own copy of the
/// map's code to the download for this one key type).
#[derive(Clone, Debug, PartialEq)]
pub struct PerBlock<V>(Vec<(BlockKey, V)>);

impl<V> Default for PerBlock<V> {
    fn default() -> Self {
        PerBlock(Vec::new())
    }
}

impl<V> PerBlock<V> {
    pub fn get(&self, key: &BlockKey) -> Option<&V> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &BlockKey) -> Option<&mut V> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &BlockKey) -> bool {
        self.get(key).is_some()
    }

    pub fn insert(&mut self, key: BlockKey, value: V) {
        match self.get_mut(&key) {
            Some(v) => *v = value,
            None => self.0.push((key, value)),
        }
    }
}

/// Blocks done (commands run, hints shown).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BlockSet(Vec<BlockKey>);

impl BlockSet {
    pub fn contains(&self, key: &BlockKey) -> bool {
        self.0.contains(key)
    }

    pub fn insert(&mut self, key: BlockKey) {
        if !self.contains(&key) {
            self.0.push(key);
        }
    }
}

/// Where the learner is in the open lesson.
#[derive(Clone, Debug)]
pub struct LessonState {
    pub lesson: Rc<Lesson>,
    pub step: usize,
    /// `do` blocks run, by (step, block).
    pub done: BlockSet,
    /// Questions asked, with the learner's choice once answered.
    pub questions: PerBlock<(Question, Option<usize>)>,
    /// A question that could not be prepared, and why (a lesson bug the tests catch first).
    pub broken: PerBlock<String>,
    pub hints_shown: BlockSet,
    /// What the console printed for a block's commands (answers, notes, errors), shown under
    /// the block where the learner is looking.
    pub outputs: PerBlock<Vec<String>>,
    pub solution_shown: bool,
    /// The last "Check my fix" of a challenge's goal: `Ok` or why not yet.
    pub goal: Option<Result<(), String>>,
    /// What a check block said when the learner moved past it (ran a later block of the
    /// step): it keeps saying that, rather than turning red as the cluster moves on.
    pub passed: PerBlock<Vec<sandbox_core::lesson::query::Verdict>>,
}

/// Equal when the same lesson is at the same place: the lesson itself is compared by address
/// (it never changes while open), so a redraw costs no walk through its text.
impl PartialEq for LessonState {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.lesson, &other.lesson)
            && self.step == other.step
            && self.done == other.done
            && self.questions == other.questions
            && self.broken == other.broken
            && self.hints_shown == other.hints_shown
            && self.outputs == other.outputs
            && self.solution_shown == other.solution_shown
            && self.goal == other.goal
            && self.passed == other.passed
    }
}

impl LessonState {
    pub fn new(lesson: Rc<Lesson>) -> LessonState {
        LessonState {
            lesson,
            step: 0,
            done: BlockSet::default(),
            questions: PerBlock::default(),
            broken: PerBlock::default(),
            hints_shown: BlockSet::default(),
            outputs: PerBlock::default(),
            solution_shown: false,
            goal: None,
            passed: PerBlock::default(),
        }
    }

    /// Keeps what the reached check blocks before `index` in the current step say of `view`,
    /// before block `index` changes the cluster (those already kept stay as they were).
    pub fn pass_checks_before(&mut self, index: usize, view: &sandbox_core::view::ClusterView) {
        for i in 0..index.min(self.blocks().len()) {
            let key = (self.step, i);
            if let Block::Check(lines) = &self.blocks()[i] {
                if self.passed.get(&key).is_none() {
                    let verdicts = lines.iter().map(|c| c.check.verify(view)).collect();
                    self.passed.insert(key, verdicts);
                }
            }
        }
    }

    /// The blocks of the current step.
    pub fn blocks(&self) -> &[Block] {
        self.lesson
            .steps
            .get(self.step)
            .map_or(&[], |s| s.blocks.as_slice())
    }

    /// Whether block `index` of the current step is reached: every `do` and question before it
    /// in the step is done or answered.
    pub fn reached(&self, index: usize) -> bool {
        self.blocks()[..index.min(self.blocks().len())]
            .iter()
            .enumerate()
            .all(|(i, b)| match b {
                Block::Do(_) => self.done.contains(&(self.step, i)),
                Block::Predict(_) => self
                    .questions
                    .get(&(self.step, i))
                    .is_some_and(|(_, chosen)| chosen.is_some()),
                _ => true,
            })
    }

    /// Prepares the questions of the current step that are reached and not asked yet, from
    /// the state now (their choices and answer come from it).
    pub fn ask_reached(&mut self, sim: &sandbox_core::sim::Simulation) {
        for i in 0..self.blocks().len() {
            if !self.reached(i) {
                break;
            }
            let key = (self.step, i);
            if let Block::Predict(p) = &self.blocks()[i] {
                if !self.questions.contains_key(&key) && !self.broken.contains_key(&key) {
                    match prepare(p, sim) {
                        Ok(q) => {
                            self.questions.insert(key, (q, None));
                        }
                        Err(why) => {
                            self.broken.insert(key, why);
                        }
                    }
                }
            }
        }
    }

    /// The parts of the picture the current step points at.
    pub fn targets(&self) -> Vec<Target> {
        self.blocks()
            .iter()
            .flat_map(sandbox_core::lesson::run::targets)
            .collect()
    }
}

/// A CSS selector for a part of the picture (targets hold only ids and legal topic names).
pub fn selector(target: &Target) -> String {
    match target {
        Target::Broker(b) => format!("[data-broker=\"{b}\"]"),
        Target::Controller(c) => format!("[data-controller=\"{c}\"]"),
        Target::Partition(tp) => format!("[data-partition=\"{tp}\"]"),
        Target::Replica(tp, b) => format!("[data-replica=\"{tp}@{b}\"]"),
        Target::Link(a, b) => format!("[data-link=\"{a}-{b}\"], [data-link=\"{b}-{a}\"]"),
    }
}

const PROGRESS_KEY: &str = "kafka-sandbox.lessons";
const WELCOMED_KEY: &str = "kafka-sandbox.welcomed";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The furthest step reached per lesson, and which are finished: `id=step` or `id=done`,
/// separated by `;`.
pub fn progress() -> SortedMap<String, String> {
    storage()
        .and_then(|s| s.get_item(PROGRESS_KEY).ok().flatten())
        .unwrap_or_default()
        .split(';')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Notes that the learner reached `step` of `id` (or finished it).
pub fn save_progress(id: &str, step: usize, finished: bool) {
    let mut all = progress();
    let entry = all.entry(id.to_string()).or_default();
    if entry != "done" {
        let furthest = entry.parse::<usize>().unwrap_or(0).max(step);
        *entry = if finished {
            "done".to_string()
        } else {
            furthest.to_string()
        };
    }
    let text: Vec<String> = all.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if let Some(s) = storage() {
        let _ = s.set_item(PROGRESS_KEY, &text.join(";"));
    }
}

/// Whether this browser has seen the welcome already.
pub fn welcomed() -> bool {
    storage().is_some_and(|s| s.get_item(WELCOMED_KEY).ok().flatten().is_some())
}

pub fn set_welcomed() {
    if let Some(s) = storage() {
        let _ = s.set_item(WELCOMED_KEY, "1");
    }
}
