//! A fixed-size bit set over borrowed words, with the run operations the frame allocator needs.

/// Bits per storage word.
pub(crate) const BITS_PER_WORD: u64 = u64::BITS as u64;

/// A set of bit indices backed by a borrowed slice of words; bit `i` lives in word `i / 64`.
///
/// Callers keep indices below `64 * words.len()`; the allocator checks them against its own
/// frame count before reaching here.
pub(crate) struct Bitmap<'a> {
    words: &'a mut [u64],
}

/// The word holding bit `index`.
pub(crate) const fn word_of(index: u64) -> usize {
    (index / BITS_PER_WORD) as usize
}

/// A word with bits `low..high` set, where `low < high <= 64`.
const fn mask_between(low: u64, high: u64) -> u64 {
    let below_high = if high == BITS_PER_WORD {
        u64::MAX
    } else {
        (1 << high) - 1
    };
    below_high & (u64::MAX << low)
}

/// Calls `visit(word, mask)` for each word touched by bits `start..start + count`, where
/// `mask` selects the bits of that word inside the run.
fn for_each_word_of_run(start: u64, count: u64, mut visit: impl FnMut(usize, u64) -> bool) {
    let end = start + count;
    let mut position = start;
    while position < end {
        let word_start = position - position % BITS_PER_WORD;
        let word_end = (word_start + BITS_PER_WORD).min(end);
        let mask = mask_between(position - word_start, word_end - word_start);
        if !visit(word_of(position), mask) {
            return;
        }
        position = word_end;
    }
}

impl<'a> Bitmap<'a> {
    /// A bitmap over `words`, cleared.
    pub(crate) fn new_cleared(words: &'a mut [u64]) -> Self {
        words.fill(0);
        Self { words }
    }

    /// Word `index` of the backing storage, for callers that summarise it.
    pub(crate) fn word(&self, index: usize) -> u64 {
        self.words[index]
    }

    /// The number of backing words.
    pub(crate) fn word_count(&self) -> usize {
        self.words.len()
    }

    pub(crate) fn contains(&self, index: u64) -> bool {
        self.words[word_of(index)] & (1 << (index % BITS_PER_WORD)) != 0
    }

    pub(crate) fn insert(&mut self, index: u64) {
        self.words[word_of(index)] |= 1 << (index % BITS_PER_WORD);
    }

    pub(crate) fn remove(&mut self, index: u64) {
        self.words[word_of(index)] &= !(1 << (index % BITS_PER_WORD));
    }

    /// Sets bit `index` to `value`.
    pub(crate) fn assign(&mut self, index: u64, value: bool) {
        if value {
            self.insert(index);
        } else {
            self.remove(index);
        }
    }

    pub(crate) fn insert_run(&mut self, start: u64, count: u64) {
        for_each_word_of_run(start, count, |word, mask| {
            self.words[word] |= mask;
            true
        });
    }

    pub(crate) fn remove_run(&mut self, start: u64, count: u64) {
        for_each_word_of_run(start, count, |word, mask| {
            self.words[word] &= !mask;
            true
        });
    }

    /// The lowest index in `start..start + count` whose bit is clear.
    pub(crate) fn first_absent_in_run(&self, start: u64, count: u64) -> Option<u64> {
        let mut found = None;
        for_each_word_of_run(start, count, |word, mask| {
            let absent = !self.words[word] & mask;
            if absent != 0 {
                found = Some(word as u64 * BITS_PER_WORD + u64::from(absent.trailing_zeros()));
            }
            found.is_none()
        });
        found
    }

    /// The lowest index in `start..start + count` whose bit is set.
    pub(crate) fn first_present_in_run(&self, start: u64, count: u64) -> Option<u64> {
        let mut found = None;
        for_each_word_of_run(start, count, |word, mask| {
            let present = self.words[word] & mask;
            if present != 0 {
                found = Some(word as u64 * BITS_PER_WORD + u64::from(present.trailing_zeros()));
            }
            found.is_none()
        });
        found
    }

    /// The lowest set index at or after `start`, scanning word by word.
    pub(crate) fn first_present_from(&self, start: u64) -> Option<u64> {
        let first_word = word_of(start);
        let first = self.words.get(first_word)? & (u64::MAX << (start % BITS_PER_WORD));
        if first != 0 {
            return Some(first_word as u64 * BITS_PER_WORD + u64::from(first.trailing_zeros()));
        }
        self.words[first_word + 1..]
            .iter()
            .position(|&word| word != 0)
            .map(|offset| {
                let word = first_word + 1 + offset;
                word as u64 * BITS_PER_WORD + u64::from(self.words[word].trailing_zeros())
            })
    }

    /// The number of set bits.
    pub(crate) fn count(&self) -> u64 {
        self.words
            .iter()
            .map(|word| u64::from(word.count_ones()))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_cover_exactly_the_requested_bits() {
        assert_eq!(mask_between(0, 64), u64::MAX);
        assert_eq!(mask_between(0, 1), 1);
        assert_eq!(mask_between(63, 64), 1 << 63);
        assert_eq!(mask_between(4, 8), 0xf0);
    }

    #[test]
    fn single_bits() {
        let mut words = [u64::MAX; 2];
        let mut bitmap = Bitmap::new_cleared(&mut words);
        assert!(!bitmap.contains(70));
        bitmap.insert(70);
        assert!(bitmap.contains(70));
        bitmap.assign(70, false);
        assert!(!bitmap.contains(70));
        bitmap.assign(3, true);
        assert_eq!(bitmap.count(), 1);
    }

    #[test]
    fn runs_across_word_boundaries() {
        let mut words = [0; 4];
        let mut bitmap = Bitmap::new_cleared(&mut words);
        bitmap.insert_run(60, 80);
        assert_eq!(bitmap.count(), 80);
        assert!(!bitmap.contains(59) && bitmap.contains(60) && bitmap.contains(139));
        assert!(!bitmap.contains(140));
        assert_eq!(bitmap.first_absent_in_run(60, 80), None);
        assert_eq!(bitmap.first_absent_in_run(50, 20), Some(50));
        assert_eq!(bitmap.first_present_in_run(0, 100), Some(60));
        bitmap.remove_run(64, 64);
        assert_eq!(bitmap.count(), 16);
        assert_eq!(bitmap.first_absent_in_run(60, 10), Some(64));
        assert_eq!(bitmap.first_present_in_run(64, 64), None);
    }

    #[test]
    fn first_present_from_skips_empty_words() {
        let mut words = [0; 4];
        let mut bitmap = Bitmap::new_cleared(&mut words);
        assert_eq!(bitmap.first_present_from(0), None);
        bitmap.insert(200);
        bitmap.insert(5);
        assert_eq!(bitmap.first_present_from(0), Some(5));
        assert_eq!(bitmap.first_present_from(6), Some(200));
        assert_eq!(bitmap.first_present_from(201), None);
        assert_eq!(bitmap.first_present_from(10_000), None);
    }
}
