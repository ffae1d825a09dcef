//! `#[gc::main]` and `#[gc::test]`: `#[tokio::main]` / `#[tokio::test]` with
//! the collector's runtime hooks.
//!
//! Stages, as in tokio-macros' `entry.rs`: parse the options, validate them
//! against each other and the function, expand. Every mistake is a spanned
//! error, all are reported at once, and on error the function is still
//! emitted (with its body run nowhere) so the user sees one message, not a
//! cascade from a missing `main`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ItemFn, Lit, Meta, Token};

use crate::errors::Errors;

/// Which attribute.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Main,
    Test,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Main => "gc::main",
            Kind::Test => "gc::test",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavor {
    CurrentThread,
    MultiThread,
}

#[derive(Clone, Copy)]
enum UnhandledPanic {
    Ignore,
    ShutdownRuntime,
}

const OPTIONS: &str = "`flavor`, `worker_threads`, `start_paused`, `unhandled_panic`, `crate`";

/// The options after parsing, each with where it was written.
#[derive(Default)]
struct Options {
    flavor: Option<(Flavor, Span)>,
    worker_threads: Option<(usize, Span)>,
    start_paused: Option<(bool, Span)>,
    unhandled_panic: Option<(UnhandledPanic, Span)>,
    krate: Option<syn::Path>,
}

fn string(value: &Expr) -> Option<&syn::LitStr> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Some(s),
        _ => None,
    }
}

/// Stage 1: the attribute's arguments.
fn parse_options(args: TokenStream, errors: &mut Errors) -> Options {
    let mut options = Options::default();
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args) {
        Ok(metas) => metas,
        Err(e) => {
            errors.push(e);
            return options;
        }
    };
    let mut seen: Vec<String> = Vec::new();
    for meta in metas {
        let Meta::NameValue(nv) = &meta else {
            errors.push_at(
                meta.span(),
                format!("expected `name = value`; the options are {OPTIONS}"),
            );
            continue;
        };
        let Some(name) = nv.path.get_ident().map(ToString::to_string) else {
            errors.push_at(
                nv.path.span(),
                format!("unknown option; expected one of: {OPTIONS}"),
            );
            continue;
        };
        if seen.contains(&name) {
            errors.push_at(nv.path.span(), format!("duplicate option `{name}`"));
            continue;
        }
        seen.push(name.clone());
        let span = nv.value.span();
        match name.as_str() {
            "flavor" => match string(&nv.value).map(syn::LitStr::value).as_deref() {
                Some("multi_thread") => options.flavor = Some((Flavor::MultiThread, span)),
                Some("current_thread") => options.flavor = Some((Flavor::CurrentThread, span)),
                Some("single_thread") => errors.push_at(
                    span,
                    "the single-threaded runtime flavor is called `current_thread`",
                ),
                _ => errors.push_at(span, "`flavor` is \"multi_thread\" or \"current_thread\""),
            },
            "worker_threads" => match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Int(n), ..
                }) => match n.base10_parse::<usize>() {
                    Ok(0) | Err(_) => {
                        errors.push_at(span, "`worker_threads` is a whole number greater than 0")
                    }
                    Ok(n) => options.worker_threads = Some((n, span)),
                },
                _ => errors.push_at(span, "`worker_threads` is a whole number greater than 0"),
            },
            "start_paused" => match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Bool(b), ..
                }) => options.start_paused = Some((b.value, span)),
                _ => errors.push_at(span, "`start_paused` is `true` or `false`"),
            },
            "unhandled_panic" => match string(&nv.value).map(syn::LitStr::value).as_deref() {
                Some("ignore") => options.unhandled_panic = Some((UnhandledPanic::Ignore, span)),
                Some("shutdown_runtime") => {
                    options.unhandled_panic = Some((UnhandledPanic::ShutdownRuntime, span))
                }
                _ => errors.push_at(
                    span,
                    "`unhandled_panic` is \"ignore\" or \"shutdown_runtime\"",
                ),
            },
            "crate" => match string(&nv.value).map(|s| s.parse::<syn::Path>()) {
                Some(Ok(path)) => options.krate = Some(path),
                _ => errors.push_at(
                    span,
                    "`crate` is the path of rudo_gc_tokio as a string, e.g. \"::my_gc\"",
                ),
            },
            other => errors.push_at(
                nv.path.span(),
                format!("unknown option `{other}`; expected one of: {OPTIONS}"),
            ),
        }
    }
    options
}

/// Stage 2: the options against each other, and the function.
fn validate(kind: Kind, options: &Options, item: &ItemFn, errors: &mut Errors) -> Flavor {
    let flavor = options.flavor.map_or(
        match kind {
            Kind::Main => Flavor::MultiThread,
            Kind::Test => Flavor::CurrentThread,
        },
        |(f, _)| f,
    );
    if let Some((_, span)) = options.worker_threads
        && flavor == Flavor::CurrentThread
    {
        errors.push_at(
            span,
            "`worker_threads` needs `flavor = \"multi_thread\"` (a current_thread runtime runs \
             tasks on the calling thread)",
        );
    }
    if let Some((_, span)) = options.start_paused
        && flavor == Flavor::MultiThread
    {
        errors.push_at(
            span,
            "`start_paused` needs `flavor = \"current_thread\"`, as in tokio",
        );
    }
    let sig = &item.sig;
    if sig.asyncness.is_none() {
        errors.push_at(
            sig.fn_token.span,
            format!(
                "#[{}] goes on an `async fn`: the `async` keyword is missing from the function \
                 declaration",
                kind.name()
            ),
        );
    }
    if !sig.inputs.is_empty() {
        errors.push_at(
            sig.inputs.span(),
            format!("the function of #[{}] cannot take arguments", kind.name()),
        );
    }
    if kind == Kind::Test
        && let Some(attr) = item.attrs.iter().find(|a| a.path().is_ident("test"))
    {
        errors.push_at(
            attr.span(),
            "#[gc::test] already makes the function a test; remove this #[test]",
        );
    }
    flavor
}

/// Stage 3.
fn expand_fn(kind: Kind, flavor: Flavor, options: &Options, mut item: ItemFn) -> TokenStream {
    let krate = options
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::rudo_gc_tokio));
    let body = &item.block;
    let span = body.span();
    let builder = match flavor {
        Flavor::MultiThread => quote! { new_multi_thread },
        Flavor::CurrentThread => quote! { new_current_thread },
    };
    let worker_threads = options
        .worker_threads
        .map(|(n, span)| quote_spanned! {span=> builder.worker_threads(#n); });
    let start_paused = options
        .start_paused
        .map(|(on, span)| quote_spanned! {span=> builder.start_paused(#on); });
    let unhandled_panic = options.unhandled_panic.map(|(mode, span)| {
        let mode = match mode {
            UnhandledPanic::Ignore => quote!(Ignore),
            UnhandledPanic::ShutdownRuntime => quote!(ShutdownRuntime),
        };
        // Tokio has the option only with its unstable features; say so
        // rather than leave the user with "no method named unhandled_panic".
        // The `cfg`s carry the macro's own span, so that the user's crate
        // gets no `unexpected_cfgs` warning for a cfg it never wrote.
        let site = Span::mixed_site();
        let stable = quote_spanned! {site=> #[cfg(not(tokio_unstable))] };
        let unstable = quote_spanned! {site=> #[cfg(tokio_unstable)] };
        let error = quote_spanned! {span=>
            ::core::compile_error!(
                "`unhandled_panic` is one of tokio's unstable options: build with \
                 RUSTFLAGS=\"--cfg tokio_unstable\", or remove it"
            );
        };
        quote! {
            #stable
            #error
            #unstable
            builder.unhandled_panic(#krate::__private::tokio::runtime::UnhandledPanic::#mode);
        }
    });
    let new_body: syn::Block = syn::parse_quote_spanned! {span=> {
        let body = async #body;
        #[allow(clippy::expect_used, clippy::diverging_sub_expression, clippy::needless_return)]
        {
            let mut builder = #krate::__private::tokio::runtime::Builder::#builder();
            builder.enable_all();
            #worker_threads
            #start_paused
            #unhandled_panic
            #krate::runtime::install(&mut builder);
            // The root set exists before the first task runs.
            let _ = #krate::GcRootSet::global();
            return builder
                .build()
                .expect("Failed building the Runtime")
                .block_on(body);
        }
    }};
    item.sig.asyncness = None;
    *item.block = new_body;
    let test_attr = (kind == Kind::Test).then(|| quote! { #[::core::prelude::v1::test] });
    quote! {
        #test_attr
        #item
    }
}

/// The whole attribute.
pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let item: ItemFn = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(e) => {
            let error = e.to_compile_error();
            return quote! { #error #item };
        }
    };
    let mut errors = Errors::new();
    let options = parse_options(args, &mut errors);
    let flavor = validate(kind, &options, &item, &mut errors);
    match errors.finish() {
        Ok(()) => expand_fn(kind, flavor, &options, item),
        Err(e) => {
            // Fallback: the function as written, minus `async` (so `main`
            // still exists and no second error follows), plus the errors.
            let error = e.to_compile_error();
            let mut item = item;
            item.sig.asyncness = None;
            let block = &item.block;
            let fallback: syn::Block = syn::parse_quote! {{
                let _ = async #block;
                ::core::unreachable!()
            }};
            *item.block = fallback;
            quote! { #error #item }
        }
    }
}
