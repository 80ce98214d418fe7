//! How `build` shows its steps on stderr: a line per step with RUN's output
//! under it (`plain`, and `auto` off a terminal), or on a terminal a redrawn
//! view (`tty`, and `auto` on one) where each running step shows its time and
//! the last lines of its output, and a finished step folds to one line above
//! them (`=> CACHED [2/4] WORKDIR /app`, as BuildKit's view has it).

use std::collections::{HashMap, VecDeque};
use std::io::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use container_build::BuildEvent;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::ProgressMode;

/// How many lines of a running step's output the terminal view shows.
const TAIL_LINES: usize = 6;

/// Draws build events.
pub struct BuildPrinter {
    mode: Mode,
}

enum Mode {
    Lines(Mutex<()>),
    View(Mutex<View>),
    Quiet,
}

/// The terminal view: a bar per step, by label.
struct View {
    multi: MultiProgress,
    steps: HashMap<String, Step>,
}

struct Step {
    bar: ProgressBar,
    text: String,
    tail: VecDeque<String>,
    partial: String,
    /// Inside an escape sequence (`ESC [ ... letter`) of the output.
    in_escape: bool,
}

impl BuildPrinter {
    /// A printer for `mode`; `auto` redraws only when stderr is a terminal.
    pub fn new(mode: ProgressMode) -> BuildPrinter {
        let mode = match mode {
            ProgressMode::Quiet => Mode::Quiet,
            mode if mode.redraws() => Mode::View(Mutex::new(View {
                multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10)),
                steps: HashMap::new(),
            })),
            _ => Mode::Lines(Mutex::new(())),
        };
        BuildPrinter { mode }
    }

    /// A line of its own (the summary), unless quiet.
    pub fn line(&self, text: &str) {
        match &self.mode {
            Mode::Lines(lock) => {
                let _guard = lock.lock().expect("no panics while printing");
                let _ = writeln!(std::io::stderr(), "{text}");
            }
            Mode::View(view) => {
                let view = view.lock().expect("no panics while printing");
                let _ = view.multi.println(text);
            }
            Mode::Quiet => {}
        }
    }

    /// Stops redrawing, leaving the steps as they stand (before an error).
    pub fn finish(&self) {
        if let Mode::View(view) = &self.mode {
            let view = view.lock().expect("no panics while printing");
            for step in view.steps.values() {
                step.bar.abandon();
            }
        }
    }

    /// Shows one event.
    pub fn show(&self, event: BuildEvent) {
        match &self.mode {
            Mode::Lines(lock) => show_line(lock, event),
            Mode::View(view) => view.lock().expect("no panics while printing").show(event),
            Mode::Quiet => {
                // Warnings are shown even with -q.
                if let BuildEvent::Warning(message) = event {
                    let _ = writeln!(std::io::stderr(), "warning: {message}");
                }
            }
        }
    }
}

fn show_line(lock: &Mutex<()>, event: BuildEvent) {
    let _guard = lock.lock().expect("no panics while printing");
    let mut stderr = std::io::stderr();
    let _ = match event {
        BuildEvent::Step { label, text } => writeln!(stderr, "[{label}] {text}"),
        BuildEvent::Done {
            label,
            is_cached: true,
            ..
        } => writeln!(stderr, "[{label}] CACHED"),
        BuildEvent::Done { label, elapsed, .. } => {
            writeln!(stderr, "[{label}] DONE {}", seconds(elapsed))
        }
        BuildEvent::Output { data, .. } => stderr.write_all(&data),
        BuildEvent::Warning(message) => writeln!(stderr, "warning: {message}"),
    };
}

impl View {
    fn show(&mut self, event: BuildEvent) {
        match event {
            BuildEvent::Step { label, text } => {
                let bar = self.multi.add(ProgressBar::new_spinner());
                bar.set_style(running_style(false));
                bar.enable_steady_tick(Duration::from_millis(100));
                let text = format!("[{label}] {text}");
                bar.set_prefix(fitted(&text, 12));
                let step = Step {
                    bar,
                    text,
                    tail: VecDeque::new(),
                    partial: String::new(),
                    in_escape: false,
                };
                self.steps.insert(label, step);
            }
            BuildEvent::Done {
                label,
                is_cached,
                elapsed,
            } => {
                let Some(step) = self.steps.remove(&label) else {
                    return;
                };
                // A finished step leaves the redrawn part for a line above it,
                // its output folded away.
                step.bar.finish_and_clear();
                let done = match is_cached {
                    true => format!("=> CACHED {}", step.text),
                    false => format!("=> {}  {}", step.text, seconds(elapsed)),
                };
                let _ = self.multi.println(done);
            }
            BuildEvent::Output { label, data } => {
                let Some(step) = self.steps.get_mut(&label) else {
                    return;
                };
                let had_output = !step.tail.is_empty() || !step.partial.is_empty();
                step.add_output(&data);
                let lines: Vec<String> = (step.tail.iter().chain(Some(&step.partial)))
                    .filter(|line| !line.is_empty())
                    .map(|line| format!("    {}", fitted(line, 4)))
                    .collect();
                if !had_output && !lines.is_empty() {
                    step.bar.set_style(running_style(true));
                }
                step.bar.set_message(lines.join("\n"));
            }
            BuildEvent::Warning(message) => {
                let _ = self.multi.println(format!("warning: {message}"));
            }
        }
    }
}

impl Step {
    /// Keeps the last lines of output, control characters and escape
    /// sequences dropped so that a program's own drawing cannot garble the view.
    fn add_output(&mut self, data: &[u8]) {
        for c in String::from_utf8_lossy(data).chars() {
            if self.in_escape {
                // CSI sequences end with a letter; `ESC [` itself goes on.
                self.in_escape = !(c.is_ascii_alphabetic() || c == '~');
                continue;
            }
            match c {
                '\x1b' => self.in_escape = true,
                '\n' => {
                    let line = std::mem::take(&mut self.partial);
                    self.tail.push_back(line);
                    if self.tail.len() > TAIL_LINES {
                        self.tail.pop_front();
                    }
                }
                '\r' => self.partial.clear(),
                '\t' => self.partial.push_str("    "),
                c if c.is_control() => {}
                c => self.partial.push(c),
            }
        }
    }
}

fn seconds(elapsed: Duration) -> String {
    format!("{:.1}s", elapsed.as_secs_f64())
}

/// A running step: its line with the time, and the lines of its output
/// under it once it has some.
fn running_style(has_output: bool) -> ProgressStyle {
    let template = match has_output {
        true => "{spinner} {prefix} {elapsed}\n{msg}",
        false => "{spinner} {prefix} {elapsed}",
    };
    ProgressStyle::with_template(template).expect("the template is valid")
}

/// `text` cut to fit a line of the terminal with `room` columns to spare.
fn fitted(text: &str, room: usize) -> String {
    let columns = rustix::termios::tcgetwinsize(std::io::stderr())
        .map(|size| usize::from(size.ws_col))
        .ok()
        .filter(|columns| *columns > 0)
        .unwrap_or(80);
    let width = columns.saturating_sub(room).max(20);
    match text.chars().count() > width {
        true => text.chars().take(width - 3).collect::<String>() + "...",
        false => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_keeps_the_last_lines_of_its_output_without_control_characters() {
        let mut step = Step {
            bar: ProgressBar::hidden(),
            text: String::new(),
            tail: VecDeque::new(),
            partial: String::new(),
            in_escape: false,
        };
        for n in 0..10 {
            step.add_output(format!("line {n}\n").as_bytes());
        }
        step.add_output(b"50%\r100%\x1b[K\tdone");
        assert_eq!(step.tail.len(), TAIL_LINES);
        assert_eq!(step.tail.front().map(String::as_str), Some("line 4"));
        assert_eq!(step.partial, "100%    done");
    }
}
