//! Parsing `#[gc(...)]` options.
//!
//! Both derives read the same attribute, so that a type can derive `Trace`
//! and `GcFree` together. This module only turns the attribute into data and
//! reports syntax mistakes; which options each derive accepts is decided in
//! [`validate`](crate::validate).
//!
//! Rules the parser follows:
//!
//! 1. Every option is recognised by name in every position, so that an option
//!    in the wrong place gets "put it there" instead of "unknown option".
//! 2. A mistake in one option is recorded and parsing continues with the next
//!    one, so all mistakes are reported in one build.
//! 3. An option given twice, in one attribute or across several, is an error
//!    at the second occurrence.

use proc_macro2::{Group, Span};
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::{Attribute, Expr, ExprLit, Lit, LitStr, Path, Token, WherePredicate};

use crate::errors::Errors;

/// Options valid on the struct, enum or union itself.
const CONTAINER_OPTIONS: &[&str] = &["crate", "bound", "unsafe_drop"];

/// Options valid on a field.
const FIELD_OPTIONS: &[&str] = &["skip"];

/// The name of the helper attribute.
const ATTR: &str = "gc";

/// Options given on the struct, enum or union.
#[derive(Default)]
pub(crate) struct ContainerAttrs {
    /// `crate = "path"`: where the `rudo_gc` crate is reachable.
    pub(crate) krate: Option<Path>,
    /// `bound = "..."` or `bound(trace = "...", gc_free = "...")`.
    pub(crate) bound: Bound,
    /// `unsafe_drop`: the type may implement `Drop`.
    pub(crate) unsafe_drop: Option<Span>,
}

/// Replacement `where` predicates, per derive. `None` means "infer".
#[derive(Default)]
pub(crate) struct Bound {
    pub(crate) trace: Option<Vec<WherePredicate>>,
    pub(crate) gc_free: Option<Vec<WherePredicate>>,
    /// Whether `bound` was already given, to report duplicates.
    seen: bool,
}

/// Options given on one field.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    /// `skip`: the field is neither traced nor bounded.
    pub(crate) skip: Option<Span>,
}

/// Parses the container's `#[gc(...)]` attributes.
pub(crate) fn container(attrs: &[Attribute], errors: &mut Errors) -> ContainerAttrs {
    let mut out = ContainerAttrs::default();
    for_each_option(attrs, errors, |meta, name, errors| {
        match name.as_str() {
            "crate" => {
                let value = string_value(meta, "crate = \"path::to::rudo_gc\"", errors)?;
                if let Some(span) = out.krate.as_ref().map(|_| meta.path.span()) {
                    errors.push_at(span, duplicate("crate"));
                } else if let Some(lit) = value {
                    match lit.parse::<Path>() {
                        Ok(path) => out.krate = Some(path),
                        Err(err) => errors.push(syn::Error::new(
                            lit.span(),
                            format!("`crate` must be a path, as in `crate = \"::rudo_gc\"`: {err}"),
                        )),
                    }
                }
            }
            "bound" => {
                let duplicate_span = out.bound.seen.then(|| meta.path.span());
                out.bound.seen = true;
                let parsed = bound_value(meta, errors)?;
                if let Some(span) = duplicate_span {
                    errors.push_at(span, duplicate("bound"));
                } else {
                    out.bound.trace = parsed.trace;
                    out.bound.gc_free = parsed.gc_free;
                }
            }
            "unsafe_drop" => {
                no_value(meta, "unsafe_drop", errors)?;
                set_flag(&mut out.unsafe_drop, meta, "unsafe_drop", errors);
            }
            "skip" => {
                errors.push(meta.error(
                    "`skip` is a field option: put `#[gc(skip)]` on each field that should not be traced, not on the type",
                ));
                skip_value(meta)?;
            }
            _ => {
                errors.push(meta.error(unknown(&name, CONTAINER_OPTIONS)));
                skip_value(meta)?;
            }
        }
        Ok(())
    });
    out
}

/// Parses one field's `#[gc(...)]` attributes.
pub(crate) fn field(attrs: &[Attribute], errors: &mut Errors) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    for_each_option(attrs, errors, |meta, name, errors| {
        match name.as_str() {
            "skip" => {
                no_value(meta, "skip", errors)?;
                set_flag(&mut out.skip, meta, "skip", errors);
            }
            "crate" | "bound" | "unsafe_drop" => {
                errors.push(meta.error(format!(
                    "`{name}` is a container option: put `#[gc({})]` on the struct or enum, not on a field",
                    container_example(&name),
                )));
                skip_value(meta)?;
            }
            _ => {
                errors.push(meta.error(unknown(&name, FIELD_OPTIONS)));
                skip_value(meta)?;
            }
        }
        Ok(())
    });
    out
}

/// Rejects `#[gc(...)]` on an enum variant: no option applies to a variant
/// as a whole.
pub(crate) fn variant(attrs: &[Attribute], errors: &mut Errors) {
    for attr in attrs.iter().filter(|attr| attr.path().is_ident(ATTR)) {
        errors.push(syn::Error::new_spanned(
            attr,
            "`gc` options are not supported on enum variants: put `#[gc(skip)]` on the variant's fields, or container options on the enum",
        ));
    }
}

/// Calls `f` with the name of every option in every `#[gc(...)]` attribute.
///
/// `f` records recoverable mistakes in its `Errors` argument and returns `Err`
/// only when it cannot tell where the option ends; parsing then moves on to the
/// next attribute.
fn for_each_option(
    attrs: &[Attribute],
    errors: &mut Errors,
    mut f: impl FnMut(&ParseNestedMeta<'_>, String, &mut Errors) -> syn::Result<()>,
) {
    for attr in attrs.iter().filter(|attr| attr.path().is_ident(ATTR)) {
        let result = attr.parse_nested_meta(|meta| {
            let name = match meta.path.get_ident() {
                Some(ident) => ident.to_string(),
                None => path_to_string(&meta.path),
            };
            f(&meta, name, errors)
        });
        if let Err(err) = result {
            errors.push(err);
        }
    }
}

/// Parses `= "..."`. Returns `None` (after recording an error) if the value is
/// not a string literal.
fn string_value(
    meta: &ParseNestedMeta<'_>,
    example: &str,
    errors: &mut Errors,
) -> syn::Result<Option<LitStr>> {
    if !meta.input.peek(Token![=]) {
        errors.push(meta.error(format!("expected a value, as in `#[gc({example})]`")));
        skip_value(meta)?;
        return Ok(None);
    }
    let expr: Expr = meta.value()?.parse()?;
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Ok(Some(lit)),
        other => {
            errors.push(syn::Error::new_spanned(
                other,
                format!("expected a string literal, as in `#[gc({example})]`"),
            ));
            Ok(None)
        }
    }
}

/// Parses the value of `bound`: either `= "..."` (for both derives) or
/// `(trace = "...", gc_free = "...")` (one per derive, like serde's
/// `bound(serialize = "...", deserialize = "...")`).
fn bound_value(meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<Bound> {
    let mut out = Bound::default();
    if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| {
            let name = match inner.path.get_ident() {
                Some(ident) => ident.to_string(),
                None => path_to_string(&inner.path),
            };
            let slot = match name.as_str() {
                "trace" => &mut out.trace,
                "gc_free" => &mut out.gc_free,
                _ => {
                    errors.push(inner.error(format!(
                        "unknown derive `{name}` in `bound(...)`; expected one of: `trace`, `gc_free`"
                    )));
                    skip_value(&inner)?;
                    return Ok(());
                }
            };
            let example = format!("bound({name} = \"T: Trace\")");
            let lit = string_value(&inner, &example, errors)?;
            if slot.is_some() {
                errors.push(inner.error(format!("duplicate `{name}` in `bound(...)`")));
            } else if let Some(lit) = lit {
                *slot = Some(predicates(&lit, errors));
            }
            Ok(())
        })?;
    } else if let Some(lit) = string_value(meta, "bound = \"T: Trace\"", errors)? {
        let predicates = predicates(&lit, errors);
        out.trace = Some(predicates.clone());
        out.gc_free = Some(predicates);
    }
    Ok(out)
}

/// Parses a string literal as comma-separated `where` predicates. An empty
/// string means "no bounds".
fn predicates(lit: &LitStr, errors: &mut Errors) -> Vec<WherePredicate> {
    match lit.parse_with(Punctuated::<WherePredicate, Token![,]>::parse_terminated) {
        Ok(predicates) => predicates.into_iter().collect(),
        Err(err) => {
            errors.push(syn::Error::new(
                lit.span(),
                format!(
                    "`bound` must be `where` predicates separated by commas, as in `bound = \"T: Trace, U: Clone\"`: {err}"
                ),
            ));
            Vec::new()
        }
    }
}

/// Records an error if a flag option was given a value, and skips the value.
fn no_value(meta: &ParseNestedMeta<'_>, name: &str, errors: &mut Errors) -> syn::Result<()> {
    if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
        errors.push(meta.error(format!("`{name}` takes no value: write `#[gc({name})]`")));
        skip_value(meta)?;
    }
    Ok(())
}

/// Sets a flag option, or records a duplicate.
fn set_flag(slot: &mut Option<Span>, meta: &ParseNestedMeta<'_>, name: &str, errors: &mut Errors) {
    if slot.is_some() {
        errors.push(meta.error(duplicate(name)));
    } else {
        *slot = Some(meta.path.span());
    }
}

/// Consumes an option's value (`= expr` or `(...)`) so parsing can go on with
/// the next option after an error.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<Group>()?;
    }
    Ok(())
}

fn unknown(name: &str, valid: &[&str]) -> String {
    let valid = valid
        .iter()
        .map(|option| format!("`{option}`"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("unknown `gc` option `{name}`; expected one of: {valid}")
}

fn duplicate(name: &str) -> String {
    format!("duplicate `gc` option `{name}`")
}

fn container_example(name: &str) -> &'static str {
    match name {
        "crate" => "crate = \"...\"",
        "bound" => "bound = \"...\"",
        _ => "unsafe_drop",
    }
}

fn path_to_string(path: &Path) -> String {
    let mut out = String::new();
    if path.leading_colon.is_some() {
        out.push_str("::");
    }
    for (i, segment) in path.segments.iter().enumerate() {
        if i > 0 {
            out.push_str("::");
        }
        out.push_str(&segment.ident.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use syn::{DeriveInput, parse_quote};

    use super::*;

    /// Every message recorded, in order.
    fn messages(errors: Errors) -> Vec<String> {
        match errors.finish() {
            Ok(()) => Vec::new(),
            Err(err) => err.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    fn parse_container(input: DeriveInput) -> (ContainerAttrs, Vec<String>) {
        let mut errors = Errors::new();
        let attrs = container(&input.attrs, &mut errors);
        (attrs, messages(errors))
    }

    fn parse_field(field: syn::Field) -> (FieldAttrs, Vec<String>) {
        let mut errors = Errors::new();
        let attrs = super::field(&field.attrs, &mut errors);
        (attrs, messages(errors))
    }

    fn tokens<T: quote::ToTokens>(value: &T) -> String {
        quote::quote!(#value).to_string()
    }

    #[test]
    fn no_attributes() {
        let (attrs, errors) = parse_container(parse_quote! { struct S; });
        assert!(errors.is_empty());
        assert!(attrs.krate.is_none());
        assert!(attrs.bound.trace.is_none() && attrs.bound.gc_free.is_none());
        assert!(attrs.unsafe_drop.is_none());
    }

    #[test]
    fn other_attributes_are_ignored() {
        let (_, errors) = parse_container(parse_quote! {
            #[derive(Debug)]
            #[serde(crate = "x")]
            struct S;
        });
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn all_container_options() {
        let (attrs, errors) = parse_container(parse_quote! {
            #[gc(crate = "crate::my_gc", bound = "T: Trace, U: Clone")]
            #[gc(unsafe_drop)]
            struct S<T, U>(T, U);
        });
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(tokens(&attrs.krate.unwrap()), "crate :: my_gc");
        let trace = attrs.bound.trace.unwrap();
        assert_eq!(trace.len(), 2);
        assert_eq!(tokens(&trace[1]), "U : Clone");
        assert_eq!(attrs.bound.gc_free.unwrap().len(), 2);
        assert!(attrs.unsafe_drop.is_some());
    }

    #[test]
    fn empty_bound_means_no_bounds() {
        let (attrs, errors) = parse_container(parse_quote! {
            #[gc(bound = "")]
            struct S<T>(T);
        });
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(attrs.bound.trace.unwrap().len(), 0);
        assert_eq!(attrs.bound.gc_free.unwrap().len(), 0);
    }

    #[test]
    fn per_derive_bound() {
        let (attrs, errors) = parse_container(parse_quote! {
            #[gc(bound(trace = "T: Trace"))]
            struct S<T>(T);
        });
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(attrs.bound.trace.unwrap().len(), 1);
        assert!(attrs.bound.gc_free.is_none());

        let (attrs, errors) = parse_container(parse_quote! {
            #[gc(bound(trace = "T: Trace", gc_free = "T: GcFree"))]
            struct S<T>(T);
        });
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(tokens(&attrs.bound.gc_free.unwrap()[0]), "T : GcFree");
    }

    #[test]
    fn unknown_option_lists_valid_ones() {
        let (_, errors) = parse_container(parse_quote! {
            #[gc(foo)]
            struct S;
        });
        assert_eq!(
            errors,
            ["unknown `gc` option `foo`; expected one of: `crate`, `bound`, `unsafe_drop`"]
        );
    }

    #[test]
    fn errors_are_accumulated() {
        let (attrs, errors) = parse_container(parse_quote! {
            #[gc(foo = 1, bar(x, y), unsafe_drop)]
            #[gc(unsafe_drop, crate = 3)]
            struct S;
        });
        assert_eq!(
            errors,
            [
                "unknown `gc` option `foo`; expected one of: `crate`, `bound`, `unsafe_drop`",
                "unknown `gc` option `bar`; expected one of: `crate`, `bound`, `unsafe_drop`",
                "duplicate `gc` option `unsafe_drop`",
                "expected a string literal, as in `#[gc(crate = \"path::to::rudo_gc\")]`",
            ]
        );
        // Options after a mistake are still parsed.
        assert!(attrs.unsafe_drop.is_some());
    }

    #[test]
    fn duplicate_options() {
        let (_, errors) = parse_container(parse_quote! {
            #[gc(crate = "a", bound = "")]
            #[gc(crate = "b", bound = "")]
            struct S;
        });
        assert_eq!(
            errors,
            [
                "duplicate `gc` option `crate`",
                "duplicate `gc` option `bound`"
            ]
        );
    }

    #[test]
    fn invalid_values() {
        let (_, errors) = parse_container(parse_quote! {
            #[gc(crate = "not a path", bound = "T:: :", unsafe_drop = true)]
            struct S;
        });
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(
            errors[0].starts_with("`crate` must be a path"),
            "{errors:?}"
        );
        assert!(
            errors[1].starts_with("`bound` must be `where` predicates"),
            "{errors:?}"
        );
        assert_eq!(
            errors[2],
            "`unsafe_drop` takes no value: write `#[gc(unsafe_drop)]`"
        );
    }

    #[test]
    fn missing_value() {
        let (_, errors) = parse_container(parse_quote! {
            #[gc(crate, bound(serialize = "T: Trace"))]
            struct S;
        });
        assert_eq!(
            errors,
            [
                "expected a value, as in `#[gc(crate = \"path::to::rudo_gc\")]`",
                "unknown derive `serialize` in `bound(...)`; expected one of: `trace`, `gc_free`",
            ]
        );
    }

    #[test]
    fn skip_on_container_says_where_it_belongs() {
        let (_, errors) = parse_container(parse_quote! {
            #[gc(skip)]
            struct S;
        });
        assert_eq!(
            errors,
            [
                "`skip` is a field option: put `#[gc(skip)]` on each field that should not be traced, not on the type"
            ]
        );
    }

    #[test]
    fn field_skip() {
        let (attrs, errors) = parse_field(parse_quote! { #[gc(skip)] x: u32 });
        assert!(errors.is_empty(), "{errors:?}");
        assert!(attrs.skip.is_some());

        let (attrs, errors) = parse_field(parse_quote! { x: u32 });
        assert!(errors.is_empty(), "{errors:?}");
        assert!(attrs.skip.is_none());
    }

    #[test]
    fn field_errors() {
        let (attrs, errors) = parse_field(parse_quote! {
            #[gc(crate = "x", skip, unsafe_drop, skip, trace, skip = 1)]
            x: u32
        });
        assert_eq!(
            errors,
            [
                "`crate` is a container option: put `#[gc(crate = \"...\")]` on the struct or enum, not on a field",
                "`unsafe_drop` is a container option: put `#[gc(unsafe_drop)]` on the struct or enum, not on a field",
                "duplicate `gc` option `skip`",
                "unknown `gc` option `trace`; expected one of: `skip`",
                "`skip` takes no value: write `#[gc(skip)]`",
                "duplicate `gc` option `skip`",
            ]
        );
        assert!(attrs.skip.is_some());
    }

    #[test]
    fn attribute_without_list() {
        let (_, errors) = parse_field(parse_quote! { #[gc] x: u32 });
        assert_eq!(errors.len(), 1, "{errors:?}");
        let (_, errors) = parse_field(parse_quote! { #[gc = "skip"] x: u32 });
        assert_eq!(errors.len(), 1, "{errors:?}");
    }

    #[test]
    fn variant_attributes_are_rejected() {
        let variant: syn::Variant = parse_quote! { #[gc(skip)] A(u32) };
        let mut errors = Errors::new();
        variant_attrs(&variant, &mut errors);
        assert_eq!(
            messages(errors),
            [
                "`gc` options are not supported on enum variants: put `#[gc(skip)]` on the variant's fields, or container options on the enum"
            ]
        );
    }

    fn variant_attrs(variant: &syn::Variant, errors: &mut Errors) {
        super::variant(&variant.attrs, errors);
    }
}
