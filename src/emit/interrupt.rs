//! What an interrupted run must remove: the staging folders and temporary
//! files it is writing. The binary's Ctrl-C / SIGTERM handler calls
//! [`interrupt`]; everything else registers paths while they are in the
//! making and unregisters them once they are published.
//!
//! Invariants: a path is removed by [`interrupt`] only while registered; a
//! publish that moves a staged path into place holds the registry
//! ([`publish`]), so an interrupt either happens before it (the
//! staging goes, the previous output stays) or after it (the new output
//! stays whole).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

static REGISTERED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Whether the run was interrupted (writers stop starting new files).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Removes `path` if the run is interrupted, until [`forget`] is called.
pub fn register(path: &Path) {
    if let Ok(mut all) = REGISTERED.lock() {
        all.push(path.to_path_buf());
    }
}

/// `path` is no longer the run's to remove on interrupt.
pub fn forget(path: &Path) {
    if let Ok(mut all) = REGISTERED.lock() {
        all.retain(|p| p != path);
    }
}

/// Runs `f`, a step that moves a registered path into place, with the
/// registry held: no interrupt removes anything meanwhile. (What is left at
/// the registered path afterwards — a swapped-out previous run — is still
/// the run's to remove until [`forget`].)
pub fn publish<T>(f: impl FnOnce() -> T) -> T {
    let guard = REGISTERED.lock();
    let out = f();
    drop(guard);
    out
}

/// Removes every registered path (staging folders, temporary files) and
/// keeps the registry held, so nothing is published after it: called once,
/// right before the process exits on Ctrl-C or SIGTERM.
pub fn interrupt() {
    INTERRUPTED.store(true, Ordering::SeqCst);
    let mut all = match REGISTERED.lock() {
        Ok(all) => all,
        Err(poisoned) => poisoned.into_inner(),
    };
    for path in all.drain(..) {
        // Writers already under way may add a file while the folder goes:
        // try again until it is gone (they start no new file).
        for _ in 0..50 {
            let removed = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            if removed.is_ok() || !path.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    // Held until the process exits: a publish in another thread waits.
    std::mem::forget(all);
}
