//! Playing a lesson headless, as the tests and `kafka-sandbox lesson` do: the setup, then each
//! step's blocks in order. Every command must apply, every check must hold where it stands,
//! every question must have a computed answer among at least two choices, every part of the
//! picture a step points at must exist when the step is shown; a challenge's goal must fail
//! before its solution and hold after it.

use super::predict::prepare;
use super::{Block, CheckLine, Commands, Goal, Lesson, LessonError, Link, Span};
use crate::timeline::Timeline;
use crate::view::cluster_view;

/// What a lesson run verified.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub steps: usize,
    pub commands: usize,
    pub checks: usize,
    pub questions: usize,
    pub goals: usize,
}

/// Plays `lesson` from its setup to its last step.
pub fn run_lesson(lesson: &Lesson) -> Result<RunSummary, LessonError> {
    let file = format!("{}.md", lesson.id);
    let error = |line: usize, message: String| LessonError {
        file: file.clone(),
        line,
        column: 1,
        message,
    };
    let mut summary = RunSummary::default();
    let mut timeline = Timeline::new(lesson.cluster.clone());
    let apply = |timeline: &mut Timeline, commands: &Commands, summary: &mut RunSummary| {
        for (i, command) in commands.commands.iter().enumerate() {
            timeline.apply(command).map_err(|e| {
                error(
                    commands.line + i,
                    format!(
                        "`{}` failed: {}",
                        crate::parse::format_command(command),
                        e.message
                    ),
                )
            })?;
            summary.commands += 1;
        }
        Ok::<(), LessonError>(())
    };
    apply(&mut timeline, &lesson.setup, &mut summary)?;
    let solution = lesson.blocks().find_map(|(_, b)| match b {
        Block::Solution(c) => Some(c.clone()),
        _ => None,
    });
    for step in &lesson.steps {
        summary.steps += 1;
        for block in &step.blocks {
            match block {
                Block::Do(commands) => apply(&mut timeline, commands, &mut summary)?,
                Block::Check(lines) => {
                    summary.checks += verify(&timeline, lines).map_err(|(l, m)| error(l, m))?;
                }
                Block::Predict(predict) => {
                    let question =
                        prepare(predict, &timeline.state).map_err(|m| error(predict.line, m))?;
                    apply(&mut timeline, &predict.play, &mut summary)?;
                    let real = predict
                        .answer
                        .eval(&cluster_view(&timeline.state))
                        .map_err(|m| error(predict.line, m))?;
                    if &real != question.right() {
                        return Err(error(
                            predict.line,
                            format!("the answer computed before playing was {}, but playing gave {real}", question.right()),
                        ));
                    }
                    summary.questions += 1;
                }
                Block::Goal(goal) => {
                    if goal_holds(&timeline, goal).is_ok() {
                        return Err(error(
                            goal.line,
                            "the goal already holds before any fix: the challenge has nothing to solve".to_string(),
                        ));
                    }
                    let Some(solution) = &solution else {
                        return Err(error(
                            goal.line,
                            "a challenge needs a `solution` block".to_string(),
                        ));
                    };
                    let mut fixed = timeline.clone();
                    apply(&mut fixed, solution, &mut summary)?;
                    goal_holds(&fixed, goal).map_err(|(l, m)| {
                        error(l, format!("after the solution, the goal still fails: {m}"))
                    })?;
                    summary.checks += goal.checks.len();
                    summary.goals += 1;
                }
                _ => {}
            }
        }
        // What a step points at exists once the step is done (it may create it).
        let view = cluster_view(&timeline.state);
        for target in step.blocks.iter().flat_map(targets) {
            if !target.exists(&view) {
                return Err(error(
                    step.line,
                    format!(
                        "step `{}` points at sandbox:{target}, which the cluster does not have",
                        step.title
                    ),
                ));
            }
        }
    }
    Ok(summary)
}

/// Checks every line against the timeline's state now; the count, or the first that fails.
pub fn verify(timeline: &Timeline, lines: &[CheckLine]) -> Result<usize, (usize, String)> {
    match first_failing(&cluster_view(&timeline.state), lines) {
        Some((line, check, actual)) => {
            Err((line, format!("check `{check}` does not hold: {actual}")))
        }
        None => Ok(lines.len()),
    }
}

/// Whether a goal holds after playing on from `timeline` (on a copy).
pub fn goal_holds(timeline: &Timeline, goal: &Goal) -> Result<(), (usize, String)> {
    let mut sim = timeline.state.clone();
    for command in &goal.play.commands {
        crate::tools::apply(&mut sim, command).map_err(|e| (goal.line, e.message))?;
    }
    match first_failing(&cluster_view(&sim), &goal.checks) {
        Some((line, check, actual)) => Err((line, format!("`{check}`: {actual}"))),
        None => Ok(()),
    }
}

/// The first check that does not hold on `view`: its line, the check and what was found.
fn first_failing<'a>(
    view: &crate::view::ClusterView,
    lines: &'a [CheckLine],
) -> Option<(usize, &'a super::Check, String)> {
    lines.iter().find_map(|line| {
        let verdict = line.check.verify(view);
        (!verdict.holds).then_some((line.line, &line.check, verdict.actual))
    })
}

/// The parts of the picture a block points at.
pub fn targets(block: &Block) -> Vec<super::Target> {
    let of = |spans: &[Span]| -> Vec<super::Target> {
        spans
            .iter()
            .filter_map(|s| match &s.link {
                Some(Link::Target(t)) => Some(t.clone()),
                _ => None,
            })
            .collect()
    };
    match block {
        Block::Paragraph(s) | Block::Note(s) => of(s),
        Block::List(items) => items.iter().flat_map(|s| of(s)).collect(),
        _ => Vec::new(),
    }
}
