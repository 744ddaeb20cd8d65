//! End-to-end flows in a real headless Chromium against the built site.
//! One binary, one module per area of the app.

mod accessibility;
mod diagram;
mod embeds;
mod groups;
mod lessons;
mod links;
mod long_runs;
mod panels;
mod transactions;
mod workshop;
