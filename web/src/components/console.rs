//! The console: type the same commands the CLI runs. Up and down walk the history, Tab
//! completes command names and flags, and an error points at the column where it went wrong.

use std::rc::Rc;

use yew::prelude::*;

use crate::components::form::value_of;

use crate::state::{Action, ConsoleLine};

#[derive(Properties, PartialEq)]
pub struct ConsoleProps {
    pub lines: Rc<Vec<ConsoleLine>>,
    /// The number of the first of `lines` (lines dropped before it), for keys that stay put.
    #[prop_or_default]
    pub first_line: usize,
    pub history: Rc<Vec<String>>,
    pub dispatch: Callback<Action>,
}

/// The input with `word` in place of its last (partial) word.
fn complete(input: &str, word: &str) -> String {
    let keep = input.rfind(char::is_whitespace).map_or(0, |i| i + 1);
    format!("{}{word} ", &input[..keep])
}

#[component]
pub fn Console(props: &ConsoleProps) -> Html {
    let input = use_state(String::new);
    // Position in the history while walking it with the arrow keys (None = a new line).
    let cursor = use_state(|| None::<usize>);
    let suggestions = sandbox_core::parse::completions(&input);

    let on_input = {
        let input = input.clone();
        let cursor = cursor.clone();
        Callback::from(move |e: InputEvent| {
            input.set(value_of(&e));
            cursor.set(None);
        })
    };
    let on_keydown = {
        let input = input.clone();
        let cursor = cursor.clone();
        let history = props.history.clone();
        let dispatch = props.dispatch.clone();
        let first_suggestion = suggestions.first().cloned();
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "Enter" => {
                e.prevent_default();
                dispatch.emit(Action::Console((*input).clone()));
                input.set(String::new());
                cursor.set(None);
            }
            "ArrowUp" if !history.is_empty() => {
                e.prevent_default();
                let at = cursor.map_or(history.len() - 1, |c| c.saturating_sub(1));
                input.set(history[at].clone());
                cursor.set(Some(at));
            }
            "ArrowDown" => {
                e.prevent_default();
                match *cursor {
                    Some(c) if c + 1 < history.len() => {
                        input.set(history[c + 1].clone());
                        cursor.set(Some(c + 1));
                    }
                    _ => {
                        input.set(String::new());
                        cursor.set(None);
                    }
                }
            }
            "Tab" => {
                if let Some(word) = &first_suggestion {
                    e.prevent_default();
                    input.set(complete(&input, word));
                }
            }
            _ => {}
        })
    };
    let shown = props.lines.len().saturating_sub(60);
    // Keyed by line number: a new line is one element added, not sixty rewritten.
    let lines = props.lines[shown..].iter().enumerate().map(|(i, line)| {
        let key = props.first_line + shown + i;
        match line {
            ConsoleLine::Input(text) => {
                html! { <li {key} class="in"><span class="prompt">{ "› " }</span>{ text }</li> }
            }
            ConsoleLine::Output(text) => html! { <li {key} class="out"><pre>{ text }</pre></li> },
            ConsoleLine::Note(text) => html! { <li {key} class="note">{ text }</li> },
            ConsoleLine::Error {
                message,
                column,
                input,
            } => {
                let caret = column.map(|c| format!("{}^", " ".repeat(c.saturating_sub(1) + 2)));
                html! {
                    <li {key} class="error">
                        if let Some(caret) = caret {
                            <pre class="caret">{ format!("  {input}\n{caret}") }</pre>
                        }
                        <span>{ format!("error: {message}") }</span>
                    </li>
                }
            }
        }
    });
    let completion_items = suggestions.iter().take(8).map(|word| {
        let fill = {
            let input = input.clone();
            let word = word.clone();
            Callback::from(move |_: MouseEvent| input.set(complete(&input, &word)))
        };
        html! { <button class="completion" onclick={fill}>{ word }</button> }
    });
    html! {
        <section class="panel console" aria-labelledby="console-heading">
            <h2 id="console-heading">{ "Console" }</h2>
            <ol class="console-lines" aria-live="polite" aria-label="Console output" tabindex="0">{ for lines }</ol>
            <div class="console-input">
                <span class="prompt" aria-hidden="true">{ "›" }</span>
                <input type="text" value={(*input).clone()} oninput={on_input} onkeydown={on_keydown}
                       aria-label="Command" spellcheck="false" autocomplete="off"
                       placeholder="kafka-topics.sh --describe   ·   produce orders-0 --count 5   ·   crash 1   ·   run 5s" />
            </div>
            if !suggestions.is_empty() && !input.is_empty() {
                <div class="completions" aria-label="Completions">{ for completion_items }</div>
            }
        </section>
    }
}
