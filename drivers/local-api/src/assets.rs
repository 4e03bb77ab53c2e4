//! Where the UI's files come from: embedded in the binary (the `banshi` app passes Tauri's embedded
//! assets, so `serve` and the window show the very same build) or a folder (development, tests).

use std::borrow::Cow;
use std::path::PathBuf;

/// A source of UI files by path (`index.html`, `assets/index-abc.js`).
pub trait UiAssets: Send + Sync + std::fmt::Debug {
    fn get(&self, path: &str) -> Option<Cow<'_, [u8]>>;
}

/// UI files from a folder such as `ui/dist`.
#[derive(Debug, Clone)]
pub struct DirAssets(pub PathBuf);

impl UiAssets for DirAssets {
    fn get(&self, path: &str) -> Option<Cow<'_, [u8]>> {
        // Only plain relative paths: no `..`, no absolute paths, no backslashes.
        if path
            .split('/')
            .any(|part| part == ".." || part.contains('\\'))
            || path.starts_with('/')
        {
            return None;
        }
        std::fs::read(self.0.join(path)).ok().map(Cow::Owned)
    }
}
