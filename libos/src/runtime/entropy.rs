//! Entropy for seeding the random generator: the CPU's `RDSEED`/`RDRAND` when it has them, and
//! always timestamp-counter jitter and the clocks on top.

use core::arch::x86_64::{__cpuid, __cpuid_count, _rdrand64_step, _rdseed64_step};

/// How many hardware words to draw (256 bits of seed).
const HARDWARE_WORDS: usize = 4;
/// `RDRAND`/`RDSEED` may fail transiently; Intel's guidance is ten retries.
const HARDWARE_RETRIES: usize = 10;
/// Timestamp samples taken for jitter.
pub const JITTER_SAMPLES: usize = 64;

/// Where the hardware part of a seed came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HardwareSource {
    /// `RDSEED`: the conditioned entropy source itself.
    Rdseed,
    /// `RDRAND`: a generator the CPU reseeds from that source.
    Rdrand,
    /// Neither instruction: only jitter and clocks.
    None,
}

fn has_rdrand() -> bool {
    __cpuid(1).ecx & (1 << 30) != 0
}

fn has_rdseed() -> bool {
    // Leaf 7 is read only when leaf 0 says it exists.
    __cpuid(0).eax >= 7 && __cpuid_count(7, 0).ebx & (1 << 18) != 0
}

#[target_feature(enable = "rdseed")]
fn rdseed_word() -> Option<u64> {
    let mut word = 0;
    for _ in 0..HARDWARE_RETRIES {
        if _rdseed64_step(&mut word) == 1 {
            return Some(word);
        }
    }
    None
}

#[target_feature(enable = "rdrand")]
fn rdrand_word() -> Option<u64> {
    let mut word = 0;
    for _ in 0..HARDWARE_RETRIES {
        if _rdrand64_step(&mut word) == 1 {
            return Some(word);
        }
    }
    None
}

/// Fills `words` from `RDSEED`, else `RDRAND`; returns which answered (`None`: no instruction,
/// or it kept failing, and `words` is untouched).
pub fn hardware_words(words: &mut [u64; HARDWARE_WORDS]) -> HardwareSource {
    let mut fill = |draw: &dyn Fn() -> Option<u64>| {
        let mut drawn = [0u64; HARDWARE_WORDS];
        for word in &mut drawn {
            *word = draw()?;
        }
        *words = drawn;
        Some(())
    };
    // SAFETY: `rdseed_word` runs only on a CPU whose CPUID reports RDSEED.
    if has_rdseed() && fill(&|| unsafe { rdseed_word() }).is_some() {
        return HardwareSource::Rdseed;
    }
    // SAFETY: `rdrand_word` runs only on a CPU whose CPUID reports RDRAND.
    if has_rdrand() && fill(&|| unsafe { rdrand_word() }).is_some() {
        return HardwareSource::Rdrand;
    }
    HardwareSource::None
}

/// Timestamp-counter samples around a little work: their low bits vary with caches, the host's
/// scheduling and (under emulation) the emulator's timing.
pub fn jitter_samples(samples: &mut [u64; JITTER_SAMPLES]) {
    let mut accumulator = 0u64;
    for (index, sample) in samples.iter_mut().enumerate() {
        let before = super::clock::timestamp();
        // Data-dependent work whose duration varies.
        for step in 0..(before & 0x3f) + index as u64 {
            accumulator = accumulator.rotate_left(7) ^ step.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
        *sample = super::clock::timestamp().wrapping_sub(before) ^ accumulator.rotate_left(32);
    }
}
