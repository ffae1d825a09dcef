//! Turning a `DeriveInput` into the model the expanders work on, and
//! rejecting inputs a derive cannot handle.
//!
//! [`validate`] always returns a model, even for invalid input, so that the
//! expander can emit a fallback impl next to the errors. The rules it checks:
//!
//! 1. No lifetime parameters: both traits require `'static`, because a GC
//!    object can outlive any borrow.
//! 2. `Trace` is not derived for unions: the collector cannot know which
//!    field is active. (`GcFree` is: every field is checked, whichever is
//!    active.)
//! 3. `Trace` is not derived for `#[repr(packed)]` types with traced fields:
//!    tracing borrows each field, and a packed field may be unaligned.
//! 4. `GcFree` rejects `#[gc(skip)]` (it must check every field) and fields
//!    that are syntactically `Gc<..>` or `Weak<..>`, with a clearer message
//!    than the generated assertion would give.
//! 5. Options are where they belong (see [`attr`]).

use proc_macro2::Span;
use syn::spanned::Spanned as _;
use syn::{Attribute, Data, DeriveInput, Generics, Ident, Index, Member, Type};

use crate::attr::{self, ContainerAttrs};
use crate::bound;
use crate::errors::Errors;

/// Which derive is running.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Derive {
    Trace,
    GcFree,
}

impl Derive {
    fn name(self) -> &'static str {
        match self {
            Derive::Trace => "Trace",
            Derive::GcFree => "GcFree",
        }
    }
}

/// The derive input, reduced to what the expanders need.
pub(crate) struct Container<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) generics: &'a Generics,
    pub(crate) attrs: ContainerAttrs,
    pub(crate) body: Body<'a>,
}

/// The shape of the type.
pub(crate) enum Body<'a> {
    Struct(Vec<Field<'a>>),
    Enum(Vec<Variant<'a>>),
    Union(Vec<Field<'a>>),
}

pub(crate) struct Variant<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) fields: Vec<Field<'a>>,
}

pub(crate) struct Field<'a> {
    /// The field's name or index.
    pub(crate) member: Member,
    pub(crate) ty: &'a Type,
    /// `#[gc(skip)]`: neither traced nor bounded.
    pub(crate) skip: bool,
}

impl<'a> Container<'a> {
    /// Every field of every variant.
    pub(crate) fn fields(&self) -> impl Iterator<Item = &Field<'a>> {
        let fields: Box<dyn Iterator<Item = &Field<'a>>> = match &self.body {
            Body::Struct(fields) | Body::Union(fields) => Box::new(fields.iter()),
            Body::Enum(variants) => Box::new(variants.iter().flat_map(|v| v.fields.iter())),
        };
        fields
    }

    /// Every field that `trace` visits.
    pub(crate) fn traced_fields(&self) -> impl Iterator<Item = &Field<'a>> {
        self.fields().filter(|field| !field.skip)
    }
}

/// Builds the model for `input` and checks it against `derive`'s rules.
///
/// The model is returned even when the result is an error, so that the caller
/// can emit a fallback expansion.
/// Validates `input` for `derive` and expands it: `expand` on success; on
/// error, the errors plus `fallback`'s impl, so the user sees the derive's
/// own messages and no cascade from a missing impl.
pub(crate) fn expand_with(
    input: &DeriveInput,
    derive: Derive,
    expand: fn(&Container<'_>) -> proc_macro2::TokenStream,
    fallback: fn(&Container<'_>) -> proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    let (container, result) = validate(input, derive);
    match result {
        Ok(()) => expand(&container),
        Err(errors) => {
            let errors = errors.to_compile_error();
            let fallback = fallback(&container);
            quote::quote! {
                #errors
                #fallback
            }
        }
    }
}

impl Container<'_> {
    /// The path generated code names the core crate by: `#[gc(crate = "...")]`
    /// or `::rudo_gc`.
    pub(crate) fn krate(&self) -> syn::Path {
        self.attrs
            .krate
            .clone()
            .unwrap_or_else(|| syn::parse_quote!(::rudo_gc))
    }
}

pub(crate) fn validate(input: &DeriveInput, derive: Derive) -> (Container<'_>, syn::Result<()>) {
    let mut errors = Errors::new();
    let attrs = attr::container(&input.attrs, &mut errors);

    for lifetime in input.generics.lifetimes() {
        let message = match derive {
            Derive::Trace => {
                "GC objects can outlive any borrow, so `Trace` types cannot have lifetime parameters"
            }
            Derive::GcFree => {
                "`GcFree` requires `'static` (GC objects can outlive any borrow), so `GcFree` types cannot have lifetime parameters"
            }
        };
        errors.push_at(lifetime.lifetime.span(), message);
    }

    let body = match &input.data {
        Data::Struct(data) => Body::Struct(fields(data.fields.iter(), derive, &mut errors)),
        Data::Enum(data) => Body::Enum(
            data.variants
                .iter()
                .map(|variant| {
                    attr::variant(&variant.attrs, &mut errors);
                    Variant {
                        ident: &variant.ident,
                        fields: fields(variant.fields.iter(), derive, &mut errors),
                    }
                })
                .collect(),
        ),
        Data::Union(data) => {
            if derive == Derive::Trace {
                errors.push_at(
                    data.union_token.span,
                    "`Trace` cannot be derived for unions: the collector cannot know which field is active; implement `Trace` by hand",
                );
            }
            Body::Union(fields(data.fields.named.iter(), derive, &mut errors))
        }
    };

    let container = Container {
        ident: &input.ident,
        generics: &input.generics,
        attrs,
        body,
    };

    if derive == Derive::Trace
        && !matches!(container.body, Body::Union(_))
        && let Some(span) = packed(&input.attrs)
        && container.traced_fields().next().is_some()
    {
        errors.push_at(
            span,
            "`Trace` cannot be derived for `#[repr(packed)]` types: tracing borrows each field, and packed fields may be unaligned; implement `Trace` by hand, copying each field out first",
        );
    }

    (container, errors.finish())
}

fn fields<'a>(
    fields: impl Iterator<Item = &'a syn::Field>,
    derive: Derive,
    errors: &mut Errors,
) -> Vec<Field<'a>> {
    fields
        .enumerate()
        .map(|(index, field)| {
            let attrs = attr::field(&field.attrs, errors);
            if let (Derive::GcFree, Some(span)) = (derive, attrs.skip) {
                errors.push_at(
                    span,
                    format!(
                        "`#[gc(skip)]` is not allowed with `#[derive({})]`: GcFree checks every field; a type with a Gc field cannot be GcFree",
                        derive.name()
                    ),
                );
            }
            if derive == Derive::GcFree && bound::is_gc_pointer(&field.ty) {
                // The assertion would catch this too, but with the core's
                // generic "may hold a `Gc`" message; say what is wrong here.
                errors.push(syn::Error::new_spanned(
                    &field.ty,
                    "a `GcFree` type cannot have a `Gc` or `Weak` field: `GcFree` promises the type holds no GC pointer; derive only `Trace` for this type",
                ));
            }
            let member = match &field.ident {
                Some(ident) => Member::Named(ident.clone()),
                None => Member::Unnamed(Index::from(index)),
            };
            Field {
                member,
                ty: &field.ty,
                skip: attrs.skip.is_some(),
            }
        })
        .collect()
}

/// Where `#[repr(packed)]` or `#[repr(packed(N))]` is written, if it is.
fn packed(attrs: &[Attribute]) -> Option<Span> {
    let mut found = None;
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("repr")) {
        // A malformed `repr` is rustc's to report; ignore parse errors here.
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("packed") {
                found = Some(meta.path.span());
            }
            if meta.input.peek(syn::token::Paren) {
                meta.input.parse::<proc_macro2::Group>()?;
            }
            Ok(())
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;

    fn check(input: DeriveInput, derive: Derive) -> Vec<String> {
        match validate(&input, derive).1 {
            Ok(()) => Vec::new(),
            Err(err) => err.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn accepts_structs_enums_and_generics() {
        for derive in [Derive::Trace, Derive::GcFree] {
            assert!(check(parse_quote! { struct S; }, derive).is_empty());
            assert!(check(parse_quote! { struct S(u32, String); }, derive).is_empty());
            assert!(
                check(
                    parse_quote! { struct S<T, const N: usize> { x: [T; N] } },
                    derive
                )
                .is_empty()
            );
            assert!(check(parse_quote! { enum E {} }, derive).is_empty());
            assert!(check(parse_quote! { enum E { A, B(u8), C { x: u8 } } }, derive).is_empty());
        }
    }

    #[test]
    fn rejects_lifetimes() {
        let errors = check(
            parse_quote! { struct S<'a, 'b, T>(&'a T, &'b T); },
            Derive::Trace,
        );
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(
            errors[0],
            "GC objects can outlive any borrow, so `Trace` types cannot have lifetime parameters"
        );
        let errors = check(parse_quote! { struct S<'a>(&'a u8); }, Derive::GcFree);
        assert_eq!(errors.len(), 1, "{errors:?}");
    }

    #[test]
    fn unions() {
        let errors = check(parse_quote! { union U { a: u32, b: f32 } }, Derive::Trace);
        assert_eq!(
            errors,
            [
                "`Trace` cannot be derived for unions: the collector cannot know which field is active; implement `Trace` by hand"
            ]
        );
        assert!(check(parse_quote! { union U { a: u32, b: f32 } }, Derive::GcFree).is_empty());
    }

    #[test]
    fn skip_is_rejected_on_gc_free_only() {
        let input: DeriveInput = parse_quote! { struct S { #[gc(skip)] x: u32, y: u32 } };
        assert!(check(input.clone(), Derive::Trace).is_empty());
        let errors = check(input, Derive::GcFree);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0]
                .contains("GcFree checks every field; a type with a Gc field cannot be GcFree")
        );
    }

    #[test]
    fn skip_marks_the_field() {
        let input: DeriveInput = parse_quote! {
            enum E { A(#[gc(skip)] u8, u16), B { #[gc(skip)] x: u8 } }
        };
        let (container, result) = validate(&input, Derive::Trace);
        assert!(result.is_ok());
        let skipped: Vec<bool> = container.fields().map(|f| f.skip).collect();
        assert_eq!(skipped, [true, false, true]);
        assert_eq!(container.traced_fields().count(), 1);
    }

    #[test]
    fn gc_fields_are_rejected_on_gc_free_only() {
        let input: DeriveInput =
            parse_quote! { struct S { a: Gc<u8>, b: rudo_gc::Weak<u8>, c: Vec<Gc<u8>> } };
        assert!(check(input.clone(), Derive::Trace).is_empty());
        let errors = check(input, Derive::GcFree);
        // `Vec<Gc<u8>>` is left to the generated assertion.
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].starts_with("a `GcFree` type cannot have a `Gc` or `Weak` field"));
    }

    #[test]
    fn packed_with_traced_fields() {
        let errors = check(
            parse_quote! { #[repr(C, packed(2))] struct S { x: u64 } },
            Derive::Trace,
        );
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("`Trace` cannot be derived for `#[repr(packed)]` types"));
        assert!(
            check(
                parse_quote! { #[repr(packed)] struct S { #[gc(skip)] x: u64 } },
                Derive::Trace
            )
            .is_empty()
        );
        assert!(
            check(
                parse_quote! { #[repr(packed)] struct S { x: u64 } },
                Derive::GcFree
            )
            .is_empty()
        );
        assert!(
            check(
                parse_quote! { #[repr(C, align(8))] struct S { x: u64 } },
                Derive::Trace
            )
            .is_empty()
        );
    }

    #[test]
    fn errors_from_all_places_are_accumulated() {
        let errors = check(
            parse_quote! {
                #[gc(nope)]
                enum E<'a> {
                    #[gc(skip)]
                    A(#[gc(crate = "x")] &'a u8),
                }
            },
            Derive::Trace,
        );
        assert_eq!(errors.len(), 4, "{errors:?}");
    }
}
