//! `#[derive(Trace)]`.
//!
//! For valid input the expansion is:
//!
//! ```text
//! #[automatically_derived]
//! unsafe impl<T: 'static, ..> ::rudo_gc::Trace for Name<T, ..>
//! where /* the type's own where clause */, /* inferred or given bounds */
//! {
//!     const NEEDS_TRACE: bool = false;     // only if no field is traced
//!     const NEEDS_DROP: bool = false || <Field as ::rudo_gc::Trace>::NEEDS_DROP || ..;
//!                                          // unless `#[gc(unsafe_drop)]`
//!     #[inline]
//!     fn trace(&self, visitor: &mut ::rudo_gc::Visitor) {
//!         <Field as ::rudo_gc::Trace>::trace(&self.field, visitor);   // structs
//!         match self {                                               // enums
//!             Self::Variant { field: __binding_0, .. } => {
//!                 <Field as ::rudo_gc::Trace>::trace(__binding_0, visitor);
//!             }
//!         }
//!     }
//! }
//! const _: () = { /* Drop guard, unless `#[gc(unsafe_drop)]` */ };
//! ```
//!
//! `NEEDS_TRACE` is not computed from the fields' `NEEDS_TRACE`: for a
//! recursive type (`struct List { next: Option<Box<List>> }`) that constant
//! would depend on itself and fail to evaluate.
//!
//! For invalid input the expansion is the errors plus an impl with an empty
//! `trace`, so the only messages the user sees are the derive's own.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{DeriveInput, Path, parse_quote};

use crate::bound;
use crate::validate::{self, Body, Container, Derive, Field};

/// Expands `#[derive(Trace)]` on `input`.
pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    validate::expand_with(input, Derive::Trace, expand, fallback)
}

fn expand(container: &Container<'_>) -> TokenStream {
    let krate = container.krate();
    let ident = container.ident;
    let generics = bound::with_static_params(container.generics);
    let trait_path: Path = parse_quote!(#krate::Trace);
    let bounds = match &container.attrs.bound.trace {
        Some(bounds) => bounds.clone(),
        None => bound::infer(
            container.generics,
            ident,
            container.traced_fields().map(|field| field.ty),
            &trait_path,
            bound::Inferring::Trace,
        ),
    };
    let where_clause = bound::extend_where(generics.where_clause.as_ref(), bounds);
    let (impl_generics, ty_generics, _) = generics.split_for_impl();

    let (needs_trace, visitor, body) = if container.traced_fields().next().is_none() {
        (
            quote!(
                const NEEDS_TRACE: bool = false;
            ),
            quote!(_),
            TokenStream::new(),
        )
    } else {
        (
            TokenStream::new(),
            quote!(visitor),
            trace_body(container, &krate),
        )
    };

    let (drop_guard, needs_drop) = if container.attrs.unsafe_drop.is_some() {
        // The type's own `Drop` runs: keep the trait's default (`true`).
        (TokenStream::new(), TokenStream::new())
    } else {
        (drop_guard(container), needs_drop(container, &krate))
    };

    quote! {
        #[automatically_derived]
        unsafe impl #impl_generics #trait_path for #ident #ty_generics #where_clause {
            #needs_trace
            #needs_drop

            #[inline]
            fn trace(&self, #visitor: &mut #krate::Visitor) {
                #body
            }
        }

        #drop_guard
    }
}

/// `const NEEDS_DROP: bool = ...;` for a type without a `Drop` impl: it needs
/// dropping iff a field does. Traced fields answer through their own
/// `NEEDS_DROP` (false for `Gc`/`Weak`, whose drops the collector makes
/// inert); skipped fields through `core::mem::needs_drop`.
///
/// This constant cannot depend on itself: a recursive type recurses through
/// an indirection (`Gc`, `Box`, `Vec`, ...), and every indirection answers
/// without consulting its pointee.
fn needs_drop(container: &Container<'_>, krate: &Path) -> TokenStream {
    let terms = container.fields().map(|field| {
        let ty = field.ty;
        if field.skip {
            quote!(::core::mem::needs_drop::<#ty>())
        } else {
            quote!(<#ty as #krate::Trace>::NEEDS_DROP)
        }
    });
    quote!(const NEEDS_DROP: bool = false #(|| #terms)*;)
}

/// The body of `trace` for a type with at least one traced field.
fn trace_body(container: &Container<'_>, krate: &Path) -> TokenStream {
    match &container.body {
        Body::Struct(fields) => {
            let calls = fields.iter().filter(|field| !field.skip).map(|field| {
                let member = &field.member;
                trace_call(field, krate, &quote!(&self.#member))
            });
            quote!(#(#calls)*)
        }
        Body::Enum(variants) => {
            let arms = variants.iter().map(|variant| {
                let variant_ident = variant.ident;
                let traced: Vec<(usize, &Field<'_>)> = variant
                    .fields
                    .iter()
                    .filter(|field| !field.skip)
                    .enumerate()
                    .collect();
                let patterns = traced.iter().map(|(index, field)| {
                    let member = &field.member;
                    let binding = binding(*index);
                    quote!(#member: #binding)
                });
                let calls = traced.iter().map(|(index, field)| {
                    let binding = binding(*index);
                    trace_call(field, krate, &quote!(#binding))
                });
                // `Self::V { .. }` matches unit, tuple and struct variants
                // alike, and numbered members (`0: __binding_0`) bind tuple
                // fields by position.
                quote! {
                    Self::#variant_ident { #(#patterns,)* .. } => {
                        #(#calls)*
                    }
                }
            });
            quote! {
                match self {
                    #(#arms)*
                }
            }
        }
        // Rejected in `validate`.
        Body::Union(_) => TokenStream::new(),
    }
}

/// `<FieldTy as ::rudo_gc::Trace>::trace(place, visitor);`
///
/// The call names the field's type, with the type's own spans, so an
/// unsatisfied `Trace` bound is reported at the field's type. Every other
/// token keeps the call-site span: giving them the field's span too would
/// make names like `visitor` resolve with the field's hygiene, which differs
/// from the derive's when the field comes from a `macro_rules!` body.
fn trace_call(field: &Field<'_>, krate: &Path, place: &TokenStream) -> TokenStream {
    let ty = field.ty;
    quote! {
        <#ty as #krate::Trace>::trace(#place, visitor);
    }
}

fn binding(index: usize) -> syn::Ident {
    format_ident!("__binding_{}", index)
}

/// Makes a `Drop` impl on the type a compile error, through an impl that
/// conflicts with a blanket impl for every `T: Drop`.
///
/// A `Drop` impl could read a `Gc` field whose target the collector has
/// already destroyed (both ends of a dead cycle are dropped in one pass), so
/// it is allowed only with `#[gc(unsafe_drop)]`. The trait's name is the
/// error message.
fn drop_guard(container: &Container<'_>) -> TokenStream {
    let ident = container.ident;
    let (impl_generics, ty_generics, where_clause) = container.generics.split_for_impl();
    quote! {
        const _: () = {
            #[allow(non_camel_case_types, dead_code)]
            trait Trace_derive_forbids_Drop__add_gc_unsafe_drop_to_opt_in {}
            #[allow(drop_bounds)]
            impl<T: ::core::ops::Drop + ?::core::marker::Sized>
                Trace_derive_forbids_Drop__add_gc_unsafe_drop_to_opt_in for T {}
            impl #impl_generics Trace_derive_forbids_Drop__add_gc_unsafe_drop_to_opt_in
                for #ident #ty_generics #where_clause {}
        };
    }
}

/// An impl that compiles whatever is wrong with the input, so the derive's
/// errors are not followed by "`Trace` is not implemented" elsewhere.
fn fallback(container: &Container<'_>) -> TokenStream {
    let krate = container.krate();
    let ident = container.ident;
    let (generics, ty_args) = bound::erase_lifetimes(container.generics);
    let generics = bound::with_static_params(&generics);
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    quote! {
        #[automatically_derived]
        unsafe impl #impl_generics #krate::Trace for #ident #ty_args #where_clause {
            #[inline]
            fn trace(&self, _: &mut #krate::Visitor) {}
        }
    }
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;

    fn expand(input: DeriveInput) -> String {
        derive(&input).to_string()
    }

    #[test]
    fn unit_struct_needs_no_trace() {
        let out = expand(parse_quote! { struct S; });
        assert!(out.contains("const NEEDS_TRACE : bool = false ;"), "{out}");
        assert!(
            out.contains("fn trace (& self , _ : & mut :: rudo_gc :: Visitor) { }"),
            "{out}"
        );
    }

    #[test]
    fn struct_fields_are_traced_in_order() {
        let out = expand(parse_quote! { struct S { a: u8, #[gc(skip)] b: u8, c: u8 } });
        assert!(!out.contains("NEEDS_TRACE"), "{out}");
        assert!(out.contains(
            "< u8 as :: rudo_gc :: Trace > :: trace (& self . a , visitor) ; < u8 as :: rudo_gc :: Trace > :: trace (& self . c , visitor) ;"
        ), "{out}");
        assert!(!out.contains("self . b"), "{out}");
    }

    #[test]
    fn tuple_struct() {
        let out = expand(parse_quote! { struct S(#[gc(skip)] u8, u16); });
        assert!(
            out.contains("< u16 as :: rudo_gc :: Trace > :: trace (& self . 1 , visitor) ;"),
            "{out}"
        );
    }

    #[test]
    fn enum_arms_bind_only_traced_fields() {
        let out = expand(parse_quote! {
            enum E { A, B(#[gc(skip)] u8, u16), C { x: u8, #[gc(skip)] y: u8 } }
        });
        assert!(out.contains("Self :: A { .. } => { }"), "{out}");
        assert!(out.contains(
            "Self :: B { 1 : __binding_0 , .. } => { < u16 as :: rudo_gc :: Trace > :: trace (__binding_0 , visitor) ; }"
        ), "{out}");
        assert!(out.contains("Self :: C { x : __binding_0 , .. }"), "{out}");
    }

    #[test]
    fn empty_enum() {
        let out = expand(parse_quote! { enum Never {} });
        assert!(out.contains("const NEEDS_TRACE : bool = false ;"), "{out}");
        assert!(!out.contains("match"), "{out}");
    }

    #[test]
    fn generics_get_static_and_inferred_bounds() {
        let out = expand(parse_quote! { struct W<T: Clone, U> where U: Copy { t: T, u: Gc<U> } });
        assert!(out.contains(
            "unsafe impl < T : Clone + 'static , U : 'static > :: rudo_gc :: Trace for W < T , U > where U : Copy , T : :: rudo_gc :: Trace {"
        ), "{out}");
    }

    #[test]
    fn bound_replaces_inference() {
        let out = expand(parse_quote! {
            #[gc(bound = "")]
            struct W<T> { t: Vec<T> }
        });
        assert!(out.contains("for W < T > {"), "{out}");
        let out = expand(parse_quote! {
            #[gc(bound(trace = "T: Clone", gc_free = "T: Copy"))]
            struct W<T> { t: Vec<T> }
        });
        assert!(out.contains("for W < T > where T : Clone {"), "{out}");
    }

    #[test]
    fn crate_path() {
        let out = expand(parse_quote! {
            #[gc(crate = "crate::my_gc")]
            struct S { x: u8 }
        });
        assert!(
            out.contains("unsafe impl crate :: my_gc :: Trace for S"),
            "{out}"
        );
        assert!(
            out.contains("< u8 as crate :: my_gc :: Trace > :: trace (& self . x , visitor)"),
            "{out}"
        );
        assert!(!out.contains("rudo_gc"), "{out}");
    }

    #[test]
    fn drop_guard_unless_unsafe_drop() {
        let out = expand(parse_quote! { struct S<T> where T: Copy { x: T } });
        assert!(out.contains(
            "impl < T > Trace_derive_forbids_Drop__add_gc_unsafe_drop_to_opt_in for S < T > where T : Copy { }"
        ), "{out}");
        let out = expand(parse_quote! { #[gc(unsafe_drop)] struct S { x: u8 } });
        assert!(!out.contains("Drop"), "{out}");
    }

    #[test]
    fn errors_come_with_a_fallback_impl() {
        let out = expand(parse_quote! { #[gc(nope)] struct S<'a, T> { x: &'a T } });
        assert_eq!(out.matches("compile_error").count(), 2, "{out}");
        assert!(out.contains(
            "unsafe impl < T : 'static > :: rudo_gc :: Trace for S < 'static , T > { # [inline] fn trace (& self , _ : & mut :: rudo_gc :: Visitor) { } }"
        ), "{out}");
        assert!(!out.contains("Drop"), "{out}");
    }
}
