//! The only module that touches the disk: reading a site's sources, and
//! writing a built [`Output`] atomically (into a temporary folder beside the
//! output folder, then swapped in, so a failed or killed build leaves the
//! previous output whole).

use crate::error::Error;
use crate::output::Output;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Everything a build reads, by path.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub root: PathBuf,
    /// `config.yaml`, if present.
    pub config: Option<String>,
    /// Files under `content/`, by path inside it.
    pub content: BTreeMap<String, Vec<u8>>,
    /// Files under `themes/`, by path inside it.
    pub themes: BTreeMap<String, Vec<u8>>,
}

/// Read the site at `root`.
pub fn load(root: &Path) -> Result<Sources, Vec<Error>> {
    let mut errors = Vec::new();
    let config_path = root.join("config.yaml");
    let config = match fs::read(&config_path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(s) => Some(s),
            Err(e) => {
                errors.push(crate::error::not_utf8("config.yaml", e.as_bytes()));
                None
            }
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => {
            errors.push(Error::file("config.yaml", format!("cannot be read: {e}")));
            None
        }
    };
    let content = read_tree(root, "content", &mut errors);
    let themes = read_tree(root, "themes", &mut errors);
    if errors.is_empty() { Ok(Sources { root: root.to_path_buf(), config, content, themes }) } else { Err(errors) }
}

/// Every file below `root/dir`, by path inside it; hidden files and editor
/// leftovers (`.#x`, `x~`, `.swp`) are skipped.
fn read_tree(root: &Path, dir: &str, errors: &mut Vec<Error>) -> BTreeMap<String, Vec<u8>> {
    let base = root.join(dir);
    let mut paths = Vec::new();
    if !base.is_dir() {
        return BTreeMap::new();
    }
    for entry in walkdir::WalkDir::new(&base).sort_by_file_name().into_iter().filter_entry(|e| e.depth() == 0 || !is_ignored(e.file_name())) {
        match entry {
            Ok(e) if e.file_type().is_file() => {
                let rel = e.path().strip_prefix(&base).unwrap_or(e.path());
                match rel.to_str() {
                    Some(s) => paths.push((s.replace('\\', "/"), e.path().to_path_buf())),
                    None => errors.push(Error::file(Path::new(dir).join(rel), "file name is not valid UTF-8; rename it")),
                }
            }
            Ok(_) => {}
            Err(e) => errors.push(Error::file(e.path().map_or_else(|| base.clone(), Path::to_path_buf), format!("cannot be read: {e}"))),
        }
    }
    let read: Vec<(String, io::Result<Vec<u8>>)> = paths.into_par_iter().map(|(rel, full)| (rel, fs::read(full))).collect();
    let mut files = BTreeMap::new();
    for (rel, bytes) in read {
        match bytes {
            Ok(b) => {
                files.insert(rel, b);
            }
            Err(e) => errors.push(Error::file(format!("{dir}/{rel}"), format!("cannot be read: {e}"))),
        }
    }
    files
}

fn is_ignored(name: &std::ffi::OsStr) -> bool {
    is_ignored_name(&name.to_string_lossy())
}

/// Names of files that editors and tools write beside the real ones (hidden
/// files, `x~`, `#x#`, `.swp`, Vim's `4913`): never sources, never watched.
pub fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || (name.starts_with('#') && name.ends_with('#'))
        || name == "4913"
        || [".swp", ".swx", ".swo", ".tmp", ".bak", ".orig"].iter().any(|ext| name.ends_with(ext))
}

/// Write `output` into `out_dir`, replacing it whole. Returns the number of files.
pub fn write_output(output: &Output, out_dir: &Path) -> io::Result<usize> {
    let (parent, name, tmp) = prepare(out_dir)?;
    let result = write_tree(output, &tmp).and_then(|()| swap_in(&tmp, out_dir, &parent, &name));
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result.map(|()| output.files.len())
}

/// The parent folder and name of `out_dir`, and the temporary folder a build
/// writes into, after checks and the leftovers of killed builds are gone.
fn prepare(out_dir: &Path) -> io::Result<(PathBuf, String, PathBuf)> {
    let parent = match out_dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = out_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "public".into());
    // Swapping a folder in for a file would move the file aside, where the next
    // build's cleanup deletes it.
    if fs::symlink_metadata(out_dir).is_ok_and(|m| !m.is_dir()) {
        return Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("{} is a file, not a folder; choose another --output", out_dir.display())));
    }
    fs::create_dir_all(&parent)?;
    remove_leftovers(&parent, &name);
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    Ok((parent, name, tmp))
}

/// An output written while it is built: [`Output::spilling`] with
/// [`Streamed::spill`] hands each file to writer threads, which put it in a
/// temporary folder beside the output folder; [`Streamed::finish`] swaps that
/// folder in, [`Streamed::abandon`] removes it. The previous output stays
/// whole until the swap, as with [`write_output`], and the build never holds
/// every file in memory.
pub struct Streamed {
    out_dir: PathBuf,
    parent: PathBuf,
    name: String,
    tmp: PathBuf,
    queue: Arc<Queue>,
    writers: Vec<std::thread::JoinHandle<()>>,
}

/// Files waiting to be written, and the first error met.
struct Queue {
    tx: std::sync::Mutex<Option<std::sync::mpsc::SyncSender<(String, crate::output::Bytes)>>>,
    error: std::sync::Mutex<Option<io::Error>>,
}

impl crate::output::Spill for Queue {
    fn write(&self, path: &str, bytes: crate::output::Bytes) {
        let tx = self.tx.lock().map(|t| t.clone()).unwrap_or_default();
        if let Some(tx) = tx {
            // A full queue makes the build wait for the writers: memory stays bounded.
            let _ = tx.send((path.to_string(), bytes));
        }
    }
}

impl Queue {
    fn fail(&self, e: io::Error) {
        if let Ok(mut first) = self.error.lock() {
            first.get_or_insert(e);
        }
    }
}

impl Streamed {
    /// Start writing into a temporary folder beside `out_dir`.
    pub fn start(out_dir: &Path) -> io::Result<Streamed> {
        let (parent, name, tmp) = prepare(out_dir)?;
        fs::create_dir_all(&tmp)?;
        let (tx, rx) = std::sync::mpsc::sync_channel::<(String, crate::output::Bytes)>(256);
        let rx = Arc::new(std::sync::Mutex::new(rx));
        let queue = Arc::new(Queue { tx: std::sync::Mutex::new(Some(tx)), error: std::sync::Mutex::new(None) });
        let made: Arc<std::sync::Mutex<std::collections::HashSet<PathBuf>>> = Arc::default();
        let writers = (0..2)
            .map(|_| {
                let (rx, queue, made, tmp) = (Arc::clone(&rx), Arc::clone(&queue), Arc::clone(&made), tmp.clone());
                std::thread::spawn(move || {
                    loop {
                        let next = rx.lock().ok().and_then(|r| r.recv().ok());
                        let Some((path, bytes)) = next else { break };
                        if let Err(e) = write_one(&tmp, &path, &bytes, &made) {
                            queue.fail(e);
                        }
                    }
                })
            })
            .collect();
        Ok(Streamed { out_dir: out_dir.to_path_buf(), parent, name, tmp, queue, writers })
    }

    /// What an [`Output`] hands its files to (see [`Output::spilling`]).
    pub fn spill(&self) -> Arc<dyn crate::output::Spill> {
        self.queue.clone()
    }

    /// Wait for the writers.
    fn drain(&mut self) -> io::Result<()> {
        if let Ok(mut tx) = self.queue.tx.lock() {
            tx.take();
        }
        for w in self.writers.drain(..) {
            let _ = w.join();
        }
        match self.queue.error.lock().ok().and_then(|mut e| e.take()) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Wait for the last files and put the folder in place of the output folder.
    pub fn finish(mut self) -> io::Result<()> {
        let result = self.drain().and_then(|()| swap_in(&self.tmp, &self.out_dir, &self.parent, &self.name));
        if result.is_err() {
            let _ = fs::remove_dir_all(&self.tmp);
        }
        result
    }

    /// Throw away what was written; the output folder stays as it was.
    pub fn abandon(mut self) {
        let _ = self.drain();
        let _ = fs::remove_dir_all(&self.tmp);
    }
}

/// Write one file under `dir`, making its folder first unless made before.
fn write_one(dir: &Path, path: &str, bytes: &[u8], made: &std::sync::Mutex<std::collections::HashSet<PathBuf>>) -> io::Result<()> {
    if !Output::is_safe_path(path) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("refusing to write outside the output folder: {path}")));
    }
    let full = dir.join(path);
    if let Some(folder) = full.parent() {
        let known = made.lock().map(|m| m.contains(folder)).unwrap_or(false);
        if !known {
            fs::create_dir_all(folder)?;
            if let Ok(mut m) = made.lock() {
                m.insert(folder.to_path_buf());
            }
        }
    }
    fs::write(full, bytes)
}

fn write_tree(output: &Output, dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let mut dirs: Vec<PathBuf> = output.files.keys().filter_map(|p| Path::new(p).parent().map(|d| dir.join(d))).collect();
    dirs.dedup();
    for d in &dirs {
        fs::create_dir_all(d)?;
    }
    output.files.par_iter().try_for_each(|(path, bytes)| {
        if !Output::is_safe_path(path) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("refusing to write outside the output folder: {path}")));
        }
        fs::write(dir.join(path), bytes.as_slice())
    })
}

/// Put the finished `tmp` folder in place of `out_dir`.
fn swap_in(tmp: &Path, out_dir: &Path, parent: &Path, name: &str) -> io::Result<()> {
    if !out_dir.exists() {
        return fs::rename(tmp, out_dir);
    }
    if exchange(tmp, out_dir).is_ok() {
        // `tmp` now holds the previous output.
        return fs::remove_dir_all(tmp);
    }
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    fs::rename(out_dir, &old)?;
    if let Err(e) = fs::rename(tmp, out_dir) {
        let _ = fs::rename(&old, out_dir);
        return Err(e);
    }
    fs::remove_dir_all(&old)
}

/// Swap two paths in one step (Linux `renameat2(RENAME_EXCHANGE)`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both are valid NUL-terminated paths; AT_FDCWD resolves them relative to the cwd.
    let rc = unsafe { libc::syscall(libc::SYS_renameat2, libc::AT_FDCWD, ca.as_ptr(), libc::AT_FDCWD, cb.as_ptr(), libc::RENAME_EXCHANGE) };
    if rc == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "no atomic exchange"))
}

/// Temporary folders of builds that were killed before they finished. Those of
/// a build still running (another `gen build` into the same folder) are left
/// alone: removing them under it made that build fail.
fn remove_leftovers(parent: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(parent) else { return };
    for e in entries.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        let pid = n.strip_prefix(&format!(".{name}.tmp-")).or_else(|| n.strip_prefix(&format!(".{name}.old-")));
        if let Some(pid) = pid {
            if !pid.parse().is_ok_and(is_running) {
                let _ = fs::remove_dir_all(e.path());
            }
        }
    }
}

/// Whether a process with this id exists (other than this one).
#[cfg(unix)]
fn is_running(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
    if pid == 0 || pid == std::process::id() as libc::pid_t {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    unsafe { libc::kill(pid, 0) == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM) }
}

#[cfg(not(unix))]
fn is_running(_: u32) -> bool {
    false
}

/// Write a new file, refusing to overwrite one that exists (`gen init`, `gen new`).
pub fn create_new(path: &Path, text: &str) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    use std::io::Write;
    let mut f = fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(text.as_bytes())
}

/// Replace the text of an existing file whole: written beside it, then renamed
/// over it, so that it is never left half written (`gen new --translate --refresh`).
pub fn replace(path: &Path, text: &str) -> io::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    fs::write(&tmp, text)?;
    fs::rename(&tmp, path).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

/// Write several new files, all or none: if any of them exists, nothing is
/// written and the error (kind `AlreadyExists`) names that path (`gen init`).
pub fn create_all_new(files: &[(PathBuf, String)]) -> io::Result<()> {
    if let Some((path, _)) = files.iter().find(|(p, _)| p.exists()) {
        return Err(io::Error::new(io::ErrorKind::AlreadyExists, path.display().to_string()));
    }
    for (path, text) in files {
        create_new(path, text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces_whole() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let mut o = Output::default();
        o.add("a/index.html", "one");
        o.add("stale.txt", "x");
        write_output(&o, &out).unwrap();
        let mut o2 = Output::default();
        o2.add("a/index.html", "two");
        write_output(&o2, &out).unwrap();
        assert_eq!(fs::read_to_string(out.join("a/index.html")).unwrap(), "two");
        assert!(!out.join("stale.txt").exists());
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["public"]);
    }

    #[test]
    fn leftovers_of_dead_builds_go_those_of_running_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join(".public.tmp-999999999");
        let ours = dir.path().join(format!(".public.tmp-{}", std::process::id()));
        let running = dir.path().join(".public.tmp-1");
        for d in [&dead, &ours, &running] {
            fs::create_dir_all(d.join("posts")).unwrap();
        }
        let mut o = Output::default();
        o.add("index.html", "x");
        write_output(&o, &dir.path().join("public")).unwrap();
        assert!(!dead.exists() && !ours.exists());
        assert!(running.exists(), "process 1 is running: its folder is not a leftover");
    }

    #[test]
    fn never_replaces_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("notes.txt");
        fs::write(&file, "precious").unwrap();
        let mut o = Output::default();
        o.add("index.html", "x");
        let e = write_output(&o, &file).unwrap_err();
        assert!(e.to_string().contains("is a file, not a folder"), "{e}");
        assert_eq!(fs::read_to_string(&file).unwrap(), "precious");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn streams_files_and_swaps_in_only_when_finished() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let mut o = Output::default();
        o.add("old.txt", "old");
        write_output(&o, &out).unwrap();
        // Abandoned: the old output stays, the temporary folder goes.
        let stream = Streamed::start(&out).unwrap();
        let mut s = Output::spilling(stream.spill());
        s.add("a/index.html", "new");
        stream.abandon();
        assert_eq!(fs::read_to_string(out.join("old.txt")).unwrap(), "old");
        // Finished: the new files replace the old, and the output keeps only paths.
        let stream = Streamed::start(&out).unwrap();
        let mut s = Output::spilling(stream.spill());
        for i in 0..300 {
            s.add(format!("posts/{i}/index.html"), format!("post {i}"));
        }
        assert!(s.files.values().all(|b| b.is_empty()));
        stream.finish().unwrap();
        assert_eq!(fs::read_to_string(out.join("posts/299/index.html")).unwrap(), "post 299");
        assert!(!out.join("old.txt").exists());
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["public"]);
        // An unsafe path fails the build's writing and changes nothing.
        let stream = Streamed::start(&out).unwrap();
        Output::spilling(stream.spill()).add("../escape.html", "x");
        assert!(stream.finish().is_err());
        assert!(out.join("posts/1/index.html").exists());
        assert!(!dir.path().join("escape.html").exists());
    }

    #[test]
    fn refuses_unsafe_paths_and_keeps_old_output() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let mut o = Output::default();
        o.add("index.html", "old");
        write_output(&o, &out).unwrap();
        let mut bad = Output::default();
        bad.add("../escape.html", "x");
        assert!(write_output(&bad, &out).is_err());
        assert_eq!(fs::read_to_string(out.join("index.html")).unwrap(), "old");
        assert!(!dir.path().join("escape.html").exists());
    }

    #[test]
    fn loads_sorted_and_skips_hidden() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("content/posts")).unwrap();
        fs::write(dir.path().join("content/posts/b.md"), "b").unwrap();
        fs::write(dir.path().join("content/posts/.a.md.swp"), "x").unwrap();
        fs::write(dir.path().join("config.yaml"), "title: x").unwrap();
        let s = load(dir.path()).unwrap();
        assert_eq!(s.content.keys().collect::<Vec<_>>(), ["posts/b.md"]);
        assert_eq!(s.config.as_deref(), Some("title: x"));
    }
}
