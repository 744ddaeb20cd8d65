//! A small static file server for the built site.
//!
//! It exists so that neither serving the app nor the end-to-end tests need a tool installed
//! from outside the workspace. It serves GET and HEAD for files under one folder, with the
//! content types a browser insists on (`application/wasm` for streaming compilation), and
//! refuses any path that would leave that folder.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

/// A bound listener that serves files from `root`.
pub struct Server {
    listener: TcpListener,
    root: Arc<PathBuf>,
    /// While false, every connection is closed unanswered: the site as a browser sees it
    /// when the network is gone (the end-to-end tests' offline switch).
    online: Arc<AtomicBool>,
}

impl Server {
    /// Binds `addr` (use port 0 for any free port) to serve the files under `root`.
    pub fn bind(root: &Path, addr: &str) -> io::Result<Server> {
        let listener = TcpListener::bind(addr)?;
        Ok(Server {
            listener,
            root: Arc::new(root.to_path_buf()),
            online: Arc::new(AtomicBool::new(true)),
        })
    }

    /// The switch that takes the server off the network (false) and back (true).
    pub fn online_switch(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.online)
    }

    /// The address actually bound (the port is chosen by the OS when 0 was asked for).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves forever on the calling thread, one thread per connection.
    pub fn run(self) {
        for stream in self.listener.incoming() {
            let Ok(stream) = stream else { continue };
            if !self.online.load(Ordering::SeqCst) {
                drop(stream);
                continue;
            }
            let root = Arc::clone(&self.root);
            thread::spawn(move || {
                // A client that hangs up mid-request is not an error worth reporting.
                let _ = handle(stream, &root);
            });
        }
    }

    /// Serves on a background thread and returns the bound address.
    pub fn spawn(self) -> io::Result<SocketAddr> {
        let addr = self.local_addr()?;
        thread::spawn(move || self.run());
        Ok(addr)
    }
}

fn handle(stream: TcpStream, root: &Path) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Drain the headers; nothing in them changes what is served.
    let mut header = String::new();
    let mut header_bytes = 0usize;
    loop {
        header.clear();
        let n = reader.read_line(&mut header)?;
        header_bytes += n;
        if n == 0 || header == "\r\n" || header == "\n" || header_bytes > 64 * 1024 {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("/");
    let mut out = stream;
    if method != "GET" && method != "HEAD" {
        return respond(
            &mut out,
            "405 Method Not Allowed",
            "text/plain",
            NO_CACHE,
            b"",
            method == "HEAD",
        );
    }
    match resolve(root, target) {
        Some(path) => match std::fs::read(&path) {
            Ok(body) => respond(
                &mut out,
                "200 OK",
                content_type(&path),
                cache_control(&path),
                &body,
                method == "HEAD",
            ),
            Err(_) => respond(
                &mut out,
                "404 Not Found",
                "text/plain",
                NO_CACHE,
                b"not found\n",
                false,
            ),
        },
        None => respond(
            &mut out,
            "404 Not Found",
            "text/plain",
            NO_CACHE,
            b"not found\n",
            false,
        ),
    }
}

/// Maps a request target to a file under `root`, or `None` if it would escape `root`.
pub fn resolve(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let mut resolved = root.to_path_buf();
    for component in Path::new(path.trim_start_matches('/')).components() {
        match component {
            Component::Normal(part) => resolved.push(part),
            Component::CurDir => {}
            // `..`, a drive prefix or a second root would leave the served folder.
            _ => return None,
        }
    }
    if resolved.is_dir() {
        resolved.push("index.html");
    }
    Some(resolved)
}

const NO_CACHE: &str = "no-cache";

/// The app's code has its content's hash in its name (`app-HASH.js`, `app_bg-HASH.wasm`): a
/// browser may keep it forever, so the embeds of a docs page download it once between them.
/// Everything else is checked again on every load.
pub fn cache_control(path: &Path) -> &'static str {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let hashed = (name.starts_with("app-") && name.ends_with(".js"))
        || (name.starts_with("app_bg-") && name.ends_with(".wasm"));
    if hashed {
        "public, max-age=31536000, immutable"
    } else {
        NO_CACHE
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" => "application/json",
        "md" | "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn respond(
    out: &mut TcpStream,
    status: &str,
    content_type: &str,
    cache_control: &str,
    body: &[u8],
    head_only: bool,
) -> io::Result<()> {
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: {cache_control}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if !head_only {
        out.write_all(body)?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_hashed_app_code_is_cached_for_good() {
        let long = "public, max-age=31536000, immutable";
        assert_eq!(cache_control(Path::new("/s/app-0123abcd.js")), long);
        assert_eq!(cache_control(Path::new("/s/app_bg-0123abcd.wasm")), long);
        assert_eq!(cache_control(Path::new("/s/index.html")), "no-cache");
        assert_eq!(cache_control(Path::new("/s/boot.js")), "no-cache");
        assert_eq!(cache_control(Path::new("/s/sw.js")), "no-cache");
    }

    #[test]
    fn paths_that_leave_the_root_are_refused() {
        let root = Path::new("/srv/site");
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/a/../../b"), None);
        assert_eq!(
            resolve(root, "/app.js?x=1#y"),
            Some(PathBuf::from("/srv/site/app.js"))
        );
    }
}
