//! Property tests of the fd table against an independent model: a map from descriptor to
//! (description, close-on-exec), checked after every operation.

use std::collections::BTreeMap;

use libposix_sys::errno::Errno;
use proptest::prelude::*;
use vfs::fd_table::FdTable;

const LIMIT: usize = 8;

#[derive(Clone, Debug)]
enum Operation {
    Insert(bool),
    Close(i32),
    Dup(i32),
    DuplicateFrom(i32, i32, bool),
    DuplicateTo(i32, i32, bool),
    SetCloseOnExec(i32, bool),
    Sweep,
}

fn descriptor() -> impl Strategy<Value = i32> {
    -2..(LIMIT as i32 + 2)
}

fn operation() -> impl Strategy<Value = Operation> {
    prop_oneof![
        any::<bool>().prop_map(Operation::Insert),
        descriptor().prop_map(Operation::Close),
        descriptor().prop_map(Operation::Dup),
        (descriptor(), descriptor(), any::<bool>())
            .prop_map(|(fd, minimum, flag)| Operation::DuplicateFrom(fd, minimum, flag)),
        (descriptor(), descriptor(), any::<bool>())
            .prop_map(|(old, new, flag)| Operation::DuplicateTo(old, new, flag)),
        (descriptor(), any::<bool>()).prop_map(|(fd, flag)| Operation::SetCloseOnExec(fd, flag)),
        Just(Operation::Sweep),
    ]
}

/// The model: what POSIX says each operation does.
#[derive(Default)]
struct Model {
    open: BTreeMap<i32, (u32, bool)>,
}

impl Model {
    fn lowest_free(&self, minimum: i32) -> Result<i32, Errno> {
        (minimum.max(0)..LIMIT as i32)
            .find(|fd| !self.open.contains_key(fd))
            .ok_or(Errno::EMFILE)
    }
    fn get(&self, fd: i32) -> Result<(u32, bool), Errno> {
        self.open.get(&fd).copied().ok_or(Errno::EBADF)
    }
}

proptest! {
    #[test]
    fn table_matches_model(operations in proptest::collection::vec(operation(), 1..60)) {
        let mut table: FdTable<u32> = FdTable::new(LIMIT);
        let mut model = Model::default();
        let mut next_description = 0u32;
        for operation in operations {
            match operation {
                Operation::Insert(flag) => {
                    next_description += 1;
                    let expected = model.lowest_free(0);
                    if let Ok(fd) = expected { model.open.insert(fd, (next_description, flag)); }
                    prop_assert_eq!(table.insert(next_description, flag), expected);
                }
                Operation::Close(fd) => {
                    let expected = model.open.remove(&fd).map(|(d, _)| d).ok_or(Errno::EBADF);
                    prop_assert_eq!(table.close(fd), expected);
                }
                Operation::Dup(fd) => {
                    let expected = model.get(fd).and_then(|(d, _)| {
                        let new = model.lowest_free(0)?;
                        model.open.insert(new, (d, false));
                        Ok(new)
                    });
                    prop_assert_eq!(table.dup(fd), expected);
                }
                Operation::DuplicateFrom(fd, minimum, flag) => {
                    let expected = model.get(fd).and_then(|(d, _)| {
                        if minimum < 0 || minimum >= LIMIT as i32 { return Err(Errno::EINVAL); }
                        let new = model.lowest_free(minimum)?;
                        model.open.insert(new, (d, flag));
                        Ok(new)
                    });
                    prop_assert_eq!(table.duplicate_from(fd, minimum, flag), expected);
                }
                Operation::DuplicateTo(old, new, flag) => {
                    let expected = model.get(old).and_then(|(d, _)| {
                        if new < 0 || new >= LIMIT as i32 { return Err(Errno::EBADF); }
                        if old == new { return Ok(None); }
                        Ok(model.open.insert(new, (d, flag)).map(|(replaced, _)| replaced))
                    });
                    prop_assert_eq!(table.duplicate_to(old, new, flag), expected);
                }
                Operation::SetCloseOnExec(fd, flag) => {
                    let expected = match model.open.get_mut(&fd) {
                        Some(entry) => { entry.1 = flag; Ok(()) }
                        None => Err(Errno::EBADF),
                    };
                    prop_assert_eq!(table.set_close_on_exec(fd, flag), expected);
                }
                Operation::Sweep => {
                    let expected: Vec<u32> = model.open.iter().filter(|(_, e)| e.1).map(|(_, e)| e.0).collect();
                    model.open.retain(|_, entry| !entry.1);
                    prop_assert_eq!(table.close_on_exec_sweep(), expected);
                }
            }
            // After every operation: the same descriptors, descriptions and flags.
            let open: Vec<i32> = table.open_descriptors().collect();
            let expected: Vec<i32> = model.open.keys().copied().collect();
            prop_assert_eq!(open, expected);
            for (&fd, &(description, flag)) in &model.open {
                let entry = table.get(fd).expect("open in the model");
                prop_assert_eq!(entry.description, description);
                prop_assert_eq!(entry.close_on_exec, flag);
            }
        }
    }
}
