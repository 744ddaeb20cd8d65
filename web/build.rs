//! Compiles the curriculum into the app: every `lessons/*.md` (its README and coverage list
//! aside), in name order, read here with core's lesson parser and written in the compiled form
//! the page reads (`sandbox_core::lesson::ir`), so the download carries no Markdown parser. A
//! lesson that does not read is carried as its error, which the lesson map shows (and the
//! tests fail on).

use std::path::Path;

use sandbox_core::lesson::{ir, parse_lesson};

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../lessons");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "md"))
                .filter(|p| {
                    !matches!(
                        p.file_name().and_then(|n| n.to_str()),
                        Some("README.md" | "coverage.md")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut out = String::new();
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let text = std::fs::read_to_string(path).unwrap_or_default();
        match parse_lesson(name, &text) {
            Ok(lesson) => out.push_str(&ir::write(&lesson)),
            Err(e) => out.push_str(&ir::write_broken(&e.to_string())),
        }
    }
    let target = Path::new(&std::env::var("OUT_DIR").unwrap_or_default()).join("lessons.txt");
    std::fs::write(target, out).unwrap_or_else(|e| panic!("writing lessons.txt: {e}"));
}
