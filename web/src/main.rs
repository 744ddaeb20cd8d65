//! Entry point of the page: mounts the app on `<main id="app">`.

fn main() {
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
