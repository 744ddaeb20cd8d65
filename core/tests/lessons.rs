//! The curriculum as tests: every lesson in `lessons/` reads, plays from its setup to its last
//! step with every check, question and goal verified (as `kafka-sandbox lesson --all` does),
//! and survives the compiled form the page gets; broken lessons are refused with the file,
//! line, column and reason; and `lessons/coverage.md` maps the guide's items to lessons.

use std::path::{Path, PathBuf};

use sandbox_core::lesson::{ir, parse_lesson, run_lesson, Lesson, LessonError};

fn lessons_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../lessons")
}

/// Every lesson file, in name order.
fn lesson_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(lessons_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(sandbox_core::lesson::is_lesson_file)
        })
        .collect();
    files.sort();
    files
}

fn read(path: &Path) -> Lesson {
    let name = path.file_name().unwrap().to_str().unwrap();
    parse_lesson(name, &std::fs::read_to_string(path).unwrap()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_lesson_plays_to_its_end_with_every_check_and_question_verified() {
    let files = lesson_files();
    assert!(files.len() >= 3, "the curriculum has lessons: {files:?}");
    let (mut checks, mut questions) = (0, 0);
    for path in &files {
        let lesson = read(path);
        let summary = run_lesson(&lesson).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(summary.steps, lesson.steps.len());
        assert!(
            summary.checks > 0,
            "{}: a lesson checks what it teaches",
            lesson.id
        );
        checks += summary.checks;
        questions += summary.questions;
    }
    println!(
        "{} lessons, {checks} checks and {questions} questions verified",
        files.len()
    );
    assert!(
        questions >= files.len(),
        "every lesson asks at least one question on average"
    );
}

#[test]
fn the_page_gets_each_lesson_exactly_as_written() {
    let mut all = String::new();
    let lessons: Vec<Lesson> = lesson_files().iter().map(|p| read(p)).collect();
    for lesson in &lessons {
        all.push_str(&ir::write(lesson));
    }
    all.push_str(&ir::write_broken("99-broken.md:3:1: a reason"));
    let back = ir::read_all(&all);
    assert_eq!(back.len(), lessons.len() + 1);
    for (lesson, read) in lessons.iter().zip(&back) {
        assert_eq!(read.as_ref(), Ok(lesson), "{}", lesson.id);
    }
    assert_eq!(
        back.last().unwrap().as_ref().unwrap_err(),
        "99-broken.md:3:1: a reason"
    );
}

const HEAD: &str = "---\ntitle: T\nlevel: beginner\nminutes: 5\nteaches: topic\n---\n";

/// A broken lesson is refused with where and why. Each case: the text after a valid front
/// matter (lines 1 to 6) and a blank line (the case's text starts on line 8), the line and
/// column expected, and words the reason must contain.
#[test]
fn a_broken_lesson_says_where_and_why() {
    let cases: &[(&str, usize, usize, &str)] = &[
        ("# Title\n\nNo step.\n", 11, 1, "at least one step"),
        // Nothing in the introduction is run or checked: such a block is refused, not dropped.
        (
            "Intro.\n\n```check\nhw orders-0 = 3\n```\n\n## S\n\nText.\n",
            10,
            1,
            "belongs in a step",
        ),
        (
            "## S\n\n```do\nproduce orders-0 --cuont 3\n```\n",
            11,
            18,
            "--count",
        ),
        ("## S\n\n```do\ncluster --brokers 3\n```\n", 11, 1, "setup"),
        (
            "## S\n\n```check\nhw orders = 3\n```\n",
            11,
            1,
            "not a partition",
        ),
        ("## S\n\n```check\nhw orders-0 3\n```\n", 11, 1, "compares"),
        (
            "## S\n\n```check\nwatermark orders-0 = 3\n```\n",
            11,
            1,
            "not a query",
        ),
        (
            "## S\n\n```check\nisr orders-0 > 1\n```\n",
            11,
            1,
            "not a number",
        ),
        (
            "## S\n\n```check\nhw orders-0 = three\n```\n",
            11,
            1,
            "is a number",
        ),
        (
            "## S\n\n```predict\nask: Where?\nplay: run 1s\n```\n",
            10,
            1,
            "answer:",
        ),
        (
            "## S\n\n```predict\nask: Where?\nanswer: 102\n```\n",
            12,
            1,
            "is a query",
        ),
        (
            "## S\n\n```predict\nask: Where?\nshow: hw\nanswer: hw orders-0\n```\n",
            12,
            1,
            "`show` is not one",
        ),
        (
            "## S\n\n```predict\nplay: run 1s\nanswer: hw orders-0\n```\n",
            10,
            1,
            "ask:",
        ),
        ("## S\n\nSee <b>this</b>.\n", 10, 5, "HTML"),
        ("## S\n\n<div>x</div>\n", 10, 1, "HTML"),
        ("## S\n\n![a picture](x.png)\n", 10, 1, "image"),
        (
            "## S\n\nSee [the leader](sandbox:leader/orders-0).\n",
            10,
            5,
            "points at nothing",
        ),
        (
            "## S\n\nSee [it](javascript:alert(1)).\n",
            10,
            5,
            "https://",
        ),
        (
            "## S\n\nSee [it](sandbox:replica/ord\"ers-0/1).\n",
            10,
            5,
            "not a partition",
        ),
        (
            "## S\n\n```setup\nrun 1s\n```\n",
            10,
            1,
            "before the first step",
        ),
        ("## S\n\n```goal\nplay: run 1s\n```\n", 10, 1, "says:"),
        ("# One\n\n## S\n\ntext\n\n# Two\n", 14, 1, "one title"),
    ];
    for &(body, line, column, words) in cases {
        let text = format!("{HEAD}\n{body}");
        let e: LessonError = parse_lesson("bad.md", &text).map(|_| ()).expect_err(body);
        assert_eq!(
            (e.file.as_str(), e.line, e.column),
            ("bad.md", line, column),
            "{body:?}: {e}"
        );
        assert!(e.message.contains(words), "{body:?}: {e}");
    }
    let front: &[(&str, usize, &str)] = &[
        ("no front matter\n", 1, "front matter"),
        ("---\ntitle: T\n", 1, "closing"),
        (
            "---\ntitle: T\nlevel: expert\nminutes: 5\nteaches: x\n---\n## S\n",
            3,
            "beginner",
        ),
        (
            "---\ntitle: T\nlevel: beginner\nminutes: many\nteaches: x\n---\n## S\n",
            4,
            "not a number",
        ),
        (
            "---\ntitle: T\nauthor: me\n---\n## S\n",
            3,
            "unknown front matter key",
        ),
        (
            "---\nlevel: beginner\nminutes: 5\nteaches: x\n---\n## S\n",
            1,
            "title",
        ),
    ];
    for &(text, line, words) in front {
        let e = parse_lesson("bad.md", text).map(|_| ()).expect_err(text);
        assert_eq!(e.line, line, "{text:?}: {e}");
        assert!(e.message.contains(words), "{text:?}: {e}");
    }
}

/// A lesson that parses but does not hold when played is refused with the line that fails.
#[test]
fn a_lesson_whose_check_or_question_is_wrong_fails_where_it_is_wrong() {
    let cases: &[(&str, usize, &str)] = &[
        (
            "```setup\nkafka-topics.sh --create --topic orders --partitions 1 --replication-factor 3\nrun 1s\n```\n\n## S\n\n```check\nhw orders-0 = 5\n```\n",
            16,
            "hw orders-0 is 0",
        ),
        (
            "## S\n\n```do\ncrash 9\n```\n",
            11,
            "`crash 9` failed",
        ),
        (
            "```setup\nkafka-topics.sh --create --topic orders --partitions 1 --replication-factor 3\nrun 1s\n```\n\n## S\n\n```predict\nask: What is c1 doing?\nplay: run 1s\nanswer: consumer c1\n```\n",
            15,
            "there is no consumer c1",
        ),
        (
            "```setup\nkafka-topics.sh --create --topic orders --partitions 1 --replication-factor 3\nrun 1s\n```\n\n## S\n\nSee [broker 7](sandbox:broker/7).\n",
            13,
            "does not have",
        ),
        // -1 is "none" for a group's offsets and a consumer's position: the failure says so.
        (
            "```setup\nkafka-topics.sh --create --topic orders --partitions 1 --replication-factor 3\nrun 1s\nproduce orders-0 --count 3\nconsumer start c1 --topic orders --group g --consumer-property enable.auto.commit=false\nrun 8s\n```\n\n## S\n\n```check\nlag g orders-0 = 0\n```\n",
            19,
            "lag g orders-0 is -1 (no committed offset yet)",
        ),
    ];
    for (i, &(body, line, words)) in cases.iter().enumerate() {
        let text = format!("{HEAD}\n{body}");
        let lesson = parse_lesson("bad.md", &text).unwrap_or_else(|e| panic!("case {i}: {e}"));
        let e = run_lesson(&lesson).expect_err(body);
        assert_eq!(e.line, line, "case {i}: {e}");
        assert!(e.message.contains(words), "case {i}: {e}");
    }
}

/// A question's choices are computed, never typed: for the guide's example the right answer
/// (the HW stays at 102) is among choices that include the LEO a learner might pick (105).
#[test]
fn a_question_offers_the_values_a_learner_could_take_for_the_answer() {
    use sandbox_core::lesson::{predict::prepare, Block, Value};
    let lesson = read(&lessons_dir().join("02-replication.md"));
    let mut timeline = sandbox_core::timeline::Timeline::new(lesson.cluster.clone());
    for c in &lesson.setup.commands {
        timeline.apply(c).unwrap();
    }
    for step in &lesson.steps {
        for block in &step.blocks {
            match block {
                Block::Do(c) => c.commands.iter().for_each(|c| {
                    timeline.apply(c).unwrap();
                }),
                Block::Predict(p) => {
                    let q = prepare(p, &timeline.state).unwrap();
                    assert_eq!(q.right(), &Value::Number(102));
                    assert!(q.choices.contains(&Value::Number(105)), "{q:?}");
                    assert!(q.choices.len() >= 3 && q.choices.len() <= 4, "{q:?}");
                    let mut sorted = q.choices.clone();
                    sorted.sort();
                    sorted.dedup();
                    assert_eq!(sorted, q.choices, "distinct and in order");
                    return;
                }
                _ => {}
            }
        }
    }
    panic!("the lesson asks a question");
}

/// `lessons/coverage.md`: every item the guide names maps to lessons that list it in
/// `teaches:` (and name it, for a config key), or says why it is pending; every item a lesson
/// teaches is listed.
#[test]
fn the_coverage_list_maps_every_guide_item_to_lessons_that_teach_it() {
    let text = std::fs::read_to_string(lessons_dir().join("coverage.md")).unwrap();
    let lessons: Vec<Lesson> = lesson_files().iter().map(|p| read(p)).collect();
    let mut items: Vec<String> = Vec::new();
    let mut taught = 0;
    for (n, line) in text.lines().enumerate() {
        let Some(row) = line.strip_prefix("| `") else {
            continue;
        };
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let [item, kind, _where, mapped, pending, ..] = cells.as_slice() else {
            panic!("coverage.md:{}: a row has five cells: {line}", n + 1);
        };
        let item = item.trim_end_matches('`').to_string();
        assert!(
            ["concept", "config", "scenario"].contains(kind),
            "coverage.md:{}: kind `{kind}`",
            n + 1
        );
        assert!(
            !items.contains(&item),
            "coverage.md:{}: `{item}` twice",
            n + 1
        );
        let mapped: Vec<&str> = mapped
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        match (mapped.is_empty(), pending.is_empty()) {
            (true, true) => panic!(
                "coverage.md:{}: `{item}` has no lesson and no reason",
                n + 1
            ),
            (false, false) => panic!("coverage.md:{}: `{item}` is both taught and pending", n + 1),
            _ => {}
        }
        for id in &mapped {
            let lesson = lessons
                .iter()
                .find(|l| l.id == *id)
                .unwrap_or_else(|| panic!("coverage.md:{}: no lesson `{id}`", n + 1));
            assert!(
                lesson.meta.teaches.contains(&item),
                "coverage.md:{}: {id} does not list `{item}` in teaches",
                n + 1
            );
            // A config a lesson teaches is named in it (its prose, commands or checks).
            if *kind == "config" {
                assert!(
                    lesson.plain_text().contains(item.as_str()),
                    "coverage.md:{}: {id} teaches `{item}` but never names it",
                    n + 1
                );
            }
        }
        taught += usize::from(!mapped.is_empty());
        items.push(item);
    }
    assert!(
        items.len() >= 100,
        "the guide names over a hundred items: {}",
        items.len()
    );
    for lesson in &lessons {
        for item in &lesson.meta.teaches {
            assert!(
                items.contains(item),
                "{}.md teaches `{item}`, which coverage.md does not list",
                lesson.id
            );
            let row = text
                .lines()
                .find(|l| l.starts_with(&format!("| `{item}`")))
                .unwrap();
            assert!(
                row.contains(&lesson.id),
                "{}.md teaches `{item}` but coverage.md does not map it there",
                lesson.id
            );
        }
    }
    println!(
        "coverage: {taught} of {} guide items taught by a lesson ({:.0}%)",
        items.len(),
        100.0 * taught as f64 / items.len() as f64
    );
}

/// Lesson files are untrusted input: whatever is cut out of or spliced into a real lesson, the
/// parser answers with a lesson or an error, never a panic. Every lesson, cut every 13th byte
/// (at a char boundary), with each splice inserted there and with the text truncated there.
#[test]
fn no_lesson_text_makes_the_parser_panic() {
    let splices = [
        "```predict\n",
        "---\n",
        "\r\n## ",
        "[x](sandbox:<b>\u{FEFF}é\\",
        "check: hw orders-0 = \n",
        "play: run 1s\n",
    ];
    let mut tried = 0;
    for path in lesson_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        for cut in (0..text.len())
            .step_by(13)
            .filter(|&i| text.is_char_boundary(i))
        {
            for splice in splices {
                let mangled = format!("{}{splice}{}", &text[..cut], &text[cut..]);
                let _ = parse_lesson("mangled.md", &mangled);
                let truncated = format!("{}{splice}", &text[..cut]);
                let _ = parse_lesson("mangled.md", &truncated);
                tried += 2;
            }
        }
    }
    assert!(tried > 10_000, "{tried}");
}

#[test]
fn a_lesson_written_with_windows_line_ends_reads_the_same() {
    let path = lessons_dir().join("02-replication.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let crlf = text.replace('\n', "\r\n");
    let lesson = parse_lesson("02-replication.md", &crlf).unwrap_or_else(|e| panic!("{e}"));
    let plain = read(&path);
    assert_eq!(lesson.meta, plain.meta);
    assert_eq!(lesson.intro.len(), plain.intro.len(), "{:?}", lesson.intro);
    assert_eq!(lesson.steps.len(), plain.steps.len());
    assert_eq!(lesson.setup.commands, plain.setup.commands);
    for (a, b) in lesson.steps.iter().zip(&plain.steps) {
        assert_eq!(
            (&a.title, a.line, a.blocks.len()),
            (&b.title, b.line, b.blocks.len())
        );
    }
}
