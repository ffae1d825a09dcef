//! `#[derive(GcFree)]`.
//!
//! For valid input the expansion is:
//!
//! ```text
//! #[automatically_derived]
//! unsafe impl<T: 'static, ..> ::rudo_gc::GcFree for Name<T, ..>
//! where /* the type's own where clause */, /* inferred or given bounds */
//! {}
//! const _: () = {
//!     fn __assert_gc_free<T: ?Sized + ::rudo_gc::GcFree>() {}
//!     fn __check<T: 'static, ..>() where /* the same predicates */ {
//!         __assert_gc_free::<FieldTy>();   // for every field, generic or not
//!     }
//! };
//! ```
//!
//! The impl is sound because `__check` has exactly the impl's bounds: whenever
//! the impl applies, every field type is `GcFree`. Bounds only decide *when*
//! the impl applies; the assertion is what rules out a `Gc` field.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{DeriveInput, Path, Type, parse_quote};

use crate::bound;
use crate::validate::{self, Container, Derive};

/// Expands `#[derive(GcFree)]` on `input`.
pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    validate::expand_with(input, Derive::GcFree, expand, fallback)
}

fn expand(container: &Container<'_>) -> TokenStream {
    let krate = container.krate();
    let ident = container.ident;
    let generics = bound::with_static_params(container.generics);
    let (impl_generics, ty_generics, _) = generics.split_for_impl();
    let trait_path: Path = parse_quote!(#krate::GcFree);

    // Field types may say `Self`, which means nothing inside `__check`.
    let self_ty: Type = parse_quote!(#ident #ty_generics);
    let field_types: Vec<(Type, Span)> = container
        .fields()
        .map(|field| {
            let span = field.ty.span().resolved_at(Span::call_site());
            (bound::replace_self(field.ty, &self_ty), span)
        })
        .collect();

    let bounds = match &container.attrs.bound.gc_free {
        Some(bounds) => bounds.clone(),
        None => bound::infer(
            container.generics,
            ident,
            field_types.iter().map(|(ty, _)| ty),
            &trait_path,
            bound::Inferring::GcFree,
        ),
    };
    let where_clause = bound::extend_where(generics.where_clause.as_ref(), bounds);

    let assertions = field_types.iter().map(|(ty, span)| {
        quote_spanned! {*span=>
            __assert_gc_free::<#ty>();
        }
    });

    quote! {
        #[automatically_derived]
        unsafe impl #impl_generics #trait_path for #ident #ty_generics #where_clause {}

        const _: () = {
            #[allow(dead_code)]
            fn __assert_gc_free<T: ?::core::marker::Sized + #trait_path>() {}
            #[allow(dead_code)]
            fn __check #impl_generics () #where_clause {
                #(#assertions)*
            }
        };
    }
}

/// An impl that compiles whatever is wrong with the input, so the derive's
/// errors are not followed by "`GcFree` is not implemented" elsewhere.
fn fallback(container: &Container<'_>) -> TokenStream {
    let krate = container.krate();
    let ident = container.ident;
    let (generics, ty_args) = bound::erase_lifetimes(container.generics);
    let generics = bound::with_static_params(&generics);
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    quote! {
        #[automatically_derived]
        unsafe impl #impl_generics #krate::GcFree for #ident #ty_args #where_clause {}
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
    fn every_field_is_asserted() {
        let out = expand(parse_quote! {
            struct S<T> { a: u8, b: Vec<T>, c: Option<Box<Self>> }
        });
        assert!(out.contains(
            "unsafe impl < T : 'static > :: rudo_gc :: GcFree for S < T > where Vec < T > : :: rudo_gc :: GcFree { }"
        ), "{out}");
        assert!(out.contains(
            "fn __check < T : 'static > () where Vec < T > : :: rudo_gc :: GcFree { __assert_gc_free :: < u8 > () ; __assert_gc_free :: < Vec < T > > () ; __assert_gc_free :: < Option < Box < S < T > > > > () ; }"
        ), "{out}");
    }

    #[test]
    fn gc_fields_are_asserted_not_bounded() {
        let out = expand(parse_quote! { struct S<T> { a: Option<Gc<T>> } });
        assert!(out.contains("for S < T > { }"), "{out}");
        assert!(
            out.contains("__assert_gc_free :: < Option < Gc < T > > > ()"),
            "{out}"
        );
    }

    #[test]
    fn enums_and_unions() {
        let out = expand(parse_quote! { enum E { A, B(u8), C { x: u16 } } });
        assert!(
            out.contains("__assert_gc_free :: < u8 > () ; __assert_gc_free :: < u16 > () ;"),
            "{out}"
        );
        let out = expand(parse_quote! { union U { a: u8, b: f32 } });
        assert!(
            out.contains("__assert_gc_free :: < u8 > () ; __assert_gc_free :: < f32 > () ;"),
            "{out}"
        );
    }

    #[test]
    fn bound_and_crate() {
        let out = expand(parse_quote! {
            #[gc(crate = "my_gc", bound(gc_free = "T: my_gc::GcFree"))]
            struct S<T> { a: Vec<T> }
        });
        assert!(out.contains(
            "unsafe impl < T : 'static > my_gc :: GcFree for S < T > where T : my_gc :: GcFree { }"
        ), "{out}");
        assert!(!out.contains("rudo_gc ::"), "{out}");
    }

    #[test]
    fn skip_is_an_error_with_a_fallback() {
        let out = expand(parse_quote! { struct S { #[gc(skip)] a: u8 } });
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
        assert!(
            out.contains("unsafe impl :: rudo_gc :: GcFree for S { }"),
            "{out}"
        );
        assert!(!out.contains("__check"), "{out}");
    }
}
