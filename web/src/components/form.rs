//! Form bindings, written once: a callback that keeps an input's or a select's value in a
//! component's state, read through whatever the state holds (the text itself, `Some(text)`,
//! a number parsed from it).

use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The value of the `<input>` or `<select>` an event came from ("" for anything else).
pub fn value_of(event: &Event) -> String {
    let Some(target) = event.target() else {
        return String::new();
    };
    if let Some(input) = target.dyn_ref::<web_sys::HtmlInputElement>() {
        input.value()
    } else if let Some(select) = target.dyn_ref::<web_sys::HtmlSelectElement>() {
        select.value()
    } else {
        String::new()
    }
}

/// A callback for `oninput` or `onchange` that sets `state` to `read(value)`.
pub fn bind<T, E>(state: &UseStateHandle<T>, read: impl Fn(String) -> T + 'static) -> Callback<E>
where
    T: 'static,
    E: AsRef<Event> + 'static,
{
    let state = state.clone();
    Callback::from(move |e: E| state.set(read(value_of(e.as_ref()))))
}

/// A callback that keeps the text of an input or select in `state`.
pub fn bind_text<E: AsRef<Event> + 'static>(state: &UseStateHandle<String>) -> Callback<E> {
    bind(state, |v| v)
}

/// A callback that keeps the text in `state` as `Some(text)`: `None` until the user typed or
/// chose, so the component can offer a default meanwhile.
pub fn bind_chosen<E: AsRef<Event> + 'static>(
    state: &UseStateHandle<Option<String>>,
) -> Callback<E> {
    bind(state, Some)
}
