//! Drawing push progress on stderr as Docker does: a bar per layer on a terminal, a
//! line per step otherwise, nothing when quiet.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex};

use container_store::{PushEvent, PushStatus, short_id};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::ProgressMode;

/// The store's callback for push events.
type Events = crate::progress::Callback<PushEvent>;

/// Renders push events.
pub struct PushProgress {
    multi: Option<MultiProgress>,
    is_quiet: bool,
    bars: HashMap<String, ProgressBar>,
    last: HashMap<String, String>,
}

impl PushProgress {
    /// A renderer for `mode`; `auto` draws bars only when stderr is a terminal.
    pub fn new(mode: ProgressMode) -> PushProgress {
        let multi = (mode.redraws())
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10)));
        PushProgress {
            multi,
            is_quiet: mode == ProgressMode::Quiet,
            bars: HashMap::new(),
            last: HashMap::new(),
        }
    }

    /// A callback for the store, sharing this renderer.
    pub fn callback(self) -> (Arc<Mutex<Self>>, Events) {
        crate::progress::shared_callback(self, PushProgress::handle)
    }

    /// A line of its own, unless quiet.
    pub fn line(&self, text: &str) {
        match (&self.multi, self.is_quiet) {
            (_, true) => {}
            (Some(multi), _) => {
                let _ = multi.println(text);
            }
            (None, _) => {
                let _ = writeln!(std::io::stderr(), "{text}");
            }
        }
    }

    /// Stops drawing bars, leaving them as they are.
    pub fn finish(&mut self) {
        for bar in self.bars.values() {
            bar.abandon();
        }
    }

    fn handle(&mut self, event: PushEvent) {
        match event {
            PushEvent::Preparing { layers } => {
                for (digest, size) in layers.iter().rev() {
                    self.show(digest, "Preparing".into(), Some(*size));
                }
            }
            PushEvent::Layer { digest, status } => {
                let text = match status {
                    PushStatus::Exists => "Layer already exists".to_owned(),
                    PushStatus::Mounted(from) => format!("Mounted from {from}"),
                    PushStatus::Pushing { done, total } => {
                        if let Some(bar) = self.bars.get(&digest) {
                            bar.set_length(total.max(done));
                            bar.set_position(done);
                        }
                        "Pushing".to_owned()
                    }
                    PushStatus::Pushed => "Pushed".to_owned(),
                };
                self.show(&digest, text, None);
            }
        }
    }

    /// Shows a layer's new state once: a line, or the bar's message.
    fn show(&mut self, digest: &str, text: String, size: Option<u64>) {
        if self.is_quiet || self.last.get(digest) == Some(&text) {
            return;
        }
        self.last.insert(digest.to_owned(), text.clone());
        let id = short_id(digest).to_owned();
        let Some(multi) = &self.multi else {
            let _ = writeln!(std::io::stderr(), "{id}: {text}");
            return;
        };
        let bar = self.bars.entry(digest.to_owned()).or_insert_with(|| {
            let bar = multi.add(ProgressBar::new(size.unwrap_or(0)));
            bar.set_style(bar_style());
            bar.set_prefix(id);
            bar
        });
        let is_final = text != "Preparing" && text != "Pushing";
        match is_final {
            true => bar.finish_with_message(text),
            false => bar.set_message(text),
        }
    }
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{prefix}: {msg:<20} {bar:30} {bytes:>10}/{total_bytes:<10} {binary_bytes_per_sec}",
    )
    .expect("the template is valid")
    .progress_chars("=> ")
}
