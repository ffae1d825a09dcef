//! The service's graph on rudo-gc: every link is a plain `Gc` (or a `Weak`
//! for the body's back-reference), cycles included, and nothing is ever
//! unlinked by hand: deleting a document just forgets it, and the collector
//! frees the document, its bodies and its comment cycle.
//!
//! ```text
//!   User <--owner-- Doc --comments--> Comment --doc--> (the same Doc)
//!    '----docs-----^ '--body--> Body --doc (weak)--^    '--author--> User
//! ```

use std::collections::HashMap;

use rudo_gc::{Gc, GcMutex, Trace, Weak};

use crate::protocol::Store;

#[derive(Trace)]
struct User {
    name: String,
    docs: GcMutex<Vec<Gc<Doc>>>,
}

#[derive(Trace)]
struct Doc {
    title: String,
    owner: Gc<User>,
    body: GcMutex<Gc<Body>>,
    comments: GcMutex<Vec<Gc<Comment>>>,
}

#[derive(Trace)]
struct Body {
    version: u64,
    text: String,
    doc: Weak<Doc>,
}

#[derive(Trace)]
struct Comment {
    author: Gc<User>,
    doc: Gc<Doc>,
    text: String,
}

#[derive(Trace)]
struct Inner {
    users: HashMap<u64, Gc<User>>,
    docs: HashMap<u64, Gc<Doc>>,
    next_id: u64,
    /// Documents have ids of their own, 1, 2, 3, ...: clients pick among them.
    next_doc: u64,
    /// A sample of replaced bodies and deleted documents, which must die.
    replaced_bodies: Vec<Weak<Body>>,
    deleted_docs: Vec<Weak<Doc>>,
    replacements: u64,
}

/// The store: one `Gc` to the index, which lives in the GC heap too.
pub(crate) struct GcStore {
    inner: Gc<GcMutex<Inner>>,
}

/// One replaced body in this many is kept (as a `Weak`) for the final check.
const SAMPLE: u64 = 8;

impl GcStore {
    pub(crate) fn new() -> GcStore {
        GcStore {
            inner: Gc::new(GcMutex::new(Inner {
                users: HashMap::new(),
                docs: HashMap::new(),
                next_id: 0,
                next_doc: 0,
                replaced_bodies: Vec::new(),
                deleted_docs: Vec::new(),
                replacements: 0,
            })),
        }
    }

    fn id(inner: &mut Inner) -> u64 {
        inner.next_id += 1;
        inner.next_id
    }

    fn doc(&self, id: u64) -> Option<Gc<Doc>> {
        self.inner.lock().docs.get(&id).cloned()
    }
}

impl Store for GcStore {
    fn name(&self) -> &'static str {
        "gc"
    }

    fn add_user(&self, name: &str) -> u64 {
        let mut inner = self.inner.lock();
        let id = GcStore::id(&mut inner);
        let user = Gc::new(User {
            name: name.to_owned(),
            docs: GcMutex::new(Vec::new()),
        });
        inner.users.insert(id, user);
        id
    }

    fn add_doc(&self, user: u64, title: &str) -> Option<u64> {
        let owner = self.inner.lock().users.get(&user).cloned()?;
        let doc = Gc::new_cyclic(|me| Doc {
            title: title.to_owned(),
            owner: owner.clone(),
            body: GcMutex::new(Gc::new(Body {
                version: 0,
                text: String::new(),
                doc: me.clone(),
            })),
            comments: GcMutex::new(Vec::new()),
        });
        owner.docs.lock().push(doc.clone());
        let mut inner = self.inner.lock();
        inner.next_doc += 1;
        let id = inner.next_doc;
        inner.docs.insert(id, doc);
        Some(id)
    }

    fn comment(&self, doc: u64, user: u64, text: &str) -> Option<u64> {
        let (doc, author, id) = {
            let mut inner = self.inner.lock();
            let doc = inner.docs.get(&doc).cloned()?;
            let author = inner.users.get(&user).cloned()?;
            (doc, author, GcStore::id(&mut inner))
        };
        let comment = Gc::new(Comment {
            author,
            doc: doc.clone(),
            text: text.to_owned(),
        });
        doc.comments.lock().push(comment);
        Some(id)
    }

    fn edit(&self, doc: u64, text: &str) -> Option<u64> {
        let doc = self.doc(doc)?;
        let (version, old) = {
            let mut body = doc.body.lock();
            let version = body.version + 1;
            let new = Gc::new(Body {
                version,
                text: text.to_owned(),
                doc: Gc::downgrade(&doc),
            });
            (version, core::mem::replace(&mut *body, new))
        };
        let mut inner = self.inner.lock();
        inner.replacements += 1;
        if inner.replacements.is_multiple_of(SAMPLE) {
            inner.replaced_bodies.push(Gc::downgrade(&old));
        }
        Some(version)
    }

    fn read(&self, doc: u64) -> Option<String> {
        let doc = self.doc(doc)?;
        let body = doc.body.lock().clone();
        let comments = doc.comments.lock();
        let bytes: usize = comments.iter().map(|c| c.text.len()).sum::<usize>() + body.text.len();
        debug_assert!(comments.iter().all(|c| Gc::ptr_eq(&c.doc, &doc)));
        debug_assert!(body.doc.upgrade().is_some());
        Some(format!(
            "{} by {} v{} {} comments {bytes} bytes",
            doc.title,
            doc.owner.name,
            body.version,
            comments.len(),
        ))
    }

    fn delete(&self, doc: u64) -> bool {
        let mut inner = self.inner.lock();
        let Some(doc) = inner.docs.remove(&doc) else {
            return false;
        };
        inner.deleted_docs.push(Gc::downgrade(&doc));
        drop(inner);
        // Forget it; its comments, bodies and their cycles go with it.
        doc.owner.docs.lock().retain(|d| !Gc::ptr_eq(d, &doc));
        true
    }

    fn counts(&self) -> (usize, usize, usize) {
        let inner = self.inner.lock();
        let comments = inner.docs.values().map(|d| d.comments.lock().len()).sum();
        (inner.users.len(), inner.docs.len(), comments)
    }

    fn check_replaced(&self) -> (usize, usize) {
        rudo_gc::collect();
        let inner = self.inner.lock();
        let bodies = inner
            .replaced_bodies
            .iter()
            .filter(|w| w.upgrade().is_some());
        let docs = inner.deleted_docs.iter().filter(|w| w.upgrade().is_some());
        let alive = bodies.count() + docs.count();
        (
            inner.replaced_bodies.len() + inner.deleted_docs.len(),
            alive,
        )
    }
}
