//! The commands, each over the same pipeline: `clean` writes documents,
//! `check` reports findings, `explain` shows one document, `normalize` runs
//! one text through decode and normalize, `annotate` labels every copy.

pub mod annotate;
pub mod check;
pub mod clean;
pub mod explain;
pub mod normalize;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::source::{self, Input, Location, SourceError};
use crate::Options;

/// The inputs named by `paths` (folders walked, `exclude` never entered),
/// less the walked files `--include`/`--exclude` rule out (files named on
/// the command line are always read).
pub fn inputs(
    paths: &[PathBuf],
    exclude: Option<&Path>,
    opts: &Options,
) -> (Vec<Input>, Vec<SourceError>) {
    let (inputs, errors) = source::discover(paths, exclude, &opts.source);
    let named: HashSet<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let filter = &opts.source.filter;
    let inputs = inputs
        .into_iter()
        .filter(|i| match &i.location {
            Location::File(p) | Location::Link(p) => {
                named.contains(p.as_path()) || filter.allows(&i.display)
            }
            Location::Stdin | Location::Memory(_) => true,
        })
        .collect();
    (inputs, errors)
}
