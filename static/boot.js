// The page's start: the crash screen, the compressed links, an embed's size, then the app.
//
// Kept in a file of its own (not inline in index.html) so the page can forbid inline scripts.

import init from "./app.js";

// What the page measures of itself and what the crash screen needs (see web/src/perf.rs).
const sandbox = (window.__sandbox = window.__sandbox || {});

// A run that stops the page while it is being opened must not be replayed at every reload.
// The address being opened is remembered for the tab; the page forgets it once it has
// drawn the run. Finding it still there means the last opening of this address crashed.
const OPENING = "kafka-sandbox:opening";
const holdsRun = (hash) => /^#(.*&)?z?run=/.test(hash);
try {
  if (holdsRun(location.hash)) {
    if (sessionStorage.getItem(OPENING) === location.hash) sandbox.skipReplay = true;
    sessionStorage.setItem(OPENING, location.hash);
  }
} catch (e) {
  // Storage can be disabled; the page works without the guard.
}

// Never a frozen page: a panic, an allocation failure or any other trap of the
// WebAssembly module replaces the page with what happened and the ways on. Text only.
function showCrash(error) {
  if (sandbox.crashed) return;
  sandbox.crashed = true;
  const app = document.getElementById("app");
  const panel = document.createElement("div");
  panel.className = "crash-panel";
  panel.setAttribute("role", "alert");
  const title = document.createElement("h2");
  const what = document.createElement("p");
  const mb = Math.round((sandbox.memory || 0) / 1048576);
  if (sandbox.outOfMemory) {
    title.textContent = "The sandbox ran out of memory";
    what.textContent = `The browser would not give the simulation more memory (it was using ${mb} MB).`;
  } else if (sandbox.crash) {
    title.textContent = "Something went wrong inside the sandbox";
    what.textContent = "The simulation hit a bug and stopped. The details are below and in the browser's console.";
  } else {
    title.textContent = "The sandbox stopped";
    what.textContent = "The simulation stopped with an error. The details are below and in the browser's console.";
  }
  const ways = document.createElement("p");
  const reopen = document.createElement("a");
  // The address is rewritten after every step the page draws, so it holds the last step
  // that worked. Opening it again replays the run up to there.
  reopen.href = location.pathname + location.hash;
  reopen.addEventListener("click", (e) => { e.preventDefault(); location.reload(); });
  if (!holdsRun(location.hash)) {
    reopen.textContent = "Reload the page";
  } else if (sandbox.opened) {
    reopen.textContent = `Reopen the run at step ${sandbox.step ?? 0}, the last step that worked`;
  } else {
    reopen.textContent = "Open a fresh cluster (the link is kept, to try again)";
  }
  const fresh = document.createElement("a");
  fresh.href = "./";
  fresh.textContent = "Start over with a fresh cluster";
  ways.append(reopen, fresh);
  const detail = document.createElement("pre");
  detail.textContent = sandbox.crash || String(error && (error.stack || error.message) || error);
  panel.append(title, what, ways, detail);
  app.replaceChildren(panel);
}
sandbox.showCrash = showCrash;
const isTrap = (e) => e instanceof WebAssembly.RuntimeError || sandbox.crash || sandbox.outOfMemory;
window.addEventListener("error", (event) => { if (isTrap(event.error)) showCrash(event.error); });
window.addEventListener("unhandledrejection", (event) => { if (isTrap(event.reason)) showCrash(event.reason); });


// Links that last (see core/src/link.rs): the run is deflated by the browser's own
// CompressionStream and written as URL-safe base64 after `zrun=1.`; the page reads it back
// here, before the app starts, into `__sandbox.linkScript` (or `linkError`).
const ZRUN = "zrun=1.";
// A link expands to at most this much text: a hostile link cannot fill the memory.
const MAX_SCRIPT_BYTES = 8 << 20;

function toBase64Url(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(b64 + "===".slice((b64.length + 3) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

async function deflate(text) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function inflate(bytes) {
  const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw")).getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > MAX_SCRIPT_BYTES) {
      reader.cancel();
      throw new Error(`it expands to more than ${MAX_SCRIPT_BYTES >> 20} MB`);
    }
    chunks.push(value);
  }
  return new TextDecoder("utf-8", { fatal: true }).decode(await new Blob(chunks).arrayBuffer());
}

async function readLink() {
  const at = location.hash.indexOf(ZRUN);
  if (at < 0 || !/[#&]$/.test(location.hash.slice(at - 1, at))) return;
  const data = location.hash.slice(at + ZRUN.length).split("&")[0];
  try {
    sandbox.linkScript = await inflate(fromBase64Url(data));
  } catch (error) {
    sandbox.linkError = "the link's run could not be expanded (it may have been cut short or changed): " + (error.message || error);
  }
}

// Called by the page (web/src/lib.rs) whenever the run changes: the address becomes the
// compressed run. Writes finish in order of calls; an older one never overwrites a newer.
let written = 0;
sandbox.deflateRun = async (script) => ZRUN + toBase64Url(await deflate(script));
sandbox.writeRun = async (script) => {
  const call = ++written;
  const run = await sandbox.deflateRun(script);
  if (call !== written) return;
  history.replaceState(null, "", `#${run}`);
};

// An embedded sandbox tells the page around it how tall it is, so the loader (embed.js) can
// size its frame to the content.
if (/^#(.*&)?embed(&|=|$)/.test(location.hash)) {
  document.documentElement.classList.add("embedded");
  if (window.parent !== window && "ResizeObserver" in window) {
    let last = 0;
    new ResizeObserver(() => {
      const height = Math.ceil(document.getElementById("app").getBoundingClientRect().height);
      if (height !== last) {
        last = height;
        window.parent.postMessage({ kafkaSandbox: "size", height }, "*");
      }
    }).observe(document.getElementById("app"));
  }
}

// Export (the Share / Embed dialog): the diagram as a standalone SVG, with the page's styles
// written into each element so it looks the same in slides, or as a PNG at twice its size;
// and any text (the trace, the script) as a file.
function download(name, blob) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

const STYLED = ["fill", "stroke", "stroke-width", "stroke-dasharray", "opacity", "font-family",
  "font-size", "font-weight", "font-style", "text-anchor", "dominant-baseline", "visibility", "display"];

function standaloneSvg() {
  const svg = document.querySelector(".cluster-diagram");
  if (!svg) return null;
  const copy = svg.cloneNode(true);
  const from = [svg, ...svg.querySelectorAll("*")];
  const to = [copy, ...copy.querySelectorAll("*")];
  from.forEach((el, i) => {
    const style = getComputedStyle(el);
    to[i].setAttribute("style", STYLED.map((p) => `${p}:${style.getPropertyValue(p)}`).join(";"));
  });
  const box = svg.viewBox.baseVal;
  const width = box && box.width ? box.width : svg.clientWidth;
  const height = box && box.height ? box.height : svg.clientHeight;
  copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  copy.setAttribute("width", width);
  copy.setAttribute("height", height);
  const background = document.createElementNS("http://www.w3.org/2000/svg", "rect");
  background.setAttribute("x", box ? box.x : 0);
  background.setAttribute("y", box ? box.y : 0);
  background.setAttribute("width", "100%");
  background.setAttribute("height", "100%");
  background.setAttribute("fill", getComputedStyle(document.body).backgroundColor);
  copy.insertBefore(background, copy.firstChild);
  return { text: new XMLSerializer().serializeToString(copy), width, height };
}

sandbox.exportDiagram = (kind, name) => {
  const svg = standaloneSvg();
  if (!svg) return false;
  const blob = new Blob([svg.text], { type: "image/svg+xml" });
  if (kind === "svg") {
    download(`${name}.svg`, blob);
    return true;
  }
  const image = new Image();
  const url = URL.createObjectURL(blob);
  image.onload = () => {
    const canvas = document.createElement("canvas");
    canvas.width = svg.width * 2;
    canvas.height = svg.height * 2;
    const context = canvas.getContext("2d");
    context.scale(2, 2);
    context.drawImage(image, 0, 0, svg.width, svg.height);
    URL.revokeObjectURL(url);
    canvas.toBlob((png) => png && download(`${name}.png`, png), "image/png");
  };
  image.src = url;
  return true;
};
sandbox.downloadText = (name, text) => download(name, new Blob([text], { type: "text/plain;charset=utf-8" }));

// Offline: the service worker (sw.js, written by `cargo xtask build` for a release build)
// keeps this build's files, so the page opens again without a network.
if ("serviceWorker" in navigator && location.protocol !== "file:") {
  addEventListener("load", () => navigator.serviceWorker.register("sw.js").catch(() => {}));
}

readLink().then(() => init()).catch((error) => {
  console.error(error);
  if (isTrap(error)) return showCrash(error);
  const app = document.getElementById("app");
  const message = document.createElement("p");
  message.className = "loading error";
  message.textContent = "Kafka Sandbox could not start in this browser: " + error;
  app.replaceChildren(message);
});
