//! Drawing pull progress on stderr: a bar per layer on a terminal, a line per step
//! otherwise (as Docker prints when piped), nothing when quiet.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex};

use container_store::{LayerStatus, PullEvent, short_id};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::ProgressMode;

/// What the store calls with each event of a pull or a push.
pub type Callback<E> = Arc<dyn Fn(E) + Send + Sync>;

/// What the store calls with each pull event.
pub type PullCallback = Callback<PullEvent>;

/// `renderer` behind a lock, and a callback for the store that hands each
/// event to `handle` (pull and push progress alike).
pub fn shared_callback<R: Send + 'static, E: 'static>(
    renderer: R,
    handle: fn(&mut R, E),
) -> (Arc<Mutex<R>>, Callback<E>) {
    let shared = Arc::new(Mutex::new(renderer));
    let for_events = shared.clone();
    let callback = move |event| {
        if let Ok(mut renderer) = for_events.lock() {
            handle(&mut renderer, event);
        }
    };
    (shared, Arc::new(callback))
}

/// Renders pull events.
pub struct PullProgress {
    mode: Mode,
    bars: HashMap<String, ProgressBar>,
    last: HashMap<String, &'static str>,
}

enum Mode {
    Bars(MultiProgress),
    Lines,
    Quiet,
}

impl PullProgress {
    /// A renderer for `mode`; `auto` draws bars only when stderr is a terminal.
    pub fn new(mode: ProgressMode) -> PullProgress {
        let mode = match mode {
            ProgressMode::Quiet => Mode::Quiet,
            mode if mode.redraws() => Mode::Bars(MultiProgress::with_draw_target(
                ProgressDrawTarget::stderr_with_hz(10),
            )),
            _ => Mode::Lines,
        };
        PullProgress {
            mode,
            bars: HashMap::new(),
            last: HashMap::new(),
        }
    }

    /// A callback for the store, sharing this renderer.
    pub fn callback(self) -> (Arc<Mutex<PullProgress>>, PullCallback) {
        shared_callback(self, PullProgress::handle)
    }

    /// A line of its own (headers, the summary), unless quiet.
    pub fn line(&self, text: &str) {
        match &self.mode {
            Mode::Bars(multi) => {
                let _ = multi.println(text);
            }
            Mode::Lines => {
                let _ = writeln!(std::io::stderr(), "{text}");
            }
            Mode::Quiet => {}
        }
    }

    /// Stops drawing bars, leaving them as they are.
    pub fn finish(&mut self) {
        for bar in self.bars.values() {
            bar.abandon();
        }
    }

    fn handle(&mut self, event: PullEvent) {
        match event {
            PullEvent::Resolving { host } => tracing::debug!(%host, "resolving"),
            PullEvent::Resolved { layers, .. } => {
                for (digest, size) in layers {
                    self.layer_line(&digest, "Pulling fs layer", Some(size));
                }
            }
            PullEvent::Layer { digest, status } => self.layer(&digest, status),
        }
    }

    fn layer(&mut self, digest: &str, status: LayerStatus) {
        match status {
            LayerStatus::Exists => self.layer_line(digest, "Already exists", None),
            LayerStatus::Downloading { done, total } => {
                if let Some(bar) = self.bars.get(digest) {
                    bar.set_length(total.max(done));
                    bar.set_position(done);
                    bar.set_message("Downloading");
                }
                self.layer_line(digest, "Downloading", None);
            }
            LayerStatus::Extracting => self.layer_line(digest, "Download complete", None),
            LayerStatus::Complete => self.layer_line(digest, "Pull complete", None),
        }
    }

    /// Shows a layer's new state once: a line, or the bar's message.
    fn layer_line(&mut self, digest: &str, text: &'static str, size: Option<u64>) {
        if self.last.get(digest) == Some(&text) {
            return;
        }
        self.last.insert(digest.to_owned(), text);
        let id = short_id(digest).to_owned();
        match &self.mode {
            Mode::Lines => {
                let _ = writeln!(std::io::stderr(), "{id}: {text}");
            }
            Mode::Bars(multi) => {
                let bar = self.bars.entry(digest.to_owned()).or_insert_with(|| {
                    let bar = multi.add(ProgressBar::new(size.unwrap_or(0)));
                    bar.set_style(bar_style());
                    bar.set_prefix(id);
                    bar
                });
                bar.set_message(text);
                if matches!(text, "Pull complete" | "Already exists") {
                    bar.finish_with_message(text);
                }
            }
            Mode::Quiet => {}
        }
    }
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{prefix}: {msg:<17} {bar:30} {bytes:>10}/{total_bytes:<10} {binary_bytes_per_sec}",
    )
    .expect("the template is valid")
    .progress_chars("=> ")
}
