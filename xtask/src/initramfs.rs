//! Assembles the initial RAM file system: `/bin`, `/sbin`, the user programs and an optional overlay.

use std::collections::BTreeMap;
use std::io::BufWriter;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::cpio::{CpioWriter, PERMISSION_BITS};
use crate::error::{Result, XtaskError};

/// One file-system object to place in the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitramfsEntry {
    /// A directory with these permission bits.
    Directory { permissions: u32 },
    /// A regular file copied from `source` on the host.
    File { permissions: u32, source: PathBuf },
    /// A symbolic link whose contents are `target`.
    SymbolicLink { target: String },
    /// Another name (a hard link) for the regular file at the archive path `target`.
    HardLink { target: String },
}

/// The archive's contents, keyed by relative path (`sbin/init`); sorted order puts every directory
/// before what it contains.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Initramfs {
    entries: BTreeMap<String, InitramfsEntry>,
}

impl Initramfs {
    /// The standard skeleton: empty `/bin` and `/sbin`.
    pub fn skeleton() -> Self {
        let mut initramfs = Self::default();
        for directory in ["bin", "sbin"] {
            initramfs.entries.insert(
                directory.to_string(),
                InitramfsEntry::Directory { permissions: 0o755 },
            );
        }
        initramfs
    }

    /// The entries, in archive order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &InitramfsEntry)> {
        self.entries
            .iter()
            .map(|(path, entry)| (path.as_str(), entry))
    }

    /// Adds a user program: `init` becomes `/sbin/init`, any other package `/bin/<package>`.
    ///
    /// # Errors
    /// Fails if another entry already has that path.
    pub fn add_program(&mut self, package: &str, executable: &Path) -> Result<()> {
        let path = if package == "init" {
            "sbin/init".to_string()
        } else {
            format!("bin/{package}")
        };
        let entry = InitramfsEntry::File {
            permissions: 0o755,
            source: executable.to_path_buf(),
        };
        self.insert(path, entry, executable)
    }

    /// Adds `/bin/<name>` for each of `names` as a hard link to the program `package` added
    /// before (a multi-call program such as `utils`, which acts on the name it is started as).
    ///
    /// # Errors
    /// Fails if `package` was not added, or a name is not a plain file name or is taken.
    pub fn add_program_links(&mut self, package: &str, names: &[String]) -> Result<()> {
        if names.is_empty() {
            return Ok(());
        }
        let target = format!("bin/{package}");
        let Some(InitramfsEntry::File { source, .. }) = self.entries.get(&target) else {
            return Err(XtaskError::new(format!(
                "/{target} is not a program of the initramfs, so names cannot link to it"
            )));
        };
        let source = source.clone();
        for name in names {
            if name.is_empty() || name.contains('/') || name == "." || name == ".." {
                return Err(XtaskError::new(format!(
                    "`{name}` (a name for /{target}) is not a file name"
                )));
            }
            let entry = InitramfsEntry::HardLink {
                target: target.clone(),
            };
            self.insert(format!("bin/{name}"), entry, &source)?;
        }
        Ok(())
    }

    /// Adds everything below `overlay` at the same relative paths, keeping permission bits and
    /// storing symbolic links as links. A directory that already exists takes the overlay's mode.
    ///
    /// # Errors
    /// Fails on unreadable files, special files (devices, sockets, pipes), names that are not
    /// UTF-8, or a file that would replace another entry.
    pub fn add_overlay(&mut self, overlay: &Path) -> Result<()> {
        let metadata = std::fs::metadata(overlay)
            .map_err(|error| XtaskError::io("read the overlay directory", overlay, &error))?;
        if !metadata.is_dir() {
            return Err(XtaskError::new(format!(
                "--overlay {} is not a directory; pass a directory whose contents go into the initramfs",
                overlay.display()
            )));
        }
        self.add_overlay_directory(overlay, "")
    }

    fn add_overlay_directory(&mut self, directory: &Path, prefix: &str) -> Result<()> {
        let listing = std::fs::read_dir(directory)
            .map_err(|error| XtaskError::io("list", directory, &error))?;
        let mut children = Vec::new();
        for child in listing {
            children.push(child.map_err(|error| XtaskError::io("list", directory, &error))?);
        }
        children.sort_by_key(|child| child.file_name());
        for child in children {
            let host_path = child.path();
            let Some(name) = child.file_name().to_str().map(str::to_string) else {
                return Err(XtaskError::new(format!(
                    "{} has a name that is not UTF-8; rename it",
                    host_path.display()
                )));
            };
            let path = format!("{prefix}{name}");
            let metadata = std::fs::symlink_metadata(&host_path)
                .map_err(|error| XtaskError::io("inspect", &host_path, &error))?;
            let permissions = metadata.permissions().mode() & PERMISSION_BITS;
            let file_type = metadata.file_type();
            if file_type.is_symlink() {
                let target = std::fs::read_link(&host_path)
                    .map_err(|error| XtaskError::io("read the link", &host_path, &error))?;
                let Some(target) = target.to_str().map(str::to_string) else {
                    return Err(XtaskError::new(format!(
                        "the link {} points at a path that is not UTF-8",
                        host_path.display()
                    )));
                };
                self.insert(path, InitramfsEntry::SymbolicLink { target }, &host_path)?;
            } else if file_type.is_dir() {
                // Directories merge: the overlay may add files to /bin and /sbin.
                self.entries
                    .insert(path.clone(), InitramfsEntry::Directory { permissions });
                self.add_overlay_directory(&host_path, &format!("{path}/"))?;
            } else if file_type.is_file() {
                let entry = InitramfsEntry::File {
                    permissions,
                    source: host_path.clone(),
                };
                self.insert(path, entry, &host_path)?;
            } else {
                return Err(XtaskError::new(format!(
                    "{} is a device, socket or pipe, which the initramfs cannot hold; remove it from the overlay",
                    host_path.display()
                )));
            }
        }
        Ok(())
    }

    fn insert(&mut self, path: String, entry: InitramfsEntry, source: &Path) -> Result<()> {
        if let Some(existing) = self.entries.get(&path) {
            let existing = match existing {
                InitramfsEntry::Directory { .. } => "a directory".to_string(),
                InitramfsEntry::File { source, .. } => source.display().to_string(),
                InitramfsEntry::SymbolicLink { target } => format!("a link to {target}"),
                InitramfsEntry::HardLink { target } => format!("another name for /{target}"),
            };
            return Err(XtaskError::new(format!(
                "/{path} would come both from {} and from {existing}; rename or remove one of them",
                source.display()
            )));
        }
        self.entries.insert(path, entry);
        Ok(())
    }

    /// Writes the archive to `destination`, through a temporary file so that a reader never sees
    /// half an archive.
    ///
    /// # Errors
    /// Fails if a source file cannot be read or the archive cannot be written.
    pub fn write_to(&self, destination: &Path) -> Result<()> {
        // One temporary name per process, so concurrent builds never write the same file.
        let temporary = destination.with_extension(format!("cpio.{}.partial", std::process::id()));
        if let Some(parent) = destination.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|error| XtaskError::io("create", parent, &error))?;
        }
        let file = std::fs::File::create(&temporary)
            .map_err(|error| XtaskError::io("create", &temporary, &error))?;
        let write_error = |error: std::io::Error| XtaskError::io("write", &temporary, &error);
        let mut writer = CpioWriter::new(BufWriter::new(file));
        // Each file's other names, written right after it with the same inode.
        let mut other_names: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (path, entry) in &self.entries {
            if let InitramfsEntry::HardLink { target } = entry {
                other_names.entry(target).or_default().push(path);
            }
        }
        for (path, entry) in &self.entries {
            match entry {
                InitramfsEntry::Directory { permissions } => {
                    writer.directory(path, *permissions).map_err(write_error)?;
                }
                InitramfsEntry::File {
                    permissions,
                    source,
                } => {
                    let contents = std::fs::read(source)
                        .map_err(|error| XtaskError::io("read", source, &error))?;
                    let mut names = vec![path.as_str()];
                    names.extend(other_names.get(path.as_str()).into_iter().flatten());
                    writer
                        .linked_file(&names, *permissions, &contents)
                        .map_err(write_error)?;
                }
                // Written with the file it names.
                InitramfsEntry::HardLink { .. } => {}
                InitramfsEntry::SymbolicLink { target } => {
                    writer.symbolic_link(path, target).map_err(write_error)?;
                }
            }
        }
        writer.finish().map_err(write_error)?;
        std::fs::rename(&temporary, destination)
            .map_err(|error| XtaskError::io("move the archive into place at", destination, &error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch_directory(name: &str) -> PathBuf {
        let directory =
            std::env::temp_dir().join(format!("xtask-initramfs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&directory);
        std::fs::create_dir_all(&directory).unwrap();
        directory
    }

    #[test]
    fn places_init_in_sbin_and_other_programs_in_bin() {
        let mut initramfs = Initramfs::skeleton();
        initramfs
            .add_program("init", Path::new("/build/init"))
            .unwrap();
        initramfs
            .add_program("shell", Path::new("/build/shell"))
            .unwrap();
        let paths: Vec<&str> = initramfs.entries().map(|(path, _)| path).collect();
        assert_eq!(paths, ["bin", "bin/shell", "sbin", "sbin/init"]);
    }

    #[test]
    fn overlay_keeps_paths_modes_and_links() {
        let overlay = scratch_directory("overlay");
        std::fs::create_dir_all(overlay.join("etc/deep")).unwrap();
        std::fs::create_dir_all(overlay.join("bin")).unwrap();
        std::fs::write(overlay.join("etc/deep/motd"), "hello").unwrap();
        std::fs::write(overlay.join("bin/script"), "#!").unwrap();
        std::fs::set_permissions(
            overlay.join("bin/script"),
            std::fs::Permissions::from_mode(0o750),
        )
        .unwrap();
        std::os::unix::fs::symlink("deep/motd", overlay.join("etc/link")).unwrap();

        let mut initramfs = Initramfs::skeleton();
        initramfs.add_overlay(&overlay).unwrap();
        let entries: BTreeMap<&str, &InitramfsEntry> = initramfs.entries().collect();
        assert_eq!(
            entries["bin/script"],
            &InitramfsEntry::File {
                permissions: 0o750,
                source: overlay.join("bin/script")
            }
        );
        assert_eq!(
            entries["etc/link"],
            &InitramfsEntry::SymbolicLink {
                target: "deep/motd".to_string()
            }
        );
        assert!(matches!(
            entries["etc/deep"],
            InitramfsEntry::Directory { .. }
        ));
        let paths: Vec<&str> = entries.keys().copied().collect();
        assert_eq!(
            paths,
            [
                "bin",
                "bin/script",
                "etc",
                "etc/deep",
                "etc/deep/motd",
                "etc/link",
                "sbin"
            ]
        );

        let archive_path = overlay.join("out.cpio");
        initramfs.write_to(&archive_path).unwrap();
        let archive = std::fs::read(&archive_path).unwrap();
        assert!(archive.starts_with(crate::cpio::MAGIC));
        assert!(archive.windows(5).any(|window| window == b"hello"));
        std::fs::remove_dir_all(&overlay).unwrap();
    }

    #[test]
    fn program_links_are_hard_links_stored_once() {
        let directory = scratch_directory("links");
        let program = directory.join("utils");
        std::fs::write(&program, "multi-call program").unwrap();
        let mut initramfs = Initramfs::skeleton();
        initramfs.add_program("utils", &program).unwrap();
        let names = ["ls".to_string(), "[".to_string(), "cat".to_string()];
        initramfs.add_program_links("utils", &names).unwrap();
        assert!(
            initramfs
                .add_program_links("utils", &["ls".to_string()])
                .is_err()
        );
        assert!(
            initramfs
                .add_program_links("utils", &["a/b".to_string()])
                .is_err()
        );
        assert!(
            initramfs
                .add_program_links("missing", &["x".to_string()])
                .is_err()
        );

        let archive_path = directory.join("out.cpio");
        initramfs.write_to(&archive_path).unwrap();
        let archive = std::fs::read(&archive_path).unwrap();
        let stored = archive
            .windows(18)
            .filter(|window| window == b"multi-call program")
            .count();
        assert_eq!(stored, 1);
        // Read back as the guest does: every name gives the program's bytes.
        let reader = initramfs::Archive::new(&archive);
        for name in ["/bin/ls", "/bin/[", "/bin/cat", "/bin/utils"] {
            let entry = reader.find(name).unwrap().unwrap();
            assert_eq!(entry.data, b"multi-call program", "{name}");
            assert_eq!(entry.links, 4);
        }
        std::fs::remove_dir_all(&directory).unwrap();
    }

    #[test]
    fn an_overlay_file_may_not_replace_a_program() {
        let overlay = scratch_directory("conflict");
        std::fs::create_dir_all(overlay.join("sbin")).unwrap();
        std::fs::write(overlay.join("sbin/init"), "x").unwrap();
        let mut initramfs = Initramfs::skeleton();
        initramfs
            .add_program("init", Path::new("/build/init"))
            .unwrap();
        let error = initramfs.add_overlay(&overlay).unwrap_err();
        assert!(
            error.message().contains("/sbin/init would come both from"),
            "{error}"
        );
        std::fs::remove_dir_all(&overlay).unwrap();
    }
}
