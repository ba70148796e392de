//! `execve`: this process runs another program in place — same environment, pid, parent and
//! watchers, same capability space — on a fresh address space built by the LibOS.
//!
//! The new image is built from our own quota (`AddressSpaceCreate`, one frame per segment and
//! the stack, as `spawn` builds a child's) into fresh slots; then our old image frames (slots
//! 16–63) and address space (slot 1) move out of the way and the new ones move in, and
//! `EnvironmentReplaceImage` swaps the address space and registers in one call. The descriptors
//! without FD_CLOEXEC survive: their table is handed over in a frame (`io::inheritance`) and the
//! capabilities behind them stay in their slots. The new image's start-up deletes every other
//! slot from 64 to the end of our space (the old image, heap, threads, copy pool and the
//! close-on-exec descriptors' capabilities), before its heap takes one.

use alloc::string::String;
use alloc::vec::Vec;
use core::convert::Infallible;

use exokernel_abi::{Call, KernelError, Slot, UserAddress, initial};
use libposix_sys::errno::Errno;

use super::initramfs::initramfs;
use super::spawn::{
    MAXIMUM_COMMAND_BYTES, SpawnError, build_image, find_program, parse_executable,
};
use crate::kernel::call;
use crate::slots::{self, FORKED_SLOT_COUNT};

/// Linux's `PATH_MAX`: a path this long or longer is `ENAMETOOLONG`.
const PATH_MAXIMUM: usize = 4096;
/// Linux's `NAME_MAX`: the longest path component.
const NAME_MAXIMUM: usize = 255;

/// Percent-encodes `word` for the start-up protocol (spaces, `%` and control bytes escaped).
fn encode_word(word: &str, into: &mut String) {
    for byte in word.bytes() {
        if byte <= b' ' || byte == b'%' || byte >= 0x7f {
            let _ = core::fmt::Write::write_fmt(into, format_args!("%{byte:02X}"));
        } else {
            into.push(byte as char);
        }
    }
}

/// The words encoded and joined by spaces, or `E2BIG` when longer than the protocol carries.
pub(super) fn encode_words(words: &[&str]) -> Result<String, Errno> {
    let mut encoded = String::new();
    for (index, word) in words.iter().enumerate() {
        if index > 0 {
            encoded.push(' ');
        }
        encode_word(word, &mut encoded);
        if encoded.len() > MAXIMUM_COMMAND_BYTES {
            return Err(Errno::E2BIG);
        }
    }
    Ok(encoded)
}

/// `execve`: replaces this process's program with the one at `path` in the initramfs, with
/// `argv` as its words and `envp` as its environment. Returns only on failure.
///
/// # Errors
/// `ENAMETOOLONG` (the path is 4096 bytes or more, or a component is over 255), `ENOENT` (no
/// such program, or an empty path), `E2BIG` (argv or envp over 4096 encoded bytes), `ENOEXEC`
/// (not a static x86_64 executable, however malformed), `ENOMEM` (memory or slots ran out). In
/// every case this process carries on unchanged.
pub fn execve(path: &str, argv: &[&str], envp: &[&str]) -> Result<Infallible, Errno> {
    if path.len() >= PATH_MAXIMUM || path.split('/').any(|part| part.len() > NAME_MAXIMUM) {
        return Err(Errno::ENAMETOOLONG);
    }
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let command = encode_words(argv)?;
    let environment = encode_words(envp)?;
    let archive = initramfs().map_err(|_| Errno::ENOENT)?;
    let image = find_program(archive, path).map_err(|_| Errno::ENOENT)?;
    execute_image(image, &command, &environment)
}

/// Replaces this process's program with the executable `image` (the rest of [`execve`], also
/// used by the conformance checks to hand it corrupt images that no path names). `command`
/// and `environment` are already encoded.
///
/// # Errors
/// `ENOEXEC`, `E2BIG`, `ENOMEM`, as [`execve`].
pub fn execute_image(image: &[u8], command: &str, environment: &str) -> Result<Infallible, Errno> {
    if command.len() > MAXIMUM_COMMAND_BYTES || environment.len() > MAXIMUM_COMMAND_BYTES {
        return Err(Errno::E2BIG);
    }
    let elf = parse_executable(image).map_err(|_| Errno::ENOEXEC)?;
    // The descriptors without FD_CLOEXEC, for the new image's start-up to take over.
    let handover = crate::io::inheritance::prepare(crate::io::inheritance::Receiver::NextImage)?;
    let result = build_and_switch(image, &elf, command, environment);
    if let Some(handover) = handover {
        handover.release();
    }
    result
}

fn build_and_switch(
    image: &[u8],
    elf: &goblin::elf::Elf<'_>,
    command: &str,
    environment: &str,
) -> Result<Infallible, Errno> {
    let address_space = slots::allocate().ok_or(Errno::ENOMEM)?;
    if call(Call::AddressSpaceCreate {
        quota: initial::MEMORY_QUOTA,
        destination: address_space,
    })
    .is_err()
    {
        slots::free(address_space);
        return Err(Errno::ENOMEM);
    }
    let mut frames = Vec::new();
    let built = build_image(
        initial::MEMORY_QUOTA,
        address_space,
        elf,
        image,
        command.as_bytes(),
        environment.as_bytes(),
        &mut frames,
    );
    let image_slots = (initial::FIRST_FREE_SLOT.0 - initial::FIRST_IMAGE_SLOT.0) as usize;
    let result = match built {
        Ok(_) if frames.len() > image_slots => Err(Errno::ENOEXEC),
        Ok(mut registers) => {
            registers.rcx = u64::from(initial::FIRST_FREE_SLOT.0);
            registers.r8 = space_end();
            // Caught signals go back to their default action with the old image's handlers;
            // ignored ones and the mask stay (they are in the signal page, kept at its slot).
            let signals = crate::signal::page::reset_for_exec();
            super::identity::note_exec();
            let result = switch(address_space, &frames, &registers);
            crate::signal::page::restore_after_failed_exec(signals);
            result
        }
        Err(SpawnError::NotExecutable | SpawnError::NotFound) => Err(Errno::ENOEXEC),
        Err(SpawnError::Kernel(_)) => Err(Errno::ENOMEM),
    };
    // Only a failed switch gets here: give back what the new image had.
    for frame in frames {
        let _ = call(Call::CapabilityDelete { slot: frame });
        slots::free(frame);
    }
    let _ = call(Call::CapabilityDelete {
        slot: address_space,
    });
    slots::free(address_space);
    result
}

/// The end of our capability space: a spawned program's 4096 slots or a forked one's 512.
fn space_end() -> u64 {
    let last = Slot((initial::SLOT_COUNT - 1) as u32);
    match call(Call::CapabilityIdentify { slot: last }) {
        Err(KernelError::InvalidSlot) => FORKED_SLOT_COUNT,
        _ => initial::SLOT_COUNT,
    }
}

/// Moves the old image out of slots 1 and 16–63, the new one in, and swaps. Every move is
/// undone if the swap fails.
fn switch(
    address_space: Slot,
    frames: &[Slot],
    registers: &exokernel_abi::RegisterSet,
) -> Result<Infallible, Errno> {
    // (from, to) of every move made, for undoing them.
    let mut moves: Vec<(Slot, Slot)> = Vec::new();
    let result = (|| {
        let moved_out = |from: Slot, moves: &mut Vec<(Slot, Slot)>| -> Result<(), Errno> {
            let to = slots::allocate().ok_or(Errno::ENOMEM)?;
            call(Call::CapabilityMove {
                source: from,
                destination: to,
            })
            .map_err(|_| Errno::ENOMEM)?;
            moves.push((from, to));
            Ok(())
        };
        for slot in initial::FIRST_IMAGE_SLOT.0..initial::FIRST_FREE_SLOT.0 {
            if call(Call::CapabilityIdentify { slot: Slot(slot) }).is_ok() {
                moved_out(Slot(slot), &mut moves)?;
            }
        }
        moved_out(initial::SELF_ADDRESS_SPACE, &mut moves)?;
        let destinations = (initial::FIRST_IMAGE_SLOT.0..).map(Slot);
        for (&frame, destination) in frames
            .iter()
            .chain(core::iter::once(&address_space))
            .zip(destinations)
        {
            let destination = if frame == address_space {
                initial::SELF_ADDRESS_SPACE
            } else {
                destination
            };
            call(Call::CapabilityMove {
                source: frame,
                destination,
            })
            .map_err(|_| Errno::ENOMEM)?;
            moves.push((frame, destination));
        }
        call(Call::EnvironmentReplaceImage {
            environment: initial::SELF_ENVIRONMENT,
            address_space: initial::SELF_ADDRESS_SPACE,
            registers: UserAddress(core::ptr::from_ref(registers) as u64),
        })
        .map_err(|_| Errno::ENOMEM)?;
        // Not reached: the call does not return to this image when it succeeds.
        Err(Errno::ENOMEM)
    })();
    for (from, to) in moves.into_iter().rev() {
        let _ = call(Call::CapabilityMove {
            source: to,
            destination: from,
        });
        if !(initial::FIRST_IMAGE_SLOT.0..initial::FIRST_FREE_SLOT.0).contains(&to.0)
            && to != initial::SELF_ADDRESS_SPACE
        {
            slots::free(to);
        }
    }
    result
}
