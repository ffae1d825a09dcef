//! `spawn_with_gc!(a, b => |ha, hb| async move { .. })`.
//!
//! Reached through `rudo_gc_tokio::spawn_with_gc!`, a `macro_rules!` that
//! passes its own `$crate` first (`path; a, b => ...`), so the expansion
//! names the adapter by whatever path the user has it under.
//!
//! Expansion: an `AsyncHandleScope`, one handle per value (each value
//! borrowed, in order), the closure called with the handles to make the
//! task's future, and `spawn` of a future that owns the scope and awaits it.
//! The scope lives exactly as long as the task.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprClosure, Token};

/// Most values one call takes.
const MAX_VALUES: usize = 12;

struct Input {
    krate: syn::Path,
    values: Punctuated<Expr, Token![,]>,
    closure: ExprClosure,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let krate = input.call(syn::Path::parse_mod_style)?;
        input.parse::<Token![;]>()?;
        let mut values = Punctuated::new();
        while !input.peek(Token![=>]) {
            if input.is_empty() {
                return Err(input.error(
                    "expected `=>` after the values: spawn_with_gc!(a, b => |a, b| async move { .. })",
                ));
            }
            values.push_value(input.parse::<Expr>()?);
            if input.peek(Token![,]) {
                values.push_punct(input.parse::<Token![,]>()?);
            } else if !input.peek(Token![=>]) {
                return Err(input.error("expected `,` or `=>` after a value"));
            }
        }
        input.parse::<Token![=>]>()?;
        let closure: ExprClosure = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a closure taking one handle per value: `|a, b| async move { .. }`",
            )
        })?;
        let _ = input.parse::<Option<Token![,]>>()?;
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the closure"));
        }
        Ok(Input {
            krate,
            values,
            closure,
        })
    }
}

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input: Input = match syn::parse2(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error(),
    };
    let Input {
        krate,
        values,
        closure,
    } = input;
    let count = values.len();
    if count == 0 || count > MAX_VALUES {
        let span = if count == 0 {
            closure.span()
        } else {
            values.span()
        };
        return syn::Error::new(
            span,
            format!("spawn_with_gc! takes 1 to {MAX_VALUES} values before `=>` (got {count})"),
        )
        .to_compile_error();
    }
    if closure.inputs.len() != count {
        return syn::Error::new(
            closure.inputs.span(),
            format!(
                "the closure takes one handle per value: {count} value(s) before `=>`, {} \
                 parameter(s) here",
                closure.inputs.len()
            ),
        )
        .to_compile_error();
    }
    // One hygiene context for the expansion's own names (the values' spans,
    // used for their error messages, belong to the caller's).
    let call = format_ident!("call{}", count);
    let scope = format_ident!("__gc_scope");
    let task = format_ident!("__gc_task");
    let handles: Vec<_> = (0..count)
        .map(|i| format_ident!("__gc_handle_{}", i))
        .collect();
    let make: Vec<TokenStream> = values
        .iter()
        .zip(&handles)
        .map(|(value, handle)| {
            quote_spanned! {value.span()=>
                let #handle = #scope.handle(&#value);
            }
        })
        .collect();
    quote! {{
        let #scope = #krate::AsyncHandleScope::new();
        #(#make)*
        // Through a function whose bound gives the closure its parameter
        // types (`AsyncHandle<T>` per value), as a direct call would not.
        let #task = #krate::__private::#call(#(#handles,)* #closure);
        #krate::spawn(async move {
            // The scope lives as long as the task, so its handles stay open.
            let #scope = #scope;
            let output = #task.await;
            ::core::mem::drop(#scope);
            output
        })
    }}
}
