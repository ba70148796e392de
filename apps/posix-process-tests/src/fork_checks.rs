//! Checks of `fork`: the return values, copy-on-write isolation of memory, the child's
//! identity, and many children collected by `wait4`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use libos::process::fork;
use libos::process::identity::{_exit, getpid, getppid, waitpid};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::wait::{WEXITSTATUS, WIFEXITED};

/// Every fork check, in order.
pub const ALL: &[Check] = &[
    Check {
        name: "fork:returns-zero-and-pid",
        covers: &["fork:return-values", "waitpid:pid"],
        run: returns_zero_and_pid,
    },
    Check {
        name: "fork:copy-on-write-isolation",
        covers: &["fork:copy-on-write"],
        run: copy_on_write_isolation,
    },
    Check {
        name: "fork:copy-on-write-after-child-reaped-copies-nothing",
        covers: &["fork:copy-on-write"],
        run: copy_on_write_after_child_reaped,
    },
    Check {
        name: "fork:copy-on-write-of-more-pages-than-the-pool",
        covers: &["fork:copy-on-write"],
        run: copy_on_write_beyond_the_pool,
    },
    Check {
        name: "fork:copy-on-write-behind-a-read-only-first-page",
        covers: &["fork:copy-on-write"],
        run: copy_on_write_behind_a_read_only_first_page,
    },
    Check {
        name: "fork:mprotect-read-only-after-fork-faults",
        covers: &["fork:copy-on-write", "mprotect:PROT_READ-after-fork"],
        run: read_only_after_fork_faults,
    },
    Check {
        name: "fork:mprotect-writable-again-stays-copy-on-write",
        covers: &["fork:copy-on-write", "mprotect:PROT_WRITE-after-fork"],
        run: writable_again_stays_copy_on_write,
    },
    Check {
        name: "fork:mprotect-none-and-back-keeps-our-copy",
        covers: &["fork:copy-on-write", "mprotect:PROT_NONE-after-fork"],
        run: none_and_back_keeps_our_copy,
    },
    Check {
        name: "fork:mprotect-none-region-stays-private-to-each-side",
        covers: &["fork:copy-on-write", "mprotect:PROT_NONE-after-fork"],
        run: none_region_stays_private,
    },
    Check {
        name: "fork:mremap-grown-or-moved-region-stays-copy-on-write",
        covers: &["fork:copy-on-write", "mremap:after-fork"],
        run: moved_region_stays_copy_on_write,
    },
    Check {
        name: "fork:child-identity",
        covers: &["fork:new-pid", "getppid"],
        run: child_identity,
    },
    Check {
        name: "fork:heap-after-fork",
        covers: &["fork:heap"],
        run: heap_after_fork,
    },
    Check {
        name: "getppid:orphan-reparented-to-init",
        covers: &["getppid:orphan"],
        run: orphan_reparented,
    },
    Check {
        name: "fork:orphan-survives-parent-collected",
        covers: &["fork:orphan-outlives-collected-parent"],
        run: orphan_survives_parent_collected,
    },
    Check {
        name: "fork:100-children-collected",
        covers: &["fork:many-children", "wait4:any-child"],
        run: many_children,
    },
];

/// 64 KiB of global data: sixteen pages the checks write in parent and child.
static BUFFER: [AtomicU64; 8192] = [const { AtomicU64::new(0) }; 8192];

fn fill(value: u64) {
    for (index, word) in BUFFER.iter().enumerate() {
        word.store(value ^ index as u64, Ordering::Relaxed);
    }
}

fn holds(value: u64) -> bool {
    BUFFER
        .iter()
        .enumerate()
        .all(|(index, word)| word.load(Ordering::Relaxed) == value ^ index as u64)
}

fn sleep_milliseconds(milliseconds: u64) {
    let end = libos::kernel::clock_nanoseconds() + milliseconds * 1_000_000;
    while libos::kernel::clock_nanoseconds() < end {
        libos::kernel::yield_now();
    }
}

fn expect_exit(pid: i32, expected: i32) -> CheckOutcome {
    let mut status = 0;
    let collected = waitpid(pid, Some(&mut status), 0).map_err(|e| format!("waitpid: {e:?}"))?;
    if collected != pid || !WIFEXITED(status) || WEXITSTATUS(status) != expected {
        return Err(format!(
            "waitpid({pid}) = {collected}, status {status:#x}; expected exit {expected}"
        ));
    }
    Ok(())
}

fn returns_zero_and_pid() -> CheckOutcome {
    let ours = getpid().map_err(|e| format!("getpid: {e:?}"))?;
    match fork().map_err(|e| format!("fork: {e:?}"))? {
        0 => _exit(7),
        pid if pid > 0 && pid != ours => expect_exit(pid, 7),
        pid => Err(format!("fork returned {pid}")),
    }
}

fn copy_on_write_isolation() -> CheckOutcome {
    fill(0x1111);
    let pid = fork().map_err(|e| format!("fork: {e:?}"))?;
    if pid == 0 {
        // The parent's memory at fork time.
        if !holds(0x1111) {
            _exit(1);
        }
        // Our writes are ours…
        fill(0x2222);
        if !holds(0x2222) {
            _exit(2);
        }
        // …and the parent's, made meanwhile, are not seen here.
        sleep_milliseconds(200);
        if !holds(0x2222) {
            _exit(3);
        }
        _exit(0);
    }
    // The parent writes while the child runs; the child's writes never reach us.
    fill(0x3333);
    expect_exit(pid, 0)?;
    if !holds(0x3333) {
        return Err(String::from("the parent's buffer changed under it"));
    }
    Ok(())
}

/// Pages of the area `copy_on_write_after_child_reaped` writes: more than the copy pool's 256
/// slots, so copying each would run out.
const AREA_PAGES: u64 = 512;

/// Once the child that shared our pages is reaped, our first writes to them (still read-only,
/// copy-on-write) make them writable where they are: no copies, no pool slots; the child saw
/// the memory as it was at fork time.
fn copy_on_write_after_child_reaped() -> CheckOutcome {
    let area = PrivatePages::map(AREA_PAGES)?;
    (0..AREA_PAGES).for_each(|page| area.write(page, page));
    let pid = fork().map_err(|e| format!("fork: {e:?}"))?;
    if pid == 0 {
        _exit(i32::from(
            !(0..AREA_PAGES).all(|page| area.read(page) == page),
        ));
    }
    expect_exit(pid, 0)?;
    // Every page but the first: the area's mapping then starts with a read-only page while
    // the rest is writable again.
    let pool_before = libos::process::copy_on_write::pool_available();
    (1..AREA_PAGES).for_each(|page| area.write(page, page + 1));
    let pool_after = libos::process::copy_on_write::pool_available();
    let kept = (1..AREA_PAGES).all(|page| area.read(page) == page + 1);
    // A second child must see the pages as they are at its fork, whatever our writes after.
    let second = isolated_from_later_writes(&area, 7, 8);
    if !kept {
        return Err(String::from("a page lost a write"));
    }
    if pool_after != pool_before {
        return Err(format!(
            "the writes took {} pool slots: pages were copied though nobody shared them",
            pool_before - pool_after
        ));
    }
    second
}

/// Forks a child that waits until `parent` has run here, then exits 0 when `child_sees` holds
/// (1 otherwise); answers what `parent` returned and whether the child exited 0.
fn with_waiting_child<T>(
    child_sees: impl FnOnce() -> bool,
    parent: impl FnOnce() -> T,
) -> Result<(T, CheckOutcome), String> {
    let [go_read, go_write] = libos::io::pipe2(0).map_err(|e| format!("pipe2: {e:?}"))?;
    let pid = fork().map_err(|e| format!("fork: {e:?}"))?;
    if pid == 0 {
        let mut byte = [0u8; 1];
        let _ = libos::io::read(go_read, &mut byte);
        _exit(i32::from(!child_sees()));
    }
    let answer = parent();
    let _ = libos::io::write(go_write, b"g");
    let _ = libos::io::close(go_read);
    let _ = libos::io::close(go_write);
    Ok((answer, expect_exit(pid, 0)))
}

/// Forks a child that waits until we wrote `page` again, then checks it still sees it as it was
/// at its fork (`seen`).
fn isolated_from_later_writes(area: &PrivatePages, page: u64, seen: u64) -> CheckOutcome {
    let ((), child) = with_waiting_child(|| area.read(page) == seen, || area.write(page, !seen))?;
    child.map_err(|error| format!("a child saw our later write: {error}"))
}

/// `mprotect` on `area`, as the checks below use it.
fn protect(area: &PrivatePages, protection: i32) -> CheckOutcome {
    libos::memory::mprotect(area.address, area.pages * libos::abi::PAGE_SIZE, protection)
        .map_err(|e| format!("mprotect({protection:#x}): {e:?}"))
}

/// A page made read-only after a fork (so copy-on-write) faults when written: the write is
/// the program's error, not a copy-on-write to resolve. Run in a child, which must die of
/// SIGSEGV.
fn read_only_after_fork_faults() -> CheckOutcome {
    use libposix_sys::mman::PROT_READ;
    use libposix_sys::signal::SIGSEGV;
    use libposix_sys::wait::{WIFSIGNALED, WTERMSIG};
    let pid = fork().map_err(|e| format!("fork: {e:?}"))?;
    if pid == 0 {
        let Ok(area) = PrivatePages::map(1) else {
            _exit(2);
        };
        area.write(0, 1);
        match fork() {
            Ok(0) => _exit(0),
            Ok(grandchild) if expect_exit(grandchild, 0).is_ok() => {}
            _ => _exit(3),
        }
        if protect(&area, PROT_READ).is_err() {
            _exit(4);
        }
        area.write(0, 2);
        _exit(5);
    }
    let mut status = 0;
    let collected = waitpid(pid, Some(&mut status), 0).map_err(|e| format!("waitpid: {e:?}"))?;
    if collected != pid || !WIFSIGNALED(status) || WTERMSIG(status) != SIGSEGV {
        return Err(format!(
            "the child's write to its read-only page gave status {status:#x}, not SIGSEGV"
        ));
    }
    Ok(())
}

/// A page made read-only and writable again while a child shares it stays copy-on-write: our
/// next write is ours alone.
fn writable_again_stays_copy_on_write() -> CheckOutcome {
    use libposix_sys::mman::{PROT_READ, PROT_WRITE};
    let area = PrivatePages::map(1)?;
    area.write(0, 5);
    let (protected, child) = with_waiting_child(
        || area.read(0) == 5,
        || {
            let protected =
                protect(&area, PROT_READ).and_then(|()| protect(&area, PROT_READ | PROT_WRITE));
            if protected.is_ok() {
                area.write(0, 6);
            }
            protected
        },
    )?;
    protected?;
    if area.read(0) != 6 {
        return Err(String::from("our write to the page was lost"));
    }
    child.map_err(|error| format!("the child saw our write: {error}"))
}

/// A page we copied (a child still shares the original) keeps our copy through `PROT_NONE` and
/// back, and the child still sees its own.
fn none_and_back_keeps_our_copy() -> CheckOutcome {
    use libposix_sys::mman::{PROT_NONE, PROT_READ, PROT_WRITE};
    let area = PrivatePages::map(1)?;
    area.write(0, 5);
    let ((protected, kept), child) = with_waiting_child(
        || area.read(0) == 5,
        || {
            area.write(0, 6);
            let protected =
                protect(&area, PROT_NONE).and_then(|()| protect(&area, PROT_READ | PROT_WRITE));
            let kept = protected.is_ok() && area.read(0) == 6;
            if protected.is_ok() {
                area.write(0, 7);
            }
            (protected, kept)
        },
    )?;
    protected?;
    if !kept {
        return Err(String::from(
            "our copy of the page was lost through PROT_NONE",
        ));
    }
    child.map_err(|error| format!("the child saw our write: {error}"))
}

/// A region that was PROT_NONE (nothing mapped) at the fork is private to each side once both
/// make it writable again: neither sees the other's writes.
fn none_region_stays_private() -> CheckOutcome {
    use libposix_sys::mman::{PROT_NONE, PROT_READ, PROT_WRITE};
    let area = PrivatePages::map(1)?;
    area.write(0, 5);
    protect(&area, PROT_NONE)?;
    let (protected, child) = with_waiting_child(
        || {
            protect(&area, PROT_READ | PROT_WRITE).is_ok() && {
                let seen = area.read(0);
                area.write(0, 9);
                seen == 5
            }
        },
        || {
            let protected = protect(&area, PROT_READ | PROT_WRITE);
            if protected.is_ok() {
                area.write(0, 6);
            }
            protected
        },
    )?;
    protected?;
    child.map_err(|error| format!("the child saw our write: {error}"))?;
    match area.read(0) {
        6 => Ok(()),
        other => Err(format!("our page holds {other}, not our 6")),
    }
}

/// A region `mremap` grows in place and one it moves (a page of ours follows it, so it cannot
/// grow where it is) while a child shares them keep the page we copied, and our writes to them
/// stay ours.
fn moved_region_stays_copy_on_write() -> CheckOutcome {
    region_stays_copy_on_write_through_mremap(false)?;
    region_stays_copy_on_write_through_mremap(true)
}

fn region_stays_copy_on_write_through_mremap(blocked: bool) -> CheckOutcome {
    use libposix_sys::mman::{
        MAP_ANONYMOUS, MAP_FIXED_NOREPLACE, MAP_PRIVATE, MREMAP_MAYMOVE, PROT_READ, PROT_WRITE,
    };
    let area = PrivatePages::map(2)?;
    // Taken already, or now ours: either way the region cannot grow in place.
    let blocker = blocked
        .then(|| {
            libos::memory::mmap(
                area.address + 2 * libos::abi::PAGE_SIZE,
                libos::abi::PAGE_SIZE,
                PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                -1,
                0,
            )
            .ok()
        })
        .flatten();
    area.write(0, 5);
    area.write(1, 5);
    let (outcome, child) = with_waiting_child(
        || area.read(0) == 5 && area.read(1) == 5,
        || {
            area.write(0, 6);
            let size = 2 * libos::abi::PAGE_SIZE;
            let moved = libos::memory::mremap(area.address, size, 2 * size, MREMAP_MAYMOVE, 0);
            moved.map(|address| {
                let moved = PrivatePages {
                    address,
                    pages: 4,
                    frame: None,
                };
                if blocked && address == area.address {
                    return false;
                }
                let kept = moved.read(0) == 6 && moved.read(1) == 5;
                moved.write(1, 8);
                kept
            })
        },
    )?;
    // The area moved or grew: nothing is left at its old place for its drop to unmap.
    core::mem::forget(area);
    if let Some(page) = blocker {
        let _ = libos::memory::munmap(page, libos::abi::PAGE_SIZE);
    }
    match outcome {
        Err(error) => Err(format!("mremap: {error:?}")),
        Ok(false) => Err(format!(
            "the region (blocked: {blocked}) lost what it held or did not move"
        )),
        Ok(true) => child.map_err(|error| format!("the child saw our writes: {error}")),
    }
}

/// Pages written while a child shares them: eight times the copy pool's 256 slots.
const MANY_PAGES: u64 = 2048;

/// A parent writes 8 MiB of pages a live child still shares: more pages than its copy pool
/// has slots, so the copies must take fewer slots than pages (blocks of pages in one frame
/// once the pool runs low) — neither side may die of it or see the other's writes.
fn copy_on_write_beyond_the_pool() -> CheckOutcome {
    let area = PrivatePages::map(MANY_PAGES)?;
    (0..MANY_PAGES).for_each(|page| area.write(page, page));
    let (kept, child) = with_waiting_child(
        || (0..MANY_PAGES).all(|page| area.read(page) == page),
        || {
            (0..MANY_PAGES).for_each(|page| area.write(page, page * 3));
            (0..MANY_PAGES).all(|page| area.read(page) == page * 3)
        },
    )?;
    if !kept {
        return Err(String::from("a page lost our write"));
    }
    child.map_err(|error| format!("the child saw our writes or died: {error}"))
}

/// The bodies run in a freshly started copy of this program (`in_child`).
pub const BODIES: &[(&str, crate::in_child::Body)] =
    &[("read_only_first_page", behind_a_read_only_first_page)];

/// Run in a fresh process, whose address space no earlier fork made copy-on-write anywhere.
fn copy_on_write_behind_a_read_only_first_page() -> CheckOutcome {
    crate::in_child::in_child_with("read_only_first_page", 0)
}

/// One mapping of a four-page frame whose first page we made read-only while the rest stays
/// writable is copy-on-write as a whole: a child must not see our later writes to the rest (a
/// mapping record's access was its first page's, so fork took it for read-only and shared it).
fn behind_a_read_only_first_page(_: i32) -> Result<(), String> {
    use libos::abi::{Call, PageAddress, PageCount, Rights, initial};
    let area = PrivatePages::map_one_frame(4)?;
    (0..4).for_each(|page| area.write(page, page));
    libos::kernel::call(Call::Protect {
        address_space: initial::SELF_ADDRESS_SPACE,
        address: PageAddress(area.address),
        pages: PageCount(1),
        rights: Rights::READ,
    })
    .map_err(|e| format!("Protect: {e:?}"))?;
    isolated_from_later_writes(&area, 2, 2)
}

/// Private anonymous pages of ours, one word of each written or read by the checks; unmapped
/// when dropped.
struct PrivatePages {
    address: u64,
    pages: u64,
    /// The frame capability when the pages are one frame mapped by us, not `mmap`'s.
    frame: Option<libos::abi::Slot>,
}

impl PrivatePages {
    fn map(pages: u64) -> Result<Self, String> {
        use libposix_sys::mman::{MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE};
        let address = libos::memory::mmap(
            0,
            pages * libos::abi::PAGE_SIZE,
            PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS,
            -1,
            0,
        )
        .map_err(|e| format!("mmap: {e:?}"))?;
        Ok(Self {
            address,
            pages,
            frame: None,
        })
    }

    /// `pages` pages of one frame in one mapping, where `mmap` had room for them.
    fn map_one_frame(pages: u64) -> Result<Self, String> {
        let address = Self::map(pages)?.address;
        let frame = libos::memory::allocate_and_map(
            libos::abi::initial::MEMORY_QUOTA,
            address,
            pages,
            true,
        )
        .map_err(|e| format!("allocate_and_map: {e:?}"))?;
        Ok(Self {
            address,
            pages,
            frame: Some(frame),
        })
    }

    /// The first word of `page`, which must be below the area's pages.
    fn word(&self, page: u64) -> *mut u64 {
        assert!(page < self.pages, "page {page} beyond the area");
        (self.address + page * libos::abi::PAGE_SIZE) as *mut u64
    }

    fn write(&self, page: u64, value: u64) {
        // SAFETY: `word` checked the page is inside the area, which stays mapped while `self`
        // lives.
        unsafe { self.word(page).write_volatile(value) }
    }

    fn read(&self, page: u64) -> u64 {
        // SAFETY: as in `write`.
        unsafe { self.word(page).read_volatile() }
    }
}

impl Drop for PrivatePages {
    fn drop(&mut self) {
        match self.frame {
            None => {
                let _ = libos::memory::munmap(self.address, self.pages * libos::abi::PAGE_SIZE);
            }
            Some(frame) => {
                let own = libos::abi::initial::SELF_ADDRESS_SPACE;
                let _ = libos::memory::unmap(own, self.address, self.pages);
                let _ = libos::kernel::call(libos::abi::Call::CapabilityDelete { slot: frame });
                libos::slots::free(frame);
            }
        }
    }
}

fn child_identity() -> CheckOutcome {
    let ours = getpid().map_err(|e| format!("getpid: {e:?}"))?;
    let pid = fork().map_err(|e| format!("fork: {e:?}"))?;
    if pid == 0 {
        let good = getpid().is_ok_and(|own| own != ours && own > 1) && getppid() == Ok(ours);
        _exit(i32::from(!good));
    }
    expect_exit(pid, 0)
}

fn heap_after_fork() -> CheckOutcome {
    let mut shared: Vec<u64> = (0..4096).collect();
    let pid = fork().map_err(|e| format!("fork: {e:?}"))?;
    if pid == 0 {
        let fresh: Vec<u64> = (0..10_000).map(|value| value * 3).collect();
        shared.iter_mut().for_each(|value| *value += 1);
        let good = fresh[9_999] == 29_997 && shared[4_095] == 4_096;
        _exit(i32::from(!good));
    }
    expect_exit(pid, 0)?;
    if shared[4_095] != 4_095 {
        return Err(format!("the parent's vector changed: {}", shared[4_095]));
    }
    Ok(())
}

fn many_children() -> CheckOutcome {
    // 100 children, ten alive at a time (each costs its address space's 257 pages up front).
    for round in 0..10 {
        children_round(round * 10)?;
    }
    Ok(())
}

fn children_round(first: u64) -> CheckOutcome {
    const CHILDREN: u64 = 10;
    fill(0x4444);
    let mut pids = Vec::new();
    for index in first..first + CHILDREN {
        let pid = fork().map_err(|e| format!("fork {index}: {e:?}"))?;
        if pid == 0 {
            // Each child changes the whole buffer and exits with a value derived from it.
            fill(index);
            let derived = BUFFER[5].load(Ordering::Relaxed) ^ 5;
            _exit(derived as i32);
        }
        pids.push((pid, index));
    }
    for _ in 0..CHILDREN {
        let mut status = 0;
        let pid = libos::process::identity::wait4(-1, Some(&mut status), 0, None)
            .map_err(|e| format!("wait4: {e:?}"))?;
        let Some(position) = pids.iter().position(|&(child, _)| child == pid) else {
            return Err(format!("wait4 returned unknown pid {pid}"));
        };
        let (_, index) = pids.swap_remove(position);
        if !WIFEXITED(status) || WEXITSTATUS(status) as u64 != index {
            return Err(format!("child {index}: status {status:#x}"));
        }
    }
    if !holds(0x4444) {
        return Err(String::from("the parent's buffer changed"));
    }
    Ok(())
}

/// A grandchild whose parent ended sees init (pid 1) as its parent; it reports through a
/// notification its grandparent made before forking (fork copies the capability).
fn orphan_reparented() -> CheckOutcome {
    use libos::abi::{Call, initial};
    use libos::kernel::call;
    let report = libos::slots::allocate().ok_or_else(|| String::from("no slot"))?;
    call(Call::NotificationCreate {
        quota: initial::MEMORY_QUOTA,
        destination: report,
    })
    .map_err(|e| format!("notification: {e:?}"))?;
    let outcome = (|| {
        let child = fork().map_err(|e| format!("fork: {e:?}"))?;
        if child == 0 {
            let parent = getpid().unwrap_or(0);
            match fork() {
                Ok(0) => {
                    // Wait (at most ten seconds: a busy host slows the guest several times)
                    // for our parent to end and the server to notice.
                    let end = libos::kernel::clock_nanoseconds() + 10_000_000_000;
                    let mut seen = getppid();
                    while seen == Ok(parent) && libos::kernel::clock_nanoseconds() < end {
                        libos::kernel::yield_now();
                        seen = getppid();
                    }
                    let bits = if seen == Ok(1) { 1 } else { 2 };
                    let _ = call(Call::NotificationSignal {
                        notification: report,
                        bits,
                    });
                    _exit(0);
                }
                Ok(_) => _exit(0),
                Err(_) => _exit(1),
            }
        }
        // The server reparents an orphan when its parent ends, before anyone collects it.
        let report_bits = call(Call::NotificationWait {
            notification: report,
            timeout: 20_000_000_000,
        });
        expect_exit(child, 0)?;
        let bits = report_bits.map_err(|e| format!("no report from the grandchild: {e:?}"))?[0];
        if bits != 1 {
            return Err(format!("the orphan's parent was not init (report {bits})"));
        }
        Ok(())
    })();
    let _ = call(Call::CapabilityDelete { slot: report });
    libos::slots::free(report);
    outcome
}

/// A grandchild outlives the collection of its parent, whose quota its memory was split from:
/// after we collect the middle child, the orphan still reads the pages it shares with its
/// dead parent, copies new ones on write and reports; once init has collected it too, the
/// middle child's kept quota is revoked at our next wait.
fn orphan_survives_parent_collected() -> CheckOutcome {
    use libos::abi::{Call, initial};
    use libos::kernel::call;
    let mut notifications = [None, None];
    for place in &mut notifications {
        let slot = libos::slots::allocate().ok_or_else(|| String::from("no slot"))?;
        call(Call::NotificationCreate {
            quota: initial::MEMORY_QUOTA,
            destination: slot,
        })
        .map_err(|e| format!("notification: {e:?}"))?;
        *place = Some(slot);
    }
    let [Some(go), Some(report)] = notifications else {
        return Err(String::from("no notification"));
    };
    fill(0x5151);
    let outcome = (|| {
        let child = fork().map_err(|e| format!("fork: {e:?}"))?;
        if child == 0 {
            // The middle child: one page of the buffer its own, shared with the grandchild.
            BUFFER[0].store(0x6262, Ordering::Relaxed);
            match fork() {
                Ok(0) => {
                    let waited = call(Call::NotificationWait {
                        notification: go,
                        timeout: 20_000_000_000,
                    });
                    let mut bits = if waited.is_ok() { 1 } else { 2 };
                    // The page the middle child wrote, a page of ours, and a copy of our own.
                    if BUFFER[0].load(Ordering::Relaxed) != 0x6262
                        || BUFFER[4096].load(Ordering::Relaxed) != 0x5151 ^ 4096
                    {
                        bits |= 4;
                    }
                    BUFFER[4096].store(0x7373, Ordering::Relaxed);
                    if BUFFER[4096].load(Ordering::Relaxed) != 0x7373 {
                        bits |= 8;
                    }
                    let _ = call(Call::NotificationSignal {
                        notification: report,
                        bits,
                    });
                    _exit(0);
                }
                Ok(_) => _exit(0),
                Err(_) => _exit(1),
            }
        }
        expect_exit(child, 0)?;
        if libos::process::child::kept_quotas() == 0 {
            return Err(String::from("the middle child's quota was not kept"));
        }
        call(Call::NotificationSignal {
            notification: go,
            bits: 1,
        })
        .map_err(|e| format!("signal: {e:?}"))?;
        let bits = call(Call::NotificationWait {
            notification: report,
            timeout: 20_000_000_000,
        })
        .map_err(|e| format!("no report from the orphan (it died with its parent?): {e:?}"))?[0];
        if bits != 1 {
            return Err(format!("the orphan's memory was wrong (report {bits:#x})"));
        }
        if !holds(0x5151) {
            return Err(String::from("our buffer changed"));
        }
        // Init collects the orphan; our next wait then revokes the kept quota.
        let end = libos::kernel::clock_nanoseconds() + 10_000_000_000;
        while libos::process::child::kept_quotas() != 0 {
            if libos::kernel::clock_nanoseconds() > end {
                return Err(String::from("the kept quota was never released"));
            }
            let _ = waitpid(-1, None, libposix_sys::wait::WNOHANG);
            libos::kernel::yield_now();
        }
        Ok(())
    })();
    for slot in [go, report] {
        let _ = call(Call::CapabilityDelete { slot });
        libos::slots::free(slot);
    }
    outcome
}
