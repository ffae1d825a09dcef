//! `#[gc::root]`: every `Gc<_>` parameter of an `async fn` is held by a
//! `GcRootGuard` for the whole body.
//!
//! A parameter is guarded when its pattern is a plain binding (`name` or
//! `mut name`) and its type is `Gc<..>` or `&Gc<..>` (by the last path
//! segment, so `rudo_gc::Gc<..>` too). The guards are the body's first
//! statements, so they live until the returned future completes or is
//! dropped.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, Meta, Pat, Token, Type};

use crate::errors::Errors;

/// Whether `ty` is `Gc<..>` (or a reference to one).
fn is_gc(ty: &Type) -> bool {
    match ty {
        Type::Reference(r) => is_gc(&r.elem),
        Type::Paren(p) => is_gc(&p.elem),
        Type::Group(g) => is_gc(&g.elem),
        Type::Path(p) if p.qself.is_none() => p
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "Gc" && !s.arguments.is_none()),
        _ => false,
    }
}

/// The `crate = "..."` option.
fn parse_options(args: TokenStream, errors: &mut Errors) -> Option<syn::Path> {
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args) {
        Ok(metas) => metas,
        Err(e) => {
            errors.push(e);
            return None;
        }
    };
    let mut krate = None;
    for meta in metas {
        match &meta {
            Meta::NameValue(nv) if nv.path.is_ident("crate") => {
                let path = match &nv.value {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => s.parse::<syn::Path>().ok(),
                    _ => None,
                };
                match path {
                    Some(_) if krate.is_some() => {
                        errors.push_at(nv.path.span(), "duplicate option `crate`")
                    }
                    Some(path) => krate = Some(path),
                    None => errors.push_at(
                        nv.value.span(),
                        "`crate` is the path of rudo_gc_tokio as a string, e.g. \"::my_gc\"",
                    ),
                }
            }
            _ => errors.push_at(
                meta.span(),
                "unknown option; #[gc::root] takes only `crate = \"...\"`",
            ),
        }
    }
    krate
}

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut item: ItemFn = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(e) => {
            let error = e.to_compile_error();
            return quote! { #error #item };
        }
    };
    let mut errors = Errors::new();
    let krate =
        parse_options(args, &mut errors).unwrap_or_else(|| syn::parse_quote!(::rudo_gc_tokio));
    if item.sig.asyncness.is_none() {
        errors.push_at(
            item.sig.fn_token.span,
            "#[gc::root] goes on an `async fn` (it guards the `Gc` parameters for as long as the \
             returned future runs); a plain `fn`'s `Gc` parameters need no guard",
        );
    }
    let guards: Vec<TokenStream> = item
        .sig
        .inputs
        .iter()
        .filter_map(|arg| match arg {
            FnArg::Typed(typed) if is_gc(&typed.ty) => match &*typed.pat {
                Pat::Ident(binding) => {
                    let name = &binding.ident;
                    let guard = format_ident!("__gc_root_guard_{}", name);
                    Some(quote_spanned! {typed.ty.span()=>
                        let #guard = #krate::GcRootGuard::new(&#name);
                    })
                }
                _ => None,
            },
            _ => None,
        })
        .collect();
    if let Err(e) = errors.finish() {
        let error = e.to_compile_error();
        return quote! { #error #item };
    }
    let block = &item.block;
    *item.block = syn::parse_quote! {{
        #(#guards)*
        #block
    }};
    quote! { #item }
}
