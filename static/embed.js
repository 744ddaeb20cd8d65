// Kafka Sandbox for documentation pages: turns each
//   <div data-kafka-sandbox="run=...&view=partition:orders-0&from=10&to=40"></div>
// into a live, embedded sandbox (the value is an embed address, see core/src/link.rs and the
// README's "Embedding"), lazily: nothing loads until the element nears the screen. Every embed
// is a frame of the same page, so the browser downloads the app once for all of them; each
// frame tells this script its height and is sized to its content.
//
//   <script src="https://YOUR-SITE/embed.js" defer></script>
(() => {
  const me = document.currentScript;
  const base = new URL(".", me && me.src ? me.src : location.href);
  const frames = [];

  function mount(el) {
    if (el.dataset.kafkaSandboxMounted) return;
    el.dataset.kafkaSandboxMounted = "1";
    let spec = (el.getAttribute("data-kafka-sandbox") || "").trim().replace(/^#/, "");
    if (!/(^|&)embed(&|=|$)/.test(spec)) spec = spec ? `embed&${spec}` : "embed";
    const frame = document.createElement("iframe");
    frame.src = new URL(`index.html#${spec}`, base).href;
    frame.title = el.getAttribute("data-title") || "Kafka Sandbox: a live, simulated Kafka cluster";
    frame.style.cssText = `display:block;width:100%;border:0;height:${parseInt(el.dataset.height, 10) || 360}px`;
    frame.setAttribute("allow", "clipboard-write");
    frames.push(frame);
    el.replaceChildren(frame);
  }

  window.addEventListener("message", (event) => {
    const data = event.data;
    if (!data || data.kafkaSandbox !== "size" || !(data.height > 0)) return;
    const frame = frames.find((f) => f.contentWindow === event.source);
    if (frame) frame.style.height = `${Math.min(Math.ceil(data.height), 4000)}px`;
  });

  function start() {
    const all = document.querySelectorAll("[data-kafka-sandbox]");
    if (!("IntersectionObserver" in window)) return all.forEach(mount);
    const watch = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (entry.isIntersecting) {
          watch.unobserve(entry.target);
          mount(entry.target);
        }
      }
    }, { rootMargin: "300px 0px" });
    all.forEach((el) => watch.observe(el));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
