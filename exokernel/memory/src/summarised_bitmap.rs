//! A bit set with a one-bit-per-word summary and a search hint, so that finding the lowest
//! set bit costs a few word reads instead of a scan of all memory.

use crate::bitmap::{BITS_PER_WORD, Bitmap, word_of};

/// A [`Bitmap`] plus a summary whose bit `w` is set exactly when word `w` has any bit set.
///
/// The search hint is a summary word below which every summary word is zero; allocation
/// only moves it up past exhausted words and freeing only moves it down, so a run of
/// lowest-first searches reads each summary word about once.
pub(crate) struct SummarisedBitmap<'a> {
    bits: Bitmap<'a>,
    summary: Bitmap<'a>,
    search_hint: usize,
}

/// The number of summary words needed for `word_count` words of bits.
pub(crate) const fn summary_words_for(word_count: usize) -> usize {
    word_count.div_ceil(BITS_PER_WORD as usize)
}

impl<'a> SummarisedBitmap<'a> {
    /// An empty set over `words`, summarised in `summary`, which must hold at least
    /// [`summary_words_for`]`(words.len())` words.
    pub(crate) fn new_cleared(words: &'a mut [u64], summary: &'a mut [u64]) -> Self {
        Self {
            bits: Bitmap::new_cleared(words),
            summary: Bitmap::new_cleared(summary),
            search_hint: 0,
        }
    }

    pub(crate) fn contains(&self, index: u64) -> bool {
        self.bits.contains(index)
    }

    pub(crate) fn insert_run(&mut self, start: u64, count: u64) {
        self.bits.insert_run(start, count);
        self.summary
            .insert_run(start / BITS_PER_WORD, Self::words_touched(start, count));
        self.search_hint = self.search_hint.min(word_of(start / BITS_PER_WORD));
    }

    pub(crate) fn remove_run(&mut self, start: u64, count: u64) {
        self.bits.remove_run(start, count);
        let first_word = start / BITS_PER_WORD;
        for word in first_word..first_word + Self::words_touched(start, count) {
            self.summary
                .assign(word, self.bits.word(word as usize) != 0);
        }
    }

    /// The lowest index in `start..start + count` whose bit is clear.
    pub(crate) fn first_absent_in_run(&self, start: u64, count: u64) -> Option<u64> {
        self.bits.first_absent_in_run(start, count)
    }

    /// The lowest index in `start..start + count` whose bit is set.
    pub(crate) fn first_present_in_run(&self, start: u64, count: u64) -> Option<u64> {
        self.bits.first_present_in_run(start, count)
    }

    /// The lowest set index, advancing the search hint past summary words found empty.
    pub(crate) fn lowest(&mut self) -> Option<u64> {
        let hint_bit = self.search_hint as u64 * BITS_PER_WORD;
        let Some(word) = self.summary.first_present_from(hint_bit) else {
            self.search_hint = self.summary.word_count();
            return None;
        };
        self.search_hint = word_of(word);
        Some(word * BITS_PER_WORD + u64::from(self.bits.word(word as usize).trailing_zeros()))
    }

    /// The lowest set index at or after `start`.
    pub(crate) fn first_present_from(&self, start: u64) -> Option<u64> {
        let start_word = word_of(start);
        if start_word >= self.bits.word_count() {
            return None;
        }
        let rest_of_word = BITS_PER_WORD - start % BITS_PER_WORD;
        if let Some(found) = self.bits.first_present_in_run(start, rest_of_word) {
            return Some(found);
        }
        // Words below the hint's summary word are known to be empty.
        let hint_word = self.search_hint as u64 * BITS_PER_WORD;
        let word = self
            .summary
            .first_present_from((start_word as u64 + 1).max(hint_word))?;
        Some(word * BITS_PER_WORD + u64::from(self.bits.word(word as usize).trailing_zeros()))
    }

    /// The number of set bits.
    pub(crate) fn count(&self) -> u64 {
        self.bits.count()
    }

    /// How many words the run `start..start + count` touches (`count` > 0).
    const fn words_touched(start: u64, count: u64) -> u64 {
        (start + count - 1) / BITS_PER_WORD - start / BITS_PER_WORD + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_words_round_up() {
        assert_eq!(summary_words_for(0), 0);
        assert_eq!(summary_words_for(1), 1);
        assert_eq!(summary_words_for(64), 1);
        assert_eq!(summary_words_for(65), 2);
    }

    #[test]
    fn lowest_follows_inserts_and_removals() {
        let mut words = [0; 130];
        let mut summary = [0; 3];
        let mut set = SummarisedBitmap::new_cleared(&mut words, &mut summary);
        assert_eq!(set.lowest(), None);
        set.insert_run(8000, 10);
        set.insert_run(100, 1);
        assert_eq!(set.lowest(), Some(100));
        set.remove_run(100, 1);
        assert_eq!(set.lowest(), Some(8000));
        set.remove_run(8000, 9);
        assert_eq!(set.lowest(), Some(8009));
        set.insert_run(3, 2);
        assert_eq!(set.lowest(), Some(3));
        assert_eq!(set.count(), 3);
    }

    #[test]
    fn first_present_from_crosses_summary_words() {
        let mut words = [0; 130];
        let mut summary = [0; 3];
        let mut set = SummarisedBitmap::new_cleared(&mut words, &mut summary);
        set.insert_run(5, 1);
        set.insert_run(8300, 1);
        assert_eq!(set.first_present_from(0), Some(5));
        assert_eq!(set.first_present_from(6), Some(8300));
        assert_eq!(set.first_present_from(8301), None);
        assert_eq!(set.first_present_from(u64::MAX), None);
        assert!(set.contains(8300));
        assert_eq!(set.first_absent_in_run(8300, 2), Some(8301));
        assert_eq!(set.first_present_in_run(0, 100), Some(5));
    }
}
