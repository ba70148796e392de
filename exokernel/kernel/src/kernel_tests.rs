//! The kernel's own in-guest tests: memory, interrupts, the timer, the boot information.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use crate::arch::paging::physical_to_virtual;
use crate::memory::physical;
use crate::testing::{check, kernel_test};

kernel_test!(frame_allocator_hands_out_distinct_writable_frames, || {
    let (free_before, _) = physical::frame_counts();
    let mut frames = Vec::new();
    for _ in 0..64 {
        let frame = physical::allocate_frame()
            .ok_or_else(|| alloc::string::String::from("out of frames"))?;
        check!(frame % 4096 == 0, "frame {frame:#x} is not aligned");
        check!(
            !frames.contains(&frame),
            "frame {frame:#x} handed out twice"
        );
        // SAFETY: the frame is allocated to this test and mapped by the direct map.
        unsafe { core::ptr::write_volatile(physical_to_virtual(frame) as *mut u64, frame) };
        frames.push(frame);
    }
    for &frame in &frames {
        // SAFETY: as above.
        let value = unsafe { core::ptr::read_volatile(physical_to_virtual(frame) as *const u64) };
        check!(
            value == frame,
            "frame {frame:#x} holds {value:#x}: frames overlap"
        );
        physical::free_frame(frame).map_err(|error| alloc::format!("free failed: {error:?}"))?;
    }
    check!(
        physical::free_frame(frames[0]).is_err(),
        "double free was accepted"
    );
    let (free_after, _) = physical::frame_counts();
    check!(
        free_before == free_after,
        "leaked frames: {free_before} free before, {free_after} after"
    );
    Ok(())
});

kernel_test!(
    frame_allocator_never_hands_out_the_kernel_or_modules,
    || {
        let boot = crate::boot_information();
        let (kernel_start, kernel_end) = crate::arch::paging::kernel_physical_range(boot);
        let mut frames = Vec::new();
        while frames.len() < 4096 {
            let Some(frame) = physical::allocate_frame() else {
                break;
            };
            frames.push(frame);
        }
        let mut result = Ok(());
        for &frame in &frames {
            let in_kernel = frame + 4096 > kernel_start && frame < kernel_end;
            let in_module = boot.modules.iter().any(|module| {
                frame + 4096 > module.physical_address
                    && frame < module.physical_address + module.length
            });
            if frame < 0x10_0000 || in_kernel || in_module {
                result = Err(alloc::format!(
                    "frame {frame:#x} overlaps the kernel, a module or low memory"
                ));
            }
        }
        for frame in frames {
            let _ = physical::free_frame(frame);
        }
        result
    }
);

kernel_test!(heap_allocates_and_frees, || {
    let boxed = Box::new([7u8; 1000]);
    let mut list: Vec<u64> = (0..10_000).collect();
    list.retain(|value| value % 3 == 0);
    check!(boxed.iter().all(|&byte| byte == 7), "box contents changed");
    check!(
        list.len() == 3334 && list[3333] == 9999,
        "vector contents wrong"
    );
    Ok(())
});

kernel_test!(breakpoint_exception_returns, || {
    let before = crate::trap::KERNEL_BREAKPOINTS.load(Ordering::Relaxed);
    // SAFETY: `int3` traps to the breakpoint handler, which counts it and returns.
    unsafe { core::arch::asm!("int3") };
    let after = crate::trap::KERNEL_BREAKPOINTS.load(Ordering::Relaxed);
    check!(
        after == before + 1,
        "breakpoint handler ran {} times",
        after - before
    );
    Ok(())
});

kernel_test!(timer_interrupts_arrive, || {
    let start = crate::time::ticks();
    let deadline = crate::arch::timestamp_counter() + 20_000_000_000;
    while crate::time::ticks() < start + 3 {
        check!(
            crate::arch::timestamp_counter() < deadline,
            "no timer tick arrived"
        );
        crate::arch::wait_for_interrupt();
    }
    Ok(())
});

kernel_test!(boot_information_has_memory_and_the_initramfs, || {
    let boot = crate::boot_information();
    let usable: u64 = boot
        .memory_map
        .iter()
        .filter(|region| region.kind == boot::MemoryRegionKind::Usable)
        .map(|region| region.length)
        .sum();
    check!(
        usable >= 16 << 20,
        "only {usable} bytes of usable memory reported"
    );
    check!(
        !boot.modules.is_empty(),
        "no boot module (initramfs) was passed"
    );
    let initramfs = &boot.modules[0];
    // SAFETY: the module is excluded from allocation and mapped by the direct map.
    let magic = unsafe {
        core::slice::from_raw_parts(
            physical_to_virtual(initramfs.physical_address) as *const u8,
            6,
        )
    };
    check!(
        magic == b"070701",
        "the initramfs does not start with a cpio newc header: {magic:?}"
    );
    Ok(())
});

kernel_test!(injected_failure, || {
    // Fails only when asked, so the harness can prove it notices failing tests.
    check!(
        !crate::options().has_flag("test.inject-failure"),
        "failing deliberately (test.inject-failure)"
    );
    Ok(())
});

kernel_test!(real_time_clock_dates_convert_to_unix_seconds, || {
    use crate::arch::real_time_clock::DateTime;
    let date = |year, month, day, hour, minute, second| DateTime {
        year,
        month,
        day,
        hour,
        minute,
        second,
    };
    for (value, expected) in [
        (date(1970, 1, 1, 0, 0, 0), 0),
        (date(2000, 1, 1, 0, 0, 0), 946_684_800),
        (date(2024, 2, 29, 12, 0, 0), 1_709_208_000),
        (date(2038, 1, 19, 3, 14, 8), 2_147_483_648),
    ] {
        check!(
            value.unix_seconds() == expected,
            "{value:?} gave {}, not {expected}",
            value.unix_seconds()
        );
    }
    Ok(())
});

kernel_test!(
    time_page_is_published_and_agrees_with_the_kernel_clock,
    || {
        let physical = crate::time_page::physical_address()
            .ok_or_else(|| alloc::string::String::from("no time page"))?;
        // SAFETY: the published page is a live frame reachable through the direct map.
        let page = unsafe {
            core::ptr::read_volatile(physical_to_virtual(physical) as *const exokernel_abi::TimePage)
        };
        check!(
            page.layout_version == exokernel_abi::TimePage::LAYOUT_VERSION,
            "layout version {}",
            page.layout_version
        );
        let before = crate::time::nanoseconds_since_boot();
        let from_page = page.nanoseconds_since_boot(crate::arch::timestamp_counter());
        let after = crate::time::nanoseconds_since_boot();
        check!(
            before <= from_page && from_page <= after,
            "page {from_page} outside kernel clock {before}..{after}"
        );
        Ok(())
    }
);
