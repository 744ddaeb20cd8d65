//! What the page measures of itself, kept as plain numbers in `window.__sandbox` for the
//! benchmark (`cargo xtask bench`) and for anyone curious in the browser's console:
//!
//! - `timings`: one entry per user action (a key press, a click, a play tick), with how long it
//!   took from the reducer to the DOM patched (`ms`, before layout and paint; `reduce` of it
//!   in the reducer: the engine, the view, the narration and the metrics), the step it
//!   landed on and the wasm memory then (`mem`, bytes). The newest [`KEPT_TIMINGS`] are kept.
//! - `restoreMs`: how long replaying the run in the address took when the page opened.
//! - `memory`: the wasm memory after the last render, in bytes (it never shrinks), and `step`,
//!   the step drawn then.
//!
//! It also holds what the crash screen in `index.html` needs: `crash` (a panic's message) and
//! `outOfMemory` (set by the allocator in `main.rs` when an allocation fails).

use wasm_bindgen::{JsCast, JsValue};

/// How many action timings are kept (the oldest are dropped).
pub const KEPT_TIMINGS: u32 = 20_000;

/// Milliseconds since the page started, with sub-millisecond precision.
pub fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// The wasm linear memory, in bytes.
pub fn memory_bytes() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::memory_size(0) as f64 * 65_536.0
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0.0
    }
}

/// `window.__sandbox`, created on first use.
fn root() -> Option<js_sys::Object> {
    let window = web_sys::window()?;
    let key = JsValue::from_str("__sandbox");
    let existing = js_sys::Reflect::get(&window, &key).ok()?;
    if existing.is_object() {
        return Some(existing.into());
    }
    let created = js_sys::Object::new();
    js_sys::Reflect::set(&window, &key, &created).ok()?;
    Some(created)
}

/// Sets `window.__sandbox[name]`.
pub fn set(name: &str, value: &JsValue) {
    if let Some(root) = root() {
        let _ = js_sys::Reflect::set(&root, &JsValue::from_str(name), value);
    }
}

/// `window.__sandbox[name]` when it is a string.
pub fn get_string(name: &str) -> Option<String> {
    root()
        .and_then(|r| js_sys::Reflect::get(&r, &JsValue::from_str(name)).ok())
        .and_then(|v| v.as_string())
}

/// Calls the function `window.__sandbox[name]` with `args` and returns what it returned;
/// `None` when the page does not define it or it threw.
pub fn call(name: &str, args: &[&JsValue]) -> Option<JsValue> {
    let function = root()
        .and_then(|r| js_sys::Reflect::get(&r, &JsValue::from_str(name)).ok())
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())?;
    let list = js_sys::Array::new();
    for arg in args {
        list.push(arg);
    }
    function.apply(&JsValue::NULL, &list).ok()
}

/// Whether `window.__sandbox[name]` is `true`.
pub fn flag(name: &str) -> bool {
    root()
        .and_then(|r| js_sys::Reflect::get(&r, &JsValue::from_str(name)).ok())
        .is_some_and(|v| v.is_truthy())
}

/// The page has drawn the run it opened: a later crash is not one of opening this address
/// (see `index.html`, which remembers addresses being opened in the session's storage).
pub fn opened() {
    if let Some(storage) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) {
        let _ = storage.remove_item(OPENING_KEY);
    }
    // Milliseconds since navigation started: the first picture the user can act on.
    set("interactiveMs", &JsValue::from_f64(now()));
    set("opened", &JsValue::TRUE);
}

/// The session-storage key under which `index.html` keeps the address being opened.
pub const OPENING_KEY: &str = "kafka-sandbox:opening";

/// Records that `action` started at `started` (from [`now`]) and has just been drawn.
pub fn record_action(action: &str, started: f64, reduced_ms: f64, step: u64) {
    let Some(root) = root() else {
        return;
    };
    let key = JsValue::from_str("timings");
    let timings: js_sys::Array = match js_sys::Reflect::get(&root, &key) {
        Ok(list) if js_sys::Array::is_array(&list) => list.unchecked_into(),
        _ => {
            let list = js_sys::Array::new();
            let _ = js_sys::Reflect::set(&root, &key, &list);
            list
        }
    };
    let memory = memory_bytes();
    let entry = js_sys::Object::new();
    for (name, value) in [
        ("a", JsValue::from_str(action)),
        ("ms", JsValue::from_f64(now() - started)),
        ("reduce", JsValue::from_f64(reduced_ms)),
        ("step", JsValue::from_f64(step as f64)),
        ("mem", JsValue::from_f64(memory)),
    ] {
        let _ = js_sys::Reflect::set(&entry, &JsValue::from_str(name), &value);
    }
    timings.push(&entry);
    if timings.length() > KEPT_TIMINGS {
        timings.shift();
    }
    set("memory", &JsValue::from_f64(memory));
}

/// The page has drawn `step`: the crash screen offers to reopen the run there.
pub fn drawn(step: u64) {
    set("step", &JsValue::from_f64(step as f64));
    set("memory", &JsValue::from_f64(memory_bytes()));
}
