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

    /// A bar counting bytes, with rate (decimal units, as the summary).
    pub fn bytes_bar(&self, stage: &str, total: u64) -> ProgressBar {
        self.bar(
            stage,
            total,
            "{prefix:>9} [{bar:32}] {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec} eta {eta}",
        )
    }

    /// A bar counting items (documents).
    pub fn items_bar(&self, stage: &str, total: u64) -> ProgressBar {
        self.bar(stage, total, "{prefix:>9} [{bar:32}] {pos}/{len} {per_sec}")
    }

    fn bar(&self, stage: &str, total: u64, template: &str) -> ProgressBar {
        let Some(multi) = &self.multi else {
            return ProgressBar::hidden();
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = multi.add(ProgressBar::new(total).with_style(style));
        bar.set_prefix(stage.to_string());
        bar
    }
}
