//! In-guest tests of the frame allocator, which write and read frames through the direct map.

use alloc::vec::Vec;

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
