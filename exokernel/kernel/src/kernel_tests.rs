//! The kernel's own in-guest tests: the heap, interrupts, the timer, the boot information
//! (the frame allocator's are in `memory/tests.rs`, next to the direct-map access they need).

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use crate::testing::{check, kernel_test};

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
    crate::arch::cpu::breakpoint();
    let after = crate::trap::KERNEL_BREAKPOINTS.load(Ordering::Relaxed);
    check!(
        after == before + 1,
        "breakpoint handler ran {} times",
        after - before
    );
    Ok(())
});

kernel_test!(nmi_in_kernel_mode_is_logged_and_resumed, || {
    let before = crate::trap::KERNEL_NMIS.load(Ordering::Relaxed);
    crate::arch::local_apic::send_nmi_to_self();
    let deadline = crate::arch::timestamp_counter() + 2_000_000_000;
    while crate::trap::KERNEL_NMIS.load(Ordering::Relaxed) == before {
        check!(
            crate::arch::timestamp_counter() < deadline,
            "the NMI never arrived"
        );
        core::hint::spin_loop();
    }
    let after = crate::trap::KERNEL_NMIS.load(Ordering::Relaxed);
    check!(
        after == before + 1,
        "NMI handler ran {} times",
        after - before
    );
    Ok(())
});

kernel_test!(supervisor_protections_are_on_where_the_cpu_has_them, || {
    let supported = crate::arch::cpu::supervisor_protections();
    let enabled = crate::arch::cpu::supervisor_protections_enabled();
    check!(
        supported == enabled,
        "CPUID reports (SMEP, SMAP, UMIP) = {supported:?} but CR4 has {enabled:?}"
    );
    Ok(())
});

kernel_test!(every_kernel_stack_has_an_unmapped_guard_page, || {
    for stack in crate::arch::kernel_stacks::all() {
        check!(
            !crate::arch::paging::is_mapped(stack.guard),
            "the guard page of the {} stack at {:#x} is mapped",
            stack.name,
            stack.guard
        );
        check!(
            crate::arch::paging::is_mapped(stack.guard + 4096)
                && crate::arch::paging::is_mapped(stack.top - 8),
            "the {} stack itself is not mapped",
            stack.name
        );
        check!(
            crate::arch::kernel_stacks::overflowed_stack(stack.guard + 100) == Some(stack.name),
            "a fault in the {} guard would not be reported as its overflow",
            stack.name
        );
    }
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
    let bytes = crate::memory::boot_module_bytes(initramfs);
    let magic = bytes.get(..6).unwrap_or(bytes);
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
        let page = crate::memory::time_page::read(physical);
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
