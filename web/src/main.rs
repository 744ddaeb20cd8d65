//! Entry point of the page: installs the crash reporting and mounts the app on `<main id="app">`.

use wasm_bindgen::JsValue;

fn main() {
    std::panic::set_hook(Box::new(report_panic));
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"));
    match root {
        Some(root) => {
            yew::Renderer::<sandbox_web::App>::with_root(root).render();
        }
        // index.html always has the element; without it there is nowhere to show anything.
        None => web_sys::console::error_1(&"Kafka Sandbox: no #app element in the page".into()),
    }
}

/// A bug: its message goes to the console and to `__sandbox.crash`, and `index.html` replaces
/// the page with it and the ways on (the panic then aborts, which traps into the page's error
/// handler too; whichever comes first draws the screen, once).
fn report_panic(info: &std::panic::PanicHookInfo<'_>) {
    let details = info.to_string();
    web_sys::console::error_1(&JsValue::from_str(&format!(
        "Kafka Sandbox crashed: {details}"
    )));
    sandbox_web::perf::set("crash", &JsValue::from_str(&details));
    let show = web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &JsValue::from_str("__sandbox")).ok())
        .and_then(|s| js_sys::Reflect::get(&s, &JsValue::from_str("showCrash")).ok())
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    if let Some(show) = show {
        let _ = show.call1(&JsValue::NULL, &JsValue::from_str(&details));
    }
}

use wasm_bindgen::JsCast;

/// The allocator, watched: when the browser will not grow the WebAssembly memory any further,
/// the allocation fails and Rust aborts without a panic message. Noting it first lets the crash
/// screen say what happened (`__sandbox.outOfMemory`) instead of "unreachable".
struct Watched;

#[global_allocator]
static ALLOCATOR: Watched = Watched;

unsafe impl std::alloc::GlobalAlloc for Watched {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        let ptr = unsafe { std::alloc::System.alloc(layout) };
        if ptr.is_null() {
            out_of_memory();
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        let ptr = unsafe { std::alloc::System.alloc_zeroed(layout) };
        if ptr.is_null() {
            out_of_memory();
        }
        ptr
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { std::alloc::System.realloc(ptr, layout, new_size) };
        if new.is_null() {
            out_of_memory();
        }
        new
    }
}

/// Marks the page as out of memory, allocating nothing in WebAssembly memory to do it.
fn out_of_memory() {
    sandbox_web::perf::set("outOfMemory", &JsValue::TRUE);
    sandbox_web::perf::set(
        "memory",
        &JsValue::from_f64(sandbox_web::perf::memory_bytes()),
    );
}
