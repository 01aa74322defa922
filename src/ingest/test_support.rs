//! Helpers shared by the parsers' unit tests.

use std::path::{Path, PathBuf};

/// The workspace's `shared/` folder (public corpus, seed data): beside the repository in CI, else
/// the workstation copy. `None` when neither exists; tests that need it then skip, saying so.
pub fn shared_dir() -> Option<PathBuf> {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    [beside, PathBuf::from("/work/shared")]
        .into_iter()
        .find(|p| p.is_dir())
}
