//! Size classes: which slot size an object of a given size gets.
//!
//! Classes are multiples of 16 bytes (so every slot is 16-aligned), spaced so
//! that consecutive classes differ by at most 25%: an object never wastes more
//! than a quarter of its slot, except the very smallest where the 16-byte
//! granule dominates. Objects above [`MAX_SMALL_SIZE`] live in the large object
//! space.
//!
//! The class of a `Sized` type is a `const`, so the allocation fast path never
//! looks anything up.

/// Slot sizes in bytes, ascending.
pub(crate) const CLASS_SIZES: [usize; NUM_CLASSES] = [
    16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640, 768, 896, 1024,
    1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096,
];

/// Number of size classes.
pub(crate) const NUM_CLASSES: usize = 28;

/// Largest object (header included) that lives in a small-object page.
pub(crate) const MAX_SMALL_SIZE: usize = CLASS_SIZES[NUM_CLASSES - 1];

/// Largest alignment a small-object slot guarantees.
pub(crate) const SMALL_ALIGN: usize = 16;

/// The class index for an object of `size` bytes, or `None` if it is large.
///
/// `const` so that it folds away for `Sized` types.
pub(crate) const fn class_for(size: usize) -> Option<usize> {
    if size > MAX_SMALL_SIZE {
        return None;
    }
    let mut i = 0;
    while i < NUM_CLASSES {
        if CLASS_SIZES[i] >= size {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Runtime twin of [`class_for`] for unsized values, through a lookup table
/// indexed by 16-byte granules.
pub(crate) fn class_for_runtime(size: usize) -> Option<usize> {
    if size > MAX_SMALL_SIZE {
        return None;
    }
    Some(GRANULE_TO_CLASS[size.div_ceil(16)] as usize)
}

const GRANULES: usize = MAX_SMALL_SIZE / 16 + 1;

static GRANULE_TO_CLASS: [u8; GRANULES] = {
    let mut table = [0u8; GRANULES];
    let mut g = 0;
    while g < GRANULES {
        table[g] = match class_for(g * 16) {
            Some(c) => c as u8,
            None => 0,
        };
        g += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_are_ascending_multiples_of_16() {
        for w in CLASS_SIZES.windows(2) {
            assert!(w[0] < w[1]);
        }
        for s in CLASS_SIZES {
            assert_eq!(s % SMALL_ALIGN, 0);
        }
    }

    #[test]
    fn internal_fragmentation_is_bounded() {
        // Every object size that is a multiple of 8 (the header's alignment)
        // from 24 bytes up wastes at most 25% of its slot.
        for size in (24..=MAX_SMALL_SIZE).step_by(8) {
            let class = CLASS_SIZES[class_for(size).unwrap()];
            let waste = (class - size) as f64 / class as f64;
            assert!(waste <= 0.25, "size {size} in class {class} wastes {waste}");
        }
    }

    #[test]
    fn runtime_lookup_matches_const_lookup() {
        for size in (0..=MAX_SMALL_SIZE + 64).step_by(if cfg!(miri) { 13 } else { 1 }) {
            assert_eq!(class_for(size), class_for_runtime(size), "size {size}");
        }
    }
}
