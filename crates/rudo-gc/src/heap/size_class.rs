//! Size classes: which slot size an object of a given size gets.
//!
//! Classes are multiples of 8 bytes (the header's alignment): every 8 bytes
//! up to 96, then spaced so that consecutive classes differ by at most 25%,
//! so an object never wastes more than a quarter of its slot, and the small
//! boxes most programs are made of (a header and two to six words) waste
//! none. (With 16-byte steps, GCBench's 56-byte nodes took 64-byte slots and
//! the large-heap workload's 72-byte ones 80; `docs/benchmarks.md`, "Huge
//! pages and 8-byte size classes".) Objects above [`MAX_SMALL_SIZE`] live in the large object
//! space.
//!
//! Alignment: every slot of a class is aligned to [`slot_align`] of its size,
//! the largest power of two dividing it (up to [`MAX_SMALL_ALIGN`]), because
//! a page of that class starts its slots at an offset aligned to it (see
//! `heap::page`). So an over-aligned object takes the smallest class that is
//! both large enough and aligned enough ([`class_for_aligned`]): a 64-aligned
//! `GcBox` of 128 bytes lands in the 128-byte class, among ordinary objects,
//! not in a page of its own. A box aligned to 4096 or more is at least 8 KiB
//! (its header is padded to the alignment), so it is large anyway.
//!
//! The class of a `Sized` type is a `const`, so the allocation fast path never
//! looks anything up.

/// Slot sizes in bytes, ascending.
pub(crate) const CLASS_SIZES: [usize; NUM_CLASSES] = [
    16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512,
    640, 768, 896, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096,
];

/// Number of size classes.
pub(crate) const NUM_CLASSES: usize = 33;

/// Largest object (header included) that lives in a small-object page.
pub(crate) const MAX_SMALL_SIZE: usize = CLASS_SIZES[NUM_CLASSES - 1];

/// Alignment every small-object slot has (every class is a multiple of it).
pub(crate) const SMALL_ALIGN: usize = 8;

/// Largest alignment a small-object class can offer: a box aligned to twice
/// this is at least twice [`MAX_SMALL_SIZE`] bytes.
pub(crate) const MAX_SMALL_ALIGN: usize = MAX_SMALL_SIZE / 2;

/// The alignment of every slot of the class of `slot_size`: the largest
/// power of two dividing it, at most [`MAX_SMALL_ALIGN`].
pub(crate) const fn slot_align(slot_size: usize) -> usize {
    let align = 1 << slot_size.trailing_zeros();
    if align > MAX_SMALL_ALIGN {
        MAX_SMALL_ALIGN
    } else {
        align
    }
}

/// The class index for an object of `size` bytes aligned to `align`, or
/// `None` if it is large (too big, or aligned beyond every class that fits).
pub(crate) const fn class_for_aligned(size: usize, align: usize) -> Option<usize> {
    if align <= SMALL_ALIGN {
        return class_for(size);
    }
    let mut i = 0;
    while i < NUM_CLASSES {
        if CLASS_SIZES[i] >= size && slot_align(CLASS_SIZES[i]) >= align {
            return Some(i);
        }
        i += 1;
    }
    None
}

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
/// indexed by `GRANULE`-byte granules.
pub(crate) fn class_for_runtime(size: usize) -> Option<usize> {
    if size > MAX_SMALL_SIZE {
        return None;
    }
    Some(GRANULE_TO_CLASS[size.div_ceil(GRANULE)] as usize)
}

/// Runtime twin of [`class_for_aligned`] (unsized values: slices of an
/// over-aligned element type).
pub(crate) fn class_for_layout(size: usize, align: usize) -> Option<usize> {
    if align <= SMALL_ALIGN {
        class_for_runtime(size)
    } else {
        class_for_aligned(size, align)
    }
}

/// The step of the runtime lookup table: every class is a multiple of it.
const GRANULE: usize = SMALL_ALIGN;
const GRANULES: usize = MAX_SMALL_SIZE / GRANULE + 1;

static GRANULE_TO_CLASS: [u8; GRANULES] = {
    let mut table = [0u8; GRANULES];
    let mut g = 0;
    while g < GRANULES {
        table[g] = match class_for(g * GRANULE) {
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
    fn classes_are_ascending_multiples_of_the_slot_alignment() {
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
        // from 24 bytes up wastes at most 25% of its slot, and none up to 96.
        for size in (24..=MAX_SMALL_SIZE).step_by(8) {
            let class = CLASS_SIZES[class_for(size).unwrap()];
            let waste = (class - size) as f64 / class as f64;
            assert!(waste <= 0.25, "size {size} in class {class} wastes {waste}");
            if size <= 96 {
                assert_eq!(class, size);
            }
        }
        // A 16-aligned box never lands in an 8-aligned class.
        assert_eq!(class_for_layout(56, 16).map(|c| CLASS_SIZES[c]), Some(64));
        assert_eq!(class_for_layout(56, 8).map(|c| CLASS_SIZES[c]), Some(56));
    }

    #[test]
    fn aligned_classes_fit_and_are_aligned_and_smallest() {
        let mut align = 32;
        while align <= 8192 {
            for size in (align..=MAX_SMALL_SIZE + 16).step_by(16) {
                let class = class_for_aligned(size, align);
                assert_eq!(class, class_for_layout(size, align));
                // The smallest class at least `size` long whose slots are
                // aligned enough, if any.
                let expected = (0..NUM_CLASSES)
                    .find(|&i| CLASS_SIZES[i] >= size && CLASS_SIZES[i].is_multiple_of(align));
                let expected = expected.filter(|_| align <= MAX_SMALL_ALIGN);
                assert_eq!(class, expected, "size {size} align {align}");
            }
            align *= 2;
        }
        // The case: a 64-aligned 64-byte value is a 128-byte box.
        assert_eq!(
            class_for_aligned(128, 64).map(|c| CLASS_SIZES[c]),
            Some(128)
        );
    }

    #[test]
    fn runtime_lookup_matches_const_lookup() {
        for size in (0..=MAX_SMALL_SIZE + 64).step_by(if cfg!(miri) { 13 } else { 1 }) {
            assert_eq!(class_for(size), class_for_runtime(size), "size {size}");
        }
    }
}
