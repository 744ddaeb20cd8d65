//! The lesson beside the cluster, and the welcome with the lesson map. Lesson text is drawn as
//! text (spans with styles), never as HTML; a link into the picture highlights what it names.
//! Questions wait for an answer before their commands are played and the answer revealed;
//! checks show live whether they hold on the state being looked at.

use std::rc::Rc;

use sandbox_core::lesson::{Block, Check, Lesson, LessonKind, Level, Link, Span, Verdict};
use sandbox_core::view::ClusterView;
use yew::prelude::*;

use crate::lessons::{catalog, progress, LessonState};
use crate::state::Action;

fn spans(spans: &[Span]) -> Html {
    spans
        .iter()
        .map(|s| {
            let mut inner = if s.code {
                html! { <code>{ s.text.clone() }</code> }
            } else {
                html! { { s.text.clone() } }
            };
            if s.emphasis {
                inner = html! { <em>{ inner }</em> };
            }
            if s.strong {
                inner = html! { <strong>{ inner }</strong> };
            }
            match &s.link {
                Some(Link::Web(url)) => html! {
                    <a href={url.clone()} target="_blank" rel="noopener noreferrer">{ inner }</a>
                },
                Some(Link::Target(t)) => html! {
                    <mark class="lesson-target" data-target={t.to_string()}
                          title="Highlighted in the picture">{ inner }</mark>
                },
                None => inner,
            }
        })
        .collect()
}

/// What a block's commands printed, under the block (the console has it too).
fn output(lines: Option<&Vec<String>>) -> Html {
    match lines {
        Some(lines) if !lines.is_empty() => html! {
            <pre class="lesson-output" aria-live="polite">{ lines.join("\n") }</pre>
        },
        _ => html! {},
    }
}

#[derive(Properties, PartialEq)]
pub struct LessonPanelProps {
    pub state: Rc<LessonState>,
    /// The view being looked at, which the checks read.
    pub view: Rc<ClusterView>,
    pub dispatch: Callback<Action>,
}

/// A block that is only read (prose, a subheading, code shown as code), drawn the same in the
/// introduction and in a step; `None` for the blocks the learner acts on.
fn prose(block: &Block) -> Option<Html> {
    Some(match block {
        Block::Paragraph(s) => html! { <p>{ spans(s) }</p> },
        Block::Subheading(t) => html! { <h4>{ t.clone() }</h4> },
        Block::Note(s) => html! { <p class="lesson-note">{ spans(s) }</p> },
        Block::List(items) => html! {
            <ul>{ for items.iter().map(|s| html! { <li>{ spans(s) }</li> }) }</ul>
        },
        Block::Code { text, .. } => html! { <pre class="lesson-code">{ text.clone() }</pre> },
        _ => return None,
    })
}

fn check_row(check: &Check, verdict: Verdict) -> Html {
    let (symbol, class) = if verdict.holds {
        ("✓", "holds")
    } else {
        ("✗", "fails")
    };
    html! {
        <li class={classes!("lesson-check", class)} data-holds={verdict.holds.to_string()}>
            <span class="mark" aria-hidden="true">{ symbol }</span>
            <code>{ check.to_string() }</code>
            <span class="actual">{ format!(" ({})", verdict.actual) }</span>
        </li>
    }
}

#[component]
pub fn LessonPanel(props: &LessonPanelProps) -> Html {
    let l = &props.state;
    let lesson = &l.lesson;
    let total = lesson.steps.len();
    let Some(step) = lesson.steps.get(l.step) else {
        return html! {};
    };
    let emit = |action: fn(usize) -> Action, n: usize| {
        let dispatch = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.emit(action(n)))
    };
    // What follows an unanswered question stays hidden: it would give the answer away.
    let shown = step
        .blocks
        .iter()
        .enumerate()
        .position(|(i, b)| {
            matches!(b, Block::Predict(_))
                && !l
                    .questions
                    .get(&(l.step, i))
                    .is_some_and(|(_, chosen)| chosen.is_some())
        })
        .map_or(step.blocks.len(), |i| i + 1);
    let blocks = step.blocks[..shown].iter().enumerate().map(|(i, block)| {
        let reached = l.reached(i);
        let key = (l.step, i);
        match block {
            Block::Paragraph(_)
            | Block::Subheading(_)
            | Block::Note(_)
            | Block::List(_)
            | Block::Code { .. } => prose(block).unwrap_or_default(),
            Block::Do(c) => {
                let done = l.done.contains(&key);
                html! {
                    <>
                    <div class={classes!("lesson-do", done.then_some("done"))} data-block={i.to_string()}>
                        <pre>{ c.text.clone() }</pre>
                        <button class="do-it" disabled={done || !reached} onclick={emit(Action::LessonDo, i)}>
                            { if done { "✓ Done" } else { "Do it" } }
                        </button>
                    </div>
                    { output(l.outputs.get(&key)) }
                    </>
                }
            }
            Block::Check(lines) => {
                // Live while it is the latest thing the learner reached; once they run a later
                // block, what it said then.
                let passed = l.passed.get(&key);
                html! {
                    <ul class="lesson-checks" aria-label="Checks on the cluster">
                        { for lines.iter().enumerate().map(|(n, c)| {
                            let verdict = passed
                                .and_then(|v| v.get(n).cloned())
                                .unwrap_or_else(|| c.check.verify(&props.view));
                            check_row(&c.check, verdict)
                        }) }
                    </ul>
                }
            }
            Block::Predict(p) => {
                let question = l.questions.get(&key);
                let body = match (question, l.broken.get(&key)) {
                    (_, Some(why)) => html! { <p class="lesson-error" role="alert">{ why.clone() }</p> },
                    (None, _) => html! { <p class="waiting">{ "Do the steps above first." }</p> },
                    (Some((q, chosen)), _) => {
                        let choices = q.choices.iter().enumerate().map(|(n, choice)| {
                            let dispatch = props.dispatch.clone();
                            let onclick = Callback::from(move |_: MouseEvent| dispatch.emit(Action::LessonAnswer(i, n)));
                            let class = match chosen {
                                Some(_) if n == q.answer => Some("right"),
                                Some(c) if *c == n => Some("wrong"),
                                _ => None,
                            };
                            html! {
                                <button class={classes!("choice", class)} disabled={chosen.is_some()}
                                        data-choice={choice.to_string()} {onclick}>{ choice.to_string() }</button>
                            }
                        });
                        let verdict = chosen.map(|c| {
                            if c == q.answer {
                                html! { <p class="verdict right" role="status">{ format!("✓ Right: {}.", q.right()) }</p> }
                            } else {
                                html! { <p class="verdict wrong" role="status">{ format!("✗ Not quite: it is {}. Look at the picture to see why.", q.right()) }</p> }
                            }
                        });
                        html! {
                            <>
                                <div class="choices" role="group" aria-label="Choices">{ for choices }</div>
                                { for verdict }
                                { output(l.outputs.get(&key)) }
                            </>
                        }
                    }
                };
                html! {
                    <div class="lesson-predict" data-block={i.to_string()}>
                        <p class="ask"><strong>{ "Predict: " }</strong>{ p.ask.clone() }</p>
                        { body }
                    </div>
                }
            }
            Block::Goal(goal) => {
                let result = l.goal.as_ref().map(|r| match r {
                    Ok(()) => html! { <p class="verdict right" role="status">{ format!("✓ Solved: {}", goal.description) }</p> },
                    Err(why) => html! { <p class="verdict wrong" role="status">{ format!("Not yet, because {why}") }</p> },
                });
                html! {
                    <div class="lesson-goal" data-block={i.to_string()}>
                        <p><strong>{ "Goal: " }</strong>{ goal.description.clone() }</p>
                        <button class="check-goal" onclick={emit(Action::LessonCheckGoal, i)}>{ "Check my fix" }</button>
                        { for result }
                    </div>
                }
            }
            Block::Hint(text) => {
                if l.hints_shown.contains(&key) {
                    html! { <p class="lesson-hint">{ format!("Hint: {text}") }</p> }
                } else {
                    html! { <button class="show-hint" onclick={emit(Action::LessonHint, i)}>{ "Show a hint" }</button> }
                }
            }
            Block::Solution(c) => {
                if l.solution_shown {
                    let done = l.done.contains(&key);
                    html! {
                        <div class="lesson-do solution" data-block={i.to_string()}>
                            <pre>{ c.text.clone() }</pre>
                            <button class="do-it" disabled={done} onclick={emit(Action::LessonDo, i)}>
                                { if done { "✓ Applied" } else { "Apply the solution" } }
                            </button>
                        </div>
                    }
                } else {
                    let dispatch = props.dispatch.clone();
                    html! { <button class="show-solution" onclick={Callback::from(move |_: MouseEvent| dispatch.emit(Action::LessonSolution))}>{ "Show the solution" }</button> }
                }
            }
        }
    });
    let back = (l.step > 0).then(|| emit(Action::LessonGo, l.step - 1));
    let last = l.step + 1 == total;
    let close = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.emit(Action::CloseLesson))
    };
    let map = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.emit(Action::LessonMap(true)))
    };
    html! {
        <section class="panel lesson-panel" aria-labelledby="lesson-heading" data-lesson={lesson.id.clone()}
                 data-step={l.step.to_string()}>
            <div class="panel-head">
                <h2 id="lesson-heading">{ lesson.meta.title.clone() }</h2>
                <button class="lesson-map-open" onclick={map}>{ "Lessons" }</button>
                <button class="lesson-close" onclick={close} aria-label="Close the lesson">{ "✕" }</button>
            </div>
            <p class="lesson-progress">{ format!("Step {} of {total}", l.step + 1) }</p>
            <h3 class="lesson-step-title">{ step.title.clone() }</h3>
            if l.step == 0 {
                { for lesson.intro.iter().filter_map(prose) }
            }
            <div class="lesson-body">{ for blocks }</div>
            <div class="lesson-nav">
                <button class="lesson-back" disabled={back.is_none()} onclick={back.unwrap_or_default()}>{ "← Back" }</button>
                <a class="lesson-link" href={format!("#lesson={}&step={}", lesson.id, l.step + 1)}
                   title="A link to this step">{ "Link to this step" }</a>
                <button class="lesson-next" onclick={emit(Action::LessonGo, l.step + 1)}>
                    { if last { "Finish ✓" } else { "Next →" } }
                </button>
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct LessonMapProps {
    /// Whether the lessons were fetched (the map redraws when they arrive).
    pub loaded: bool,
    pub dispatch: Callback<Action>,
}

/// The welcome and the lesson map: lessons by level, challenges, or free play.
#[component]
pub fn LessonMap(props: &LessonMapProps) -> Html {
    let free_play = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.emit(Action::LessonMap(false)))
    };
    let all = match catalog() {
        Some(Ok(all)) => all,
        other => {
            let why = match other {
                Some(Err(why)) => {
                    format!("The lessons could not be loaded ({why}); free play works.")
                }
                _ => "Loading the lessons…".to_string(),
            };
            return html! {
                <div class="lesson-map-backdrop">
                    <div class="lesson-map" role="dialog" aria-modal="true" aria-labelledby="lesson-map-heading">
                        <h2 id="lesson-map-heading">{ "Learn Kafka by running it" }</h2>
                        <p role="status">{ why }</p>
                        <button class="free-play" onclick={free_play}>{ "Free play" }</button>
                    </div>
                </div>
            };
        }
    };
    let done = progress();
    let card = |l: &Rc<Lesson>| {
        let dispatch = props.dispatch.clone();
        let id = l.id.clone();
        let onclick =
            Callback::from(move |_: MouseEvent| dispatch.emit(Action::OpenLesson(id.clone(), 0)));
        let status = match done.get(&l.id).map(String::as_str) {
            Some("done") => "✓ done".to_string(),
            Some(step) => format!("reached step {}", step.parse::<usize>().unwrap_or(0) + 1),
            None => String::new(),
        };
        html! {
            <li class="lesson-card" data-lesson-card={l.id.clone()}>
                <button class="open-lesson" {onclick}>
                    <span class="title">{ l.meta.title.clone() }</span>
                    <span class="meta">{ format!("{} min · {} steps", l.meta.minutes, l.steps.len()) }</span>
                    <span class="summary">{ l.meta.summary.clone() }</span>
                    if !status.is_empty() { <span class="status">{ status }</span> }
                </button>
            </li>
        }
    };
    let ok: Vec<&Rc<Lesson>> = all.iter().filter_map(|l| l.as_ref().ok()).collect();
    let level = |level: Level, kind: LessonKind| {
        let cards: Vec<Html> = ok
            .iter()
            .filter(|l| l.meta.level == level && l.meta.kind == kind)
            .map(|l| card(l))
            .collect();
        (!cards.is_empty()).then(|| {
            html! {
                <div class="lesson-level">
                    <h3>{ level.name() }</h3>
                    <ul>{ for cards }</ul>
                </div>
            }
        })
    };
    let levels = [Level::Beginner, Level::Intermediate, Level::Advanced];
    let broken: Vec<Html> = all
        .iter()
        .filter_map(|l| l.as_ref().err())
        .map(|e| html! { <li class="lesson-error">{ e.clone() }</li> })
        .collect();
    let challenges: Vec<Html> = levels
        .iter()
        .filter_map(|&lv| level(lv, LessonKind::Challenge))
        .collect();
    html! {
        <div class="lesson-map-backdrop">
            <div class="lesson-map" role="dialog" aria-modal="true" aria-labelledby="lesson-map-heading">
                <h2 id="lesson-map-heading">{ "Learn Kafka by running it" }</h2>
                <p>{ "A real Kafka 4 cluster (KRaft), simulated step by step in your browser. Follow a lesson, take on a challenge, or play freely: crash brokers, cut links, rewind." }</p>
                <h3 class="lesson-section">{ "Lessons" }</h3>
                { for levels.iter().filter_map(|&lv| level(lv, LessonKind::Lesson)) }
                if !challenges.is_empty() {
                    <h3 class="lesson-section">{ "Troubleshooting challenges" }</h3>
                    { for challenges }
                }
                if !broken.is_empty() { <ul>{ for broken }</ul> }
                <button class="free-play" onclick={free_play}>{ "Free play" }</button>
            </div>
        </div>
    }
}
