//! Random numbers from the processor (`rdrand`), for values that must not be guessable by
//! another process: the tickets under which passed descriptors wait at the socket server.

/// Whether the processor has `rdrand` (CPUID leaf 1, ECX bit 30).
fn available() -> bool {
    let leaf = core::arch::x86_64::__cpuid(1);
    leaf.ecx & (1 << 30) != 0
}

/// A random 64-bit value, or `None` when the processor has no `rdrand` or it keeps failing.
#[must_use]
pub fn random_u64() -> Option<u64> {
    if !available() {
        return None;
    }
    for _ in 0..16 {
        let value: u64;
        let ok: u8;
        // SAFETY: `rdrand` (present, checked above) writes a register and the carry flag and
        // touches no memory.
        unsafe {
            core::arch::asm!(
                "rdrand {value}",
                "setc {ok}",
                value = out(reg) value,
                ok = out(reg_byte) ok,
                options(nomem, nostack),
            );
        }
        if ok != 0 {
            return Some(value);
        }
    }
    None
}
