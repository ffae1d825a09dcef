//! Smoke test of the whole pipeline.
use rudo_gc::{Gc, GcCell, Trace, Visitor, Weak, collect};

struct Node {
    next: GcCell<Option<Gc<Node>>>,
    val: u64,
}
// SAFETY: visits the one GC pointer field, once.
unsafe impl Trace for Node {
    fn trace(&self, v: &mut Visitor) {
        self.next.trace(v);
    }
}

#[test]
fn smoke() {
    let a = Gc::new(Node {
        next: GcCell::new(None),
        val: 1,
    });
    let b = Gc::new(Node {
        next: GcCell::new(Some(a.clone())),
        val: 2,
    });
    *a.next.borrow_mut() = Some(b.clone());
    let wa: Weak<Node> = Gc::downgrade(&a);
    collect();
    assert_eq!(wa.upgrade().unwrap().val, 1);
    drop(a);
    drop(b);
    collect();
    assert!(wa.upgrade().is_none());
    let s: Gc<str> = Gc::from("hello");
    let v: Gc<[u64]> = Gc::from(vec![1, 2, 3]);
    let mut keep = Vec::new();
    for i in 0..if cfg!(miri) { 2_000 } else { 100_000u64 } {
        let g = Gc::new(Node {
            next: GcCell::new(None),
            val: i,
        });
        if i % 1000 == 0 {
            keep.push(g);
        }
    }
    collect();
    assert_eq!(&*s, "hello");
    assert_eq!(&*v, &[1, 2, 3]);
    assert_eq!(keep.len(), if cfg!(miri) { 2 } else { 100 });
    println!("{:?}", rudo_gc::stats());
}
