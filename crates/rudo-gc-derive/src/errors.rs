//! Error accumulation.
//!
//! Every stage pushes spanned [`syn::Error`]s here instead of returning at the
//! first one, so a user who wrote three mistakes sees three messages in one
//! build.

use std::fmt::Display;

use proc_macro2::Span;

/// A list of spanned errors, kept as one combined [`syn::Error`].
#[derive(Default)]
pub(crate) struct Errors {
    combined: Option<syn::Error>,
}

impl Errors {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Records `error`, keeping every error recorded before it.
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.combined {
            Some(combined) => combined.combine(error),
            None => self.combined = Some(error),
        }
    }

    /// Records an error with `message` at `span`.
    pub(crate) fn push_at(&mut self, span: Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    /// Returns all recorded errors as one `syn::Error`, or `Ok` if there were
    /// none.
    pub(crate) fn finish(self) -> syn::Result<()> {
        match self.combined {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}
