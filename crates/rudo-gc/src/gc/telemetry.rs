//! `tracing` spans and events (feature `tracing`; without it every type
//! here is empty and every call compiles away).
//!
//! - Every collection that gets the collection lock is a span of target
//!   `rudo_gc`, name `collect`, level DEBUG. It is created and entered
//!   before the world stops and its fields are recorded after the world is
//!   released: a subscriber's code never runs while the world is stopped
//!   (it could use the heap, which would wait for itself). Fields: `trigger`
//!   (`budget`, `safepoint`, `explicit`, `explicit_minor`, `thread_exit`), `kind`
//!   (`minor`, `major`, or `skipped`), `traced_objects`, `traced_bytes`
//!   (the collected set), `freed_objects`, `freed_bytes`, `promoted_bytes`,
//!   and the times in microseconds: `pause_us`, `subtract_us`, `mark_us`,
//!   `fix_up_us`.
//! - A pause over `GcConfig::slow_pause` is also a WARN event inside that
//!   span, with `pause_us` and `threshold_us`.
//! - Every batch of dead values a thread drops (on its home thread, after a
//!   collection) is a span `drop_values` with `count` and `time_us`.

#[cfg(feature = "tracing")]
use std::time::Instant;

use super::collector::Trigger;
use super::stats::CollectionRecord;

/// What a collection reports to its span.
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
pub(crate) struct CollectionFields<'a> {
    pub(crate) record: &'a CollectionRecord,
    pub(crate) traced_objects: usize,
    pub(crate) traced_bytes: usize,
    pub(crate) promoted_bytes: usize,
}

/// The span of one collection, entered until dropped.
pub(crate) struct CollectionSpan {
    #[cfg(feature = "tracing")]
    span: tracing::span::EnteredSpan,
}

impl CollectionSpan {
    /// Creates and enters the span. Call before the world stops.
    #[inline]
    pub(crate) fn enter(trigger: Trigger) -> CollectionSpan {
        #[cfg(feature = "tracing")]
        {
            use tracing::field::Empty;
            let trigger = match trigger {
                Trigger::Budget => "budget",
                Trigger::Safepoint => "safepoint",
                Trigger::Explicit => "explicit",
                Trigger::ExplicitMinor => "explicit_minor",
                Trigger::ThreadExit => "thread_exit",
            };
            let span = tracing::debug_span!(
                target: "rudo_gc",
                "collect",
                trigger,
                kind = Empty,
                traced_objects = Empty,
                traced_bytes = Empty,
                freed_objects = Empty,
                freed_bytes = Empty,
                promoted_bytes = Empty,
                pause_us = Empty,
                subtract_us = Empty,
                mark_us = Empty,
                fix_up_us = Empty,
            );
            CollectionSpan {
                span: span.entered(),
            }
        }
        #[cfg(not(feature = "tracing"))]
        {
            let _ = trigger;
            CollectionSpan {}
        }
    }

    /// The collection was skipped (nothing changed). Call with the world
    /// running.
    #[inline]
    pub(crate) fn skipped(&self) {
        #[cfg(feature = "tracing")]
        self.span.record("kind", "skipped");
    }

    /// Records what the collection did, and warns about a slow pause. Call
    /// with the world running.
    #[inline]
    pub(crate) fn finished(&self, fields: CollectionFields<'_>) {
        #[cfg(feature = "tracing")]
        {
            let r = fields.record;
            let us = |d: std::time::Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
            let span = &self.span;
            let kind = if r.minor { "minor" } else { "major" };
            span.record("kind", kind);
            span.record("traced_objects", fields.traced_objects as u64);
            span.record("traced_bytes", fields.traced_bytes as u64);
            span.record("freed_objects", r.freed_objects as u64);
            span.record("freed_bytes", r.freed_bytes as u64);
            span.record("promoted_bytes", fields.promoted_bytes as u64);
            span.record("pause_us", us(r.pause));
            span.record("subtract_us", us(r.phases.subtract));
            span.record("mark_us", us(r.phases.mark));
            span.record("fix_up_us", us(r.phases.fix_up));
            let threshold = super::config::slow_pause();
            if r.pause > threshold {
                tracing::warn!(
                    target: "rudo_gc",
                    pause_us = us(r.pause),
                    threshold_us = us(threshold),
                    kind,
                    "rudo-gc: a {kind} collection paused every thread for {:.1?}, over the \
                     {threshold:?} of GcConfig::slow_pause",
                    r.pause,
                );
            }
        }
        #[cfg(not(feature = "tracing"))]
        let _ = fields;
    }
}

/// The span of one batch of dead values being dropped, entered until
/// dropped (then its time is recorded).
pub(crate) struct DropSpan {
    #[cfg(feature = "tracing")]
    span: tracing::span::EnteredSpan,
    #[cfg(feature = "tracing")]
    started: Instant,
}

impl DropSpan {
    /// Creates and enters the span of a batch of `count()` values (`count`
    /// is only called with the feature on and a subscriber listening).
    #[inline]
    pub(crate) fn enter(count: impl FnOnce() -> usize) -> DropSpan {
        #[cfg(feature = "tracing")]
        {
            let span = tracing::debug_span!(
                target: "rudo_gc",
                "drop_values",
                count = tracing::field::Empty,
                time_us = tracing::field::Empty,
            );
            if !span.is_disabled() {
                span.record("count", count() as u64);
            }
            DropSpan {
                span: span.entered(),
                started: Instant::now(),
            }
        }
        #[cfg(not(feature = "tracing"))]
        {
            let _ = count;
            DropSpan {}
        }
    }
}

#[cfg(feature = "tracing")]
impl Drop for DropSpan {
    fn drop(&mut self) {
        let us = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.span.record("time_us", us);
    }
}
