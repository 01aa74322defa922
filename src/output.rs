//! Writing a generated site to disk without ever leaving half a site or clobbering a user's file.
//!
//! The whole site is first written to a staging folder next to the target. Then:
//! - a target that does not exist (or is an empty folder) is replaced by the staging folder in one
//!   rename;
//! - a target that benchreport built before (it holds the manifest [`MANIFEST`], listing the files
//!   benchreport wrote) gets each new file moved in, one atomic rename per file, and the files
//!   benchreport wrote last time but not this time removed; every other file is the user's and
//!   stays;
//! - any other existing folder is refused, unless `force`: then benchreport's files are moved in
//!   (replacing files of the same names) and everything else in the folder is kept.
//!
//! A build that fails before this point (bad input, a rendering error) leaves the target untouched.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// The file that marks a folder as built by benchreport and lists what it wrote.
pub const MANIFEST: &str = ".benchreport-manifest";

/// A generated site in memory: relative path (with `/`) -> content.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Site {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Site {
    pub fn add(&mut self, path: impl Into<String>, content: impl Into<Vec<u8>>) {
        self.files.insert(path.into(), content.into());
    }

    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    fn manifest(&self) -> String {
        let mut m =
            String::from("# Files written by benchreport; others in this folder are yours.\n");
        for path in self.files.keys() {
            m.push_str(path);
            m.push('\n');
        }
        m
    }
}

fn output_error(context: String) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Output { context, source }
}

/// What every page benchreport writes carries, so a file can be recognised as benchreport's.
pub const GENERATOR_MARK: &[u8] = b"<meta name=\"generator\" content=\"benchreport";

/// Writes one HTML file atomically (a temporary file next to it, then a rename). An existing file
/// is replaced only when benchreport wrote it (it carries [`GENERATOR_MARK`]) or with `force`.
pub fn write_single_file(content: &[u8], target: &Path, force: bool) -> Result<(), Error> {
    if target.is_dir() {
        return Err(Error::Usage(format!(
            "{} is a folder; --single-file writes one HTML file: give a file name with -o",
            target.display()
        )));
    }
    if target.exists() && !force {
        let existing =
            fs::read(target).map_err(output_error(format!("reading {}", target.display())))?;
        let ours = existing
            .windows(GENERATOR_MARK.len())
            .any(|w| w == GENERATOR_MARK);
        if !ours {
            return Err(Error::Usage(format!(
                "{} already exists and was not written by benchreport; choose another -o or pass --force",
                target.display()
            )));
        }
    }
    let staging = staging_dir(target)?;
    fs::write(&staging, content).map_err(output_error(format!("writing {}", staging.display())))?;
    fs::rename(&staging, target).map_err(|e| {
        let _ = fs::remove_file(&staging);
        Error::Output {
            context: format!("moving the report into {}", target.display()),
            source: e,
        }
    })
}

/// Writes `site` to `target` (see the module documentation for the rules).
pub fn write_site(site: &Site, target: &Path, force: bool) -> Result<(), Error> {
    for path in site.files.keys() {
        check_relative(path)?;
    }
    let previous = previous_manifest(target, force)?;
    let staging = staging_dir(target)?;
    let result = stage(site, &staging).and_then(|_| install(site, &staging, target, previous));
    if staging.exists() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

/// What benchreport wrote in `target` before: `None` when the target does not exist or is empty,
/// `Some(files)` when it is benchreport's (or `force`). An existing foreign folder is an error.
fn previous_manifest(target: &Path, force: bool) -> Result<Option<BTreeSet<String>>, Error> {
    if !target.exists() {
        return Ok(None);
    }
    if !target.is_dir() {
        return Err(Error::Usage(format!(
            "{} exists and is not a folder; choose another output with -o",
            target.display()
        )));
    }
    let manifest = target.join(MANIFEST);
    if manifest.is_file() {
        let text = fs::read_to_string(&manifest)
            .map_err(output_error(format!("reading {}", manifest.display())))?;
        let files = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .filter(|l| check_relative(l).is_ok())
            .map(str::to_string)
            .collect();
        return Ok(Some(files));
    }
    let mut entries =
        fs::read_dir(target).map_err(output_error(format!("reading {}", target.display())))?;
    if entries.next().is_none() {
        return Ok(None);
    }
    if force {
        return Ok(Some(BTreeSet::new()));
    }
    Err(Error::Usage(format!(
        "{} already exists and was not created by benchreport (no {MANIFEST} in it); \
         choose another output folder with -o, or pass --force to write benchreport's files into it \
         (files of the same names are replaced, all others are kept)",
        target.display()
    )))
}

/// Guards against a path escaping the output folder.
fn check_relative(path: &str) -> Result<(), Error> {
    let p = Path::new(path);
    let ok = !path.is_empty()
        && p.components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
    if ok {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "refusing to write outside the output folder: {path}"
        )))
    }
}

fn staging_dir(target: &Path) -> Result<PathBuf, Error> {
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(output_error(format!("creating {}", parent.display())))?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    Ok(parent.join(format!(
        ".{name}.benchreport-staging-{}",
        std::process::id()
    )))
}

fn stage(site: &Site, staging: &Path) -> Result<(), Error> {
    if staging.exists() {
        fs::remove_dir_all(staging)
            .map_err(output_error(format!("clearing {}", staging.display())))?;
    }
    for (rel, content) in &site.files {
        let path = staging.join(rel);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(output_error(format!("creating {}", dir.display())))?;
        }
        fs::write(&path, content).map_err(output_error(format!("writing {}", path.display())))?;
    }
    let manifest = staging.join(MANIFEST);
    fs::write(&manifest, site.manifest())
        .map_err(output_error(format!("writing {}", manifest.display())))
}

fn install(
    site: &Site,
    staging: &Path,
    target: &Path,
    previous: Option<BTreeSet<String>>,
) -> Result<(), Error> {
    let Some(previous) = previous else {
        if target.exists() {
            // An empty folder: replace it whole.
            fs::remove_dir(target)
                .map_err(output_error(format!("replacing {}", target.display())))?;
        }
        return fs::rename(staging, target).map_err(output_error(format!(
            "moving the site into {}",
            target.display()
        )));
    };
    for rel in site.files.keys().map(String::as_str).chain([MANIFEST]) {
        let to = target.join(rel);
        if let Some(dir) = to.parent() {
            fs::create_dir_all(dir).map_err(output_error(format!("creating {}", dir.display())))?;
        }
        fs::rename(staging.join(rel), &to)
            .map_err(output_error(format!("moving {} into place", to.display())))?;
    }
    for stale in previous.iter().filter(|p| !site.files.contains_key(*p)) {
        let path = target.join(stale);
        if path.is_file() {
            fs::remove_file(&path).map_err(output_error(format!("removing {}", path.display())))?;
            remove_empty_parents(&path, target);
        }
    }
    Ok(())
}

/// Removes folders left empty by removing a stale file, up to (not including) the target.
fn remove_empty_parents(file: &Path, target: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == target || fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(files: &[(&str, &str)]) -> Site {
        let mut s = Site::default();
        for (p, c) in files {
            s.add(*p, c.as_bytes());
        }
        s
    }

    #[test]
    fn fresh_target_gets_the_site_and_a_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("report");
        write_site(
            &site(&[("index.html", "a"), ("runs/x.html", "b")]),
            &out,
            false,
        )
        .unwrap();
        assert_eq!(fs::read_to_string(out.join("index.html")).unwrap(), "a");
        assert_eq!(fs::read_to_string(out.join("runs/x.html")).unwrap(), "b");
        assert!(out.join(MANIFEST).is_file());
        // Nothing left behind next to it.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn rebuild_keeps_user_files_and_removes_stale_ones() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("report");
        write_site(
            &site(&[("index.html", "a"), ("runs/old.html", "b")]),
            &out,
            false,
        )
        .unwrap();
        fs::write(out.join("notes.txt"), "mine").unwrap();
        write_site(
            &site(&[("index.html", "c"), ("runs/new.html", "d")]),
            &out,
            false,
        )
        .unwrap();
        assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
        assert_eq!(fs::read_to_string(out.join("index.html")).unwrap(), "c");
        assert!(!out.join("runs/old.html").exists());
        assert!(out.join("runs/new.html").exists());
    }

    #[test]
    fn foreign_folder_is_refused_and_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("docs");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("index.html"), "user's page").unwrap();
        let err = write_site(&site(&[("index.html", "a")]), &out, false).unwrap_err();
        assert!(
            err.to_string().contains("not created by benchreport"),
            "{err}"
        );
        assert_eq!(
            fs::read_to_string(out.join("index.html")).unwrap(),
            "user's page"
        );
    }

    #[test]
    fn force_writes_into_a_foreign_folder_keeping_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("docs");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("keep.txt"), "k").unwrap();
        write_site(&site(&[("index.html", "a")]), &out, true).unwrap();
        assert_eq!(fs::read_to_string(out.join("keep.txt")).unwrap(), "k");
        assert_eq!(fs::read_to_string(out.join("index.html")).unwrap(), "a");
    }

    #[test]
    fn empty_folder_is_used() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("report");
        fs::create_dir(&out).unwrap();
        write_site(&site(&[("index.html", "a")]), &out, false).unwrap();
        assert!(out.join("index.html").is_file());
    }

    #[test]
    fn paths_cannot_escape() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("report");
        assert!(write_site(&site(&[("../evil", "x")]), &out, false).is_err());
        assert!(!out.exists());
    }

    #[test]
    fn single_file_replaces_only_its_own_page() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("report.html");
        let page = b"<html><meta name=\"generator\" content=\"benchreport 0.1.0\"></html>";
        write_single_file(page, &out, false).unwrap();
        write_single_file(page, &out, false).unwrap();
        assert_eq!(fs::read(&out).unwrap(), page);
        let mine = dir.path().join("mine.html");
        fs::write(&mine, "my page").unwrap();
        assert!(write_single_file(page, &mine, false).is_err());
        assert_eq!(fs::read_to_string(&mine).unwrap(), "my page");
        write_single_file(page, &mine, true).unwrap();
        assert_eq!(fs::read(&mine).unwrap(), page);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn a_file_as_target_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("report");
        fs::write(&out, "x").unwrap();
        assert!(write_site(&site(&[("index.html", "a")]), &out, true).is_err());
        assert_eq!(fs::read_to_string(&out).unwrap(), "x");
    }
}
