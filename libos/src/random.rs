//! `getrandom` and the generator behind `/dev/random` and `/dev/urandom`: ChaCha20 (the
//! `chacha20` crate's `ChaCha20Rng`, the stream cipher Linux's own generator uses), seeded in
//! each process from the CPU's `RDSEED`/`RDRAND` when present plus timestamp jitter and the
//! clocks, re-keyed from its own output after every request (so a later memory disclosure
//! cannot recover earlier output), and reseeded in a fork child (whose copied state would
//! otherwise repeat its parent's bytes). No state is shared between processes, so nothing here
//! needs an authority.

use chacha20::ChaCha20Rng;
use chacha20::rand_core::{Rng, SeedableRng};
use libposix_sys::errno::Errno;
use libposix_sys::random::{GRND_INSECURE, GRND_NONBLOCK, GRND_RANDOM};

use crate::runtime::entropy::{self, HardwareSource};

/// The seed length of ChaCha20 (a 256-bit key).
const SEED_BYTES: usize = 32;

struct Generator {
    cipher: ChaCha20Rng,
    /// The pid it was seeded in (0: not registered): a different pid means a fork child.
    seeded_in: i32,
    hardware: HardwareSource,
}

static GENERATOR: spin::Mutex<Option<Generator>> = spin::Mutex::new(None);

/// Absorbs `words` into `key`: the key is re-derived as ChaCha20 output keyed by the key with the
/// words folded in, so every input bit affects every key bit.
fn absorb(key: &mut [u8; SEED_BYTES], words: &[u64]) {
    for chunk in words.chunks(SEED_BYTES / 8) {
        for (index, word) in chunk.iter().enumerate() {
            for (byte, value) in key[index * 8..index * 8 + 8]
                .iter_mut()
                .zip(word.to_le_bytes())
            {
                *byte ^= value;
            }
        }
        let mut cipher = ChaCha20Rng::from_seed(*key);
        cipher.fill_bytes(key);
    }
}

/// A fresh seed from every source this process can reach.
fn fresh_seed() -> ([u8; SEED_BYTES], HardwareSource) {
    let mut key = [0u8; SEED_BYTES];
    let mut hardware = [0u64; 4];
    let source = entropy::hardware_words(&mut hardware);
    if source != HardwareSource::None {
        absorb(&mut key, &hardware);
    }
    let mut jitter = [0u64; entropy::JITTER_SAMPLES];
    entropy::jitter_samples(&mut jitter);
    absorb(&mut key, &jitter);
    let realtime = crate::clock::clock_realtime().unwrap_or(0);
    let pid = crate::process::identity::getpid().unwrap_or(0) as u64;
    let stack_address = core::ptr::from_ref(&realtime) as u64;
    absorb(
        &mut key,
        &[
            realtime,
            crate::clock::clock_monotonic(),
            pid,
            stack_address,
        ],
    );
    (key, source)
}

fn with_generator<T>(work: impl FnOnce(&mut Generator) -> T) -> T {
    let pid = crate::process::identity::getpid().unwrap_or(0);
    let mut held = GENERATOR.lock();
    // A fork child reseeds: it must not repeat its parent's bytes.
    if held
        .as_ref()
        .is_some_and(|generator| generator.seeded_in != pid)
    {
        *held = None;
    }
    let generator = held.get_or_insert_with(|| {
        let (seed, hardware) = fresh_seed();
        Generator {
            cipher: ChaCha20Rng::from_seed(seed),
            seeded_in: pid,
            hardware,
        }
    });
    let result = work(generator);
    // Fast key erasure: the key that produced this output is gone.
    let mut next = [0u8; SEED_BYTES];
    generator.cipher.fill_bytes(&mut next);
    generator.cipher = ChaCha20Rng::from_seed(next);
    result
}

/// Fills `buffer` with random bytes (reading `/dev/random` or `/dev/urandom`).
pub fn fill(buffer: &mut [u8]) {
    with_generator(|generator| generator.cipher.fill_bytes(buffer));
}

/// Mixes `bytes` into the generator (writing `/dev/random` or `/dev/urandom`): they change the
/// key but, as on Linux, are not trusted to add entropy.
pub fn mix(bytes: &[u8]) {
    with_generator(|generator| {
        let mut key = [0u8; SEED_BYTES];
        generator.cipher.fill_bytes(&mut key);
        let mut words = alloc::vec::Vec::with_capacity(bytes.len().div_ceil(8));
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            words.push(u64::from_le_bytes(word));
        }
        absorb(&mut key, &words);
        generator.cipher = ChaCha20Rng::from_seed(key);
    });
}

/// Where this process's generator drew its hardware seed from (seeding it if need be).
#[must_use]
pub fn hardware_source() -> HardwareSource {
    with_generator(|generator| generator.hardware)
}

/// 128 unguessable bits for a ticket that names something to a server (a passed descriptor, a
/// socket node): the generator's output, seeded from `RDSEED`/`RDRAND` and jitter, never 0.
#[must_use]
pub fn ticket() -> [u64; 2] {
    loop {
        let (mut low, mut high) = ([0u8; 8], [0u8; 8]);
        fill(&mut low);
        fill(&mut high);
        let words = [u64::from_le_bytes(low), u64::from_le_bytes(high)];
        if words != [0, 0] {
            return words;
        }
    }
}

/// `getrandom`: fills `buffer` with random bytes. The generator is seeded on first use without
/// waiting, so `GRND_NONBLOCK` never has to fail and `GRND_RANDOM` draws from the same
/// generator (as on Linux since 5.6).
///
/// # Errors
/// `EINVAL` for an unknown flag, or `GRND_INSECURE` with `GRND_RANDOM`.
pub fn getrandom(buffer: &mut [u8], flags: u32) -> Result<usize, Errno> {
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0
        || flags & (GRND_INSECURE | GRND_RANDOM) == GRND_INSECURE | GRND_RANDOM
    {
        return Err(Errno::EINVAL);
    }
    fill(buffer);
    Ok(buffer.len())
}
