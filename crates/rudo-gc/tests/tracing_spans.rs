//! With the `tracing` feature, collections and destruction batches are
//! spans with the documented fields, and a slow pause is a WARN event;
//! checked with a real `tracing-subscriber` registry and a capturing layer.
#![cfg(feature = "tracing")]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rudo_gc::{Gc, GcCell, GcConfig, Trace, collect, collect_minor, config, set_config};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::{LookupSpan, Registry};

/// A span or event as the layer saw it: target, name, level, fields.
#[derive(Clone, Debug)]
struct Seen {
    target: String,
    name: String,
    level: Level,
    fields: HashMap<String, String>,
    /// For events: the name of the span they happened in.
    parent: Option<String>,
}

#[derive(Default)]
struct Captured {
    open: HashMap<u64, Seen>,
    closed: Vec<Seen>,
    events: Vec<Seen>,
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Captured>>);

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.to_string());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().into(), format!("{value:?}"));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        let mut seen = Seen {
            target: attrs.metadata().target().into(),
            name: attrs.metadata().name().into(),
            level: *attrs.metadata().level(),
            fields: HashMap::new(),
            parent: None,
        };
        attrs.record(&mut Fields(&mut seen.fields));
        self.0.lock().unwrap().open.insert(id.into_u64(), seen);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut captured = self.0.lock().unwrap();
        if let Some(seen) = captured.open.get_mut(&id.into_u64()) {
            values.record(&mut Fields(&mut seen.fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut seen = Seen {
            target: event.metadata().target().into(),
            name: event.metadata().name().into(),
            level: *event.metadata().level(),
            fields: HashMap::new(),
            parent: ctx.event_span(event).map(|s| s.name().into()),
        };
        event.record(&mut Fields(&mut seen.fields));
        self.0.lock().unwrap().events.push(seen);
    }

    fn on_close(&self, id: Id, _: Context<'_, S>) {
        let mut captured = self.0.lock().unwrap();
        if let Some(seen) = captured.open.remove(&id.into_u64()) {
            captured.closed.push(seen);
        }
    }
}

/// Runs `f` with the capturing subscriber as this thread's default.
fn capture(f: impl FnOnce()) -> Captured {
    let layer = Capture::default();
    let subscriber = Registry::default().with(layer.clone());
    tracing::subscriber::with_default(subscriber, f);
    std::mem::take(&mut *layer.0.lock().unwrap())
}

/// `set_config` is process-wide: one test at a time changes it.
static SERIAL: Mutex<()> = Mutex::new(());

#[derive(Trace)]
struct Node {
    next: GcCell<Option<Gc<Node>>>,
    #[gc(skip)]
    _droppable: String,
}

fn garbage_cycle() {
    let a = Gc::new(Node {
        next: GcCell::new(None),
        _droppable: "a".into(),
    });
    let b = Gc::new(Node {
        next: GcCell::new(Some(a.clone())),
        _droppable: "b".into(),
    });
    *a.next.borrow_mut() = Some(b);
}

fn collect_spans(c: &Captured) -> Vec<&Seen> {
    c.closed
        .iter()
        .filter(|s| s.target == "rudo_gc" && s.name == "collect")
        .collect()
}

#[test]
fn a_collection_is_a_debug_span_with_every_documented_field() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let captured = capture(|| {
        garbage_cycle();
        collect();
    });
    let spans = collect_spans(&captured);
    let major = spans
        .iter()
        .find(|s| s.fields.get("kind").map(String::as_str) == Some("major"))
        .unwrap_or_else(|| panic!("a major collection span: {spans:?}"));
    assert_eq!(major.level, Level::DEBUG);
    assert_eq!(major.fields["trigger"], "explicit");
    for field in [
        "traced_objects",
        "traced_bytes",
        "freed_objects",
        "freed_bytes",
        "promoted_bytes",
        "pause_us",
        "subtract_us",
        "mark_us",
        "fix_up_us",
    ] {
        let value: u64 = major.fields[field]
            .parse()
            .unwrap_or_else(|_| panic!("{field} is a number: {major:?}"));
        if field == "traced_objects" || field == "freed_objects" {
            assert!(value >= 2, "{field} counts the cycle: {major:?}");
        }
    }
    // The cycle's destructors ran in a `drop_values` span.
    let drops: Vec<&Seen> = captured
        .closed
        .iter()
        .filter(|s| s.target == "rudo_gc" && s.name == "drop_values")
        .collect();
    assert!(
        drops
            .iter()
            .any(|s| s.fields["count"].parse::<u64>().unwrap() >= 2),
        "a drop_values span with the cycle: {drops:?}"
    );
    assert!(drops.iter().all(|s| s.fields.contains_key("time_us")));
}

#[test]
fn minor_and_skipped_collections_say_so() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let captured = capture(|| {
        drop(Gc::new(1_u64));
        collect_minor();
        collect();
        collect(); // nothing changed since: skipped
    });
    let kinds: Vec<(&str, &str)> = collect_spans(&captured)
        .iter()
        .map(|s| (s.fields["trigger"].as_str(), s.fields["kind"].as_str()))
        .collect();
    assert!(kinds.contains(&("explicit_minor", "minor")), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&("explicit", "skipped")), "{kinds:?}");
}

#[test]
fn a_pause_over_the_threshold_is_a_warn_event_inside_the_span() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let old = config();
    // Every pause is over a zero threshold.
    set_config(old.slow_pause(Duration::ZERO));
    let captured = capture(|| {
        garbage_cycle();
        collect();
    });
    set_config(old);
    let warning = captured
        .events
        .iter()
        .find(|e| e.level == Level::WARN && e.target == "rudo_gc")
        .unwrap_or_else(|| panic!("a WARN event: {:?}", captured.events));
    assert_eq!(warning.parent.as_deref(), Some("collect"));
    assert_eq!(warning.fields["threshold_us"], "0");
    assert!(
        warning.fields["message"].contains("GcConfig::slow_pause"),
        "{warning:?}"
    );
    // With the default threshold, a tiny collection does not warn.
    let quiet = capture(|| {
        garbage_cycle();
        collect();
    });
    assert!(
        quiet.events.iter().all(|e| e.level != Level::WARN),
        "{:?}",
        quiet.events
    );
    assert_eq!(GcConfig::default().slow_pause, Duration::from_millis(100));
}

#[test]
fn collections_run_at_safepoints_and_by_the_budget_say_so() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let old = config();
    let captured = capture(|| {
        set_config(old.young_budget_bytes(64 << 10));
        for i in 0..10_000_u64 {
            drop(Gc::new([i; 8])); // ten budgets of garbage: budget collections
        }
        set_config(old.young_budget_bytes(64 << 10).automatic(false));
        for i in 0..10_000_u64 {
            drop(Gc::new([i; 8]));
        }
        rudo_gc::safepoint(); // the due collection runs here
        set_config(old);
    });
    set_config(old);
    let triggers: Vec<&str> = collect_spans(&captured)
        .iter()
        .map(|s| s.fields["trigger"].as_str())
        .collect();
    assert!(triggers.contains(&"budget"), "{triggers:?}");
    assert_eq!(triggers.last(), Some(&"safepoint"), "{triggers:?}");
}
