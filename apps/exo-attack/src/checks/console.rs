//! The console and the kernel log as an ordinary program meets them: the console it is handed
//! writes but never reads (the keyboard is the terminal server's), and `KernelLogRead` survives
//! every buffer a hostile program can name.

use alloc::format;

use libos::abi::{
    Call, KERNEL_LOG_READ_MAXIMUM, KernelError, PageCount, Rights, Slot, USER_ADDRESS_LIMIT,
    UserAddress, initial,
};
use libos::kernel::call;
use libos::memory::map;

use crate::arena::Arena;
use crate::ensure;
use crate::support::{Outcome, expect_error, fresh_region, release, slot, step};

fn console_read(console: Slot, buffer: u64, length: u64) -> Result<[u64; 6], KernelError> {
    call(Call::ConsoleRead {
        console,
        buffer: UserAddress(buffer),
        length,
    })
}

/// `ConsoleRead` and `ConsoleNotify` on the console we were handed are refused with
/// `InsufficientRights` (checked before the buffer, which stays untouched), and so they are on
/// a copy of it that asks for every right: no copy regains READ. Writing still works.
pub fn console_read_refused_without_read() -> Outcome {
    let copy = slot()?;
    let notification = slot()?;
    let outcome = (|| {
        step(
            "copy asking for every right",
            call(Call::CapabilityCopy {
                source: initial::CONSOLE,
                destination: copy,
                rights: Rights::all(),
            }),
        )?;
        step(
            "notification",
            call(Call::NotificationCreate {
                quota: initial::MEMORY_QUOTA,
                destination: notification,
            }),
        )?;
        let mut buffer = [0xa5u8; 64];
        let address = buffer.as_mut_ptr() as u64;
        for (what, console) in [("the handed console", initial::CONSOLE), ("its copy", copy)] {
            expect_error(
                &format!("ConsoleRead on {what}"),
                console_read(console, address, 64),
                KernelError::InsufficientRights,
            )?;
            expect_error(
                &format!("ConsoleRead on {what} into kernel memory"),
                console_read(console, 0xffff_8000_0000_0000, 64),
                KernelError::InvalidAddress,
            )?;
            expect_error(
                &format!("ConsoleRead on {what} into page 0"),
                console_read(console, 0, 64),
                KernelError::InsufficientRights,
            )?;
            expect_error(
                &format!("ConsoleNotify on {what}"),
                call(Call::ConsoleNotify {
                    console,
                    notification,
                    bits: 1,
                }),
                KernelError::InsufficientRights,
            )?;
        }
        ensure!(
            buffer.iter().all(|&byte| byte == 0xa5),
            "a refused ConsoleRead wrote into the buffer"
        );
        let words = step(
            "ConsoleWrite of nothing",
            call(Call::ConsoleWrite {
                console: initial::CONSOLE,
                buffer: UserAddress(address),
                length: 0,
            }),
        )?;
        ensure!(words[0] == 0, "an empty write wrote {}", words[0]);
        Ok(())
    })();
    release(notification);
    release(copy);
    outcome
}

/// The read-only page of the hostile-buffer check's region.
fn read_only_page(region: u64) -> u64 {
    region + 2 * 4096
}

fn log_read(
    console: Slot,
    buffer: u64,
    length: u64,
    position: u64,
) -> Result<[u64; 6], KernelError> {
    call(Call::KernelLogRead {
        console,
        buffer: UserAddress(buffer),
        length,
        position,
    })
}

/// `KernelLogRead` with every buffer a hostile program can name: kernel memory, the top of
/// user space, page 0, a read-only page, a buffer running into an unmapped page (a partial
/// read, never a crash), lengths past the limit, positions past the end; slots that are not a
/// console. The good read returns boot messages and consistent positions.
pub fn kernel_log_read_hostile_buffers() -> Outcome {
    let arena = Arena::new(16)?;
    let frame = slot()?;
    let region = fresh_region(3);
    let outcome = (|| {
        step(
            "frame",
            call(Call::FrameAllocate {
                quota: arena.quota(),
                destination: frame,
                pages: PageCount(1),
            }),
        )?;
        // Page 0 of the region writable, page 1 unmapped, page 2 read-only (the same frame).
        step(
            "map writable",
            map(
                initial::SELF_ADDRESS_SPACE,
                frame,
                region,
                0,
                1,
                Rights::READ | Rights::WRITE,
            ),
        )?;
        let read_only = read_only_page(region);
        step(
            "map read-only",
            map(
                initial::SELF_ADDRESS_SPACE,
                frame,
                read_only,
                0,
                1,
                Rights::READ,
            ),
        )?;
        let mut good = [0u8; 128];
        let words = step(
            "read the start",
            log_read(initial::CONSOLE, good.as_mut_ptr() as u64, 128, 0),
        )?;
        ensure!(
            words[0] == 128 && words[2] <= words[1] - 128 && words[1] <= words[3],
            "the first read: {words:?}"
        );
        ensure!(
            good.contains(&b'['),
            "the log does not look like log lines: {:?}",
            core::str::from_utf8(&good)
        );
        for (what, address) in [
            ("kernel memory", 0xffff_8000_0000_0000),
            ("the top of user space", USER_ADDRESS_LIMIT - 16),
            ("page 0", 0),
            ("a read-only page", read_only),
        ] {
            expect_error(
                &format!("a log read into {what}"),
                log_read(initial::CONSOLE, address, 64, 0),
                KernelError::InvalidAddress,
            )?;
        }
        // SAFETY: the page is mapped readable (and writable, at `region`) and nothing else
        // uses it.
        let untouched = unsafe { core::ptr::read_volatile(read_only as *const u64) };
        ensure!(
            untouched == 0,
            "the read-only page was written: {untouched:#x}"
        );
        // 512 bytes fit before the unmapped page: those come back, then the read stops.
        let words = step(
            "a read running into an unmapped page",
            log_read(initial::CONSOLE, region + 4096 - 512, u64::MAX, 0),
        )?;
        ensure!(
            words[0] == 512 && words[1] == words[2] + 512,
            "a read running off the mapping: {words:?}"
        );
        let mut large = alloc::vec![0u8; 3 * KERNEL_LOG_READ_MAXIMUM as usize];
        let words = step(
            "a read of u64::MAX bytes",
            log_read(initial::CONSOLE, large.as_mut_ptr() as u64, u64::MAX, 0),
        )?;
        ensure!(
            words[0] <= KERNEL_LOG_READ_MAXIMUM,
            "one read copied {} bytes",
            words[0]
        );
        let words = step(
            "a read past the end",
            log_read(initial::CONSOLE, large.as_mut_ptr() as u64, 64, u64::MAX),
        )?;
        ensure!(
            words[0] == 0 && words[1] == words[3],
            "a read past the end: {words:?}"
        );
        expect_error(
            "a quota as the console",
            log_read(initial::MEMORY_QUOTA, large.as_mut_ptr() as u64, 64, 0),
            KernelError::WrongKind,
        )?;
        expect_error(
            "a slot past the space",
            log_read(Slot(1 << 30), large.as_mut_ptr() as u64, 64, 0),
            KernelError::InvalidSlot,
        )?;
        Ok(())
    })();
    let _ = libos::memory::unmap(initial::SELF_ADDRESS_SPACE, region, 1);
    let _ = libos::memory::unmap(initial::SELF_ADDRESS_SPACE, read_only_page(region), 1);
    release(frame);
    outcome?;
    arena.finish()
}
