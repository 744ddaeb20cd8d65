//! Entry point of the page: installs the panic screen and mounts the app on `<main id="app">`.

use wasm_bindgen::JsValue;

fn main() {
    std::panic::set_hook(Box::new(show_panic));
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

/// Never a blank page: a bug shows what happened and two ways on. The run lives in the
/// address, so reloading keeps it; starting over drops it. Text only, never HTML.
fn show_panic(info: &std::panic::PanicHookInfo<'_>) {
    let details = info.to_string();
    web_sys::console::error_1(&JsValue::from_str(&format!(
        "Kafka Sandbox crashed: {details}"
    )));
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(app) = document.get_element_by_id("app") else {
        return;
    };
    let build = || -> Result<(), JsValue> {
        let panel = document.create_element("div")?;
        panel.set_class_name("crash-panel");
        panel.set_attribute("role", "alert")?;
        let title = document.create_element("h2")?;
        title.set_text_content(Some("Something went wrong inside the sandbox"));
        let text = document.create_element("p")?;
        text.set_text_content(Some(
            "Your run is kept in this page's address. Reload to get it back, or start over \
             with a fresh cluster. The browser console has the details.",
        ));
        let reload = document.create_element("a")?;
        reload.set_attribute("href", "")?;
        reload.set_attribute("onclick", "location.reload(); return false;")?;
        reload.set_text_content(Some("Reload with my run"));
        let fresh = document.create_element("a")?;
        fresh.set_attribute("href", "./")?;
        fresh.set_text_content(Some("Start over"));
        let detail = document.create_element("pre")?;
        detail.set_text_content(Some(&details));
        for child in [&title, &text, &reload, &fresh, &detail] {
            panel.append_child(child)?;
        }
        app.replace_children_with_node_1(&panel);
        Ok(())
    };
    let _ = build();
}
