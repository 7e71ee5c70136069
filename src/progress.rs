//! Progress bars on stderr (indicatif), drawn only when stderr is a terminal
//! and progress was asked for; otherwise every bar is hidden and costs
//! nothing. Not a pipeline stage: the stages report into it.

use std::io::IsTerminal;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A set of progress bars, or nothing.
#[derive(Debug, Clone)]
pub struct Progress {
    multi: Option<MultiProgress>,
}

impl Progress {
    /// Bars are drawn when `enabled` and stderr is a terminal.
    pub fn new(enabled: bool) -> Self {
        let multi = (enabled && std::io::stderr().is_terminal())
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Progress { multi }
    }

    /// A hidden progress set.
    pub fn hidden() -> Self {
        Progress { multi: None }
    }

    /// A bar counting bytes, with rate (binary units, as the summary).
    pub fn bytes_bar(&self, stage: &str, total: u64) -> ProgressBar {
        self.bar(
            stage,
            total,
            "{prefix:>9} [{bar:32}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
        )
    }

    /// A bar counting items (documents).
    pub fn items_bar(&self, stage: &str, total: u64) -> ProgressBar {
        self.bar(stage, total, "{prefix:>9} [{bar:32}] {pos}/{len} {rate}")
    }

    fn bar(&self, stage: &str, total: u64, template: &str) -> ProgressBar {
        let Some(multi) = &self.multi else {
            return ProgressBar::hidden();
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key(
                "rate",
                |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0}/s", state.per_sec());
                },
            )
            .progress_chars("=> ");
        let bar = multi.add(ProgressBar::new(total).with_style(style));
        bar.set_prefix(stage.to_string());
        bar
    }
}
