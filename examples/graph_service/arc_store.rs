//! The baseline: the same graph with `Arc<Mutex<..>>`. Strong cycles
//! (user <-> document, document <-> comment) would leak, so the store breaks
//! them by hand: deleting a document empties its comment list, and dropping
//! the store unlinks everything. Unlinking by hand also asks for care with
//! concurrent requests: `comment` keeps the index locked while it links a
//! comment in, so that a `delete` cannot unlink the document in between.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use crate::protocol::Store;

struct User {
    name: String,
    docs: Mutex<Vec<Arc<Doc>>>,
}

struct Doc {
    title: String,
    owner: Arc<User>,
    body: Mutex<Arc<Body>>,
    comments: Mutex<Vec<Arc<Comment>>>,
}

struct Body {
    version: u64,
    text: String,
    doc: Weak<Doc>,
}

struct Comment {
    #[allow(dead_code)] // kept for the same graph shape as the Gc store
    author: Arc<User>,
    doc: Arc<Doc>,
    text: String,
}

struct Inner {
    users: HashMap<u64, Arc<User>>,
    docs: HashMap<u64, Arc<Doc>>,
    next_id: u64,
    next_doc: u64,
    replaced_bodies: Vec<Weak<Body>>,
    deleted_docs: Vec<Weak<Doc>>,
    replacements: u64,
}

pub(crate) struct ArcStore {
    inner: Mutex<Inner>,
}

const SAMPLE: u64 = 8;

impl ArcStore {
    pub(crate) fn new() -> ArcStore {
        ArcStore {
            inner: Mutex::new(Inner {
                users: HashMap::new(),
                docs: HashMap::new(),
                next_id: 0,
                next_doc: 0,
                replaced_bodies: Vec::new(),
                deleted_docs: Vec::new(),
                replacements: 0,
            }),
        }
    }

    fn id(inner: &mut Inner) -> u64 {
        inner.next_id += 1;
        inner.next_id
    }

    fn doc(&self, id: u64) -> Option<Arc<Doc>> {
        self.inner.lock().unwrap().docs.get(&id).cloned()
    }

    /// Breaks the cycles of a document that leaves the graph.
    fn unlink(doc: &Arc<Doc>) {
        doc.owner
            .docs
            .lock()
            .unwrap()
            .retain(|d| !Arc::ptr_eq(d, doc));
        doc.comments.lock().unwrap().clear();
    }
}

impl Store for ArcStore {
    fn name(&self) -> &'static str {
        "arc"
    }

    fn add_user(&self, name: &str) -> u64 {
        let mut inner = self.inner.lock().unwrap();
        let id = ArcStore::id(&mut inner);
        let user = Arc::new(User {
            name: name.to_owned(),
            docs: Mutex::new(Vec::new()),
        });
        inner.users.insert(id, user);
        id
    }

    fn add_doc(&self, user: u64, title: &str) -> Option<u64> {
        let owner = self.inner.lock().unwrap().users.get(&user).cloned()?;
        let doc = Arc::new_cyclic(|me| Doc {
            title: title.to_owned(),
            owner: owner.clone(),
            body: Mutex::new(Arc::new(Body {
                version: 0,
                text: String::new(),
                doc: me.clone(),
            })),
            comments: Mutex::new(Vec::new()),
        });
        owner.docs.lock().unwrap().push(doc.clone());
        let mut inner = self.inner.lock().unwrap();
        inner.next_doc += 1;
        let id = inner.next_doc;
        inner.docs.insert(id, doc);
        Some(id)
    }

    fn comment(&self, doc: u64, user: u64, text: &str) -> Option<u64> {
        // The index stays locked until the comment is linked in: a `delete`
        // in between would unlink the document first, and the comment pushed
        // after it would close a document <-> comment cycle that nothing
        // breaks any more (a leak the CI run caught). Lock order: the index,
        // then a document's comments (as in `counts`).
        let mut inner = self.inner.lock().unwrap();
        let doc = inner.docs.get(&doc).cloned()?;
        let author = inner.users.get(&user).cloned()?;
        let id = ArcStore::id(&mut inner);
        let comment = Arc::new(Comment {
            author,
            doc: doc.clone(),
            text: text.to_owned(),
        });
        doc.comments.lock().unwrap().push(comment);
        Some(id)
    }

    fn edit(&self, doc: u64, text: &str) -> Option<u64> {
        let doc = self.doc(doc)?;
        let (version, old) = {
            let mut body = doc.body.lock().unwrap();
            let version = body.version + 1;
            let new = Arc::new(Body {
                version,
                text: text.to_owned(),
                doc: Arc::downgrade(&doc),
            });
            (version, core::mem::replace(&mut *body, new))
        };
        let mut inner = self.inner.lock().unwrap();
        inner.replacements += 1;
        if inner.replacements.is_multiple_of(SAMPLE) {
            inner.replaced_bodies.push(Arc::downgrade(&old));
        }
        Some(version)
    }

    fn read(&self, doc: u64) -> Option<String> {
        let doc = self.doc(doc)?;
        let body = doc.body.lock().unwrap().clone();
        let comments = doc.comments.lock().unwrap();
        let bytes: usize = comments.iter().map(|c| c.text.len()).sum::<usize>() + body.text.len();
        debug_assert!(comments.iter().all(|c| Arc::ptr_eq(&c.doc, &doc)));
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
        let mut inner = self.inner.lock().unwrap();
        let Some(doc) = inner.docs.remove(&doc) else {
            return false;
        };
        inner.deleted_docs.push(Arc::downgrade(&doc));
        drop(inner);
        ArcStore::unlink(&doc);
        true
    }

    fn counts(&self) -> (usize, usize, usize) {
        let inner = self.inner.lock().unwrap();
        let comments = inner
            .docs
            .values()
            .map(|d| d.comments.lock().unwrap().len())
            .sum();
        (inner.users.len(), inner.docs.len(), comments)
    }

    fn check_replaced(&self) -> (usize, usize) {
        let inner = self.inner.lock().unwrap();
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

impl Drop for ArcStore {
    fn drop(&mut self) {
        // Without this, every live user <-> document cycle would leak.
        let inner = self.inner.get_mut().unwrap();
        for doc in inner.docs.values() {
            ArcStore::unlink(doc);
        }
        for user in inner.users.values() {
            user.docs.lock().unwrap().clear();
        }
    }
}
