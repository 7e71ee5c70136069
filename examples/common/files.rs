//! The files under a folder an example reads, shared by `stage_times` and
//! `rule_times`.

/// Every file under the folder named by the first argument (the generator's
/// `.json` truths left out), sorted. `usage` is shown when it is missing.
pub fn under_first_arg(usage: &str) -> Vec<std::path::PathBuf> {
    let dir = std::env::args().nth(1).expect(usage);
    let mut paths = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(dir)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if !p.to_string_lossy().ends_with(".json") {
                paths.push(p);
            }
        }
    }
    paths.sort();
    paths
}
