//! Bound inference and the generics of generated impls.
//!
//! The derives use "perfect derive" restricted to generic fields:
//!
//! 1. Every type parameter gets `T: 'static`, because both traits require
//!    `'static`.
//! 2. A field whose type mentions a type parameter gets `FieldTy: Trait` (for
//!    `Vec<T>`, `Vec<T>: Trace`, not `T: Trace`), so `Wrapper<Rc<T>>` is
//!    `Trace` exactly when `Rc<T>` is.
//! 3. A field whose type does not mention a type parameter gets no bound. The
//!    impl body (for `Trace`) or the assertion (for `GcFree`) checks it
//!    anyway, and leaving it out is what lets a recursive type such as
//!    `struct List { next: Option<Box<List>> }` compile.
//! 4. For `Trace`, a field that is syntactically `Gc<..>` or `Weak<..>` gets
//!    no bound: both are `Trace` for every `T`. For `GcFree`, a field whose
//!    type contains `Gc<..>` or `Weak<..>` anywhere (`Option<Gc<T>>`) gets no
//!    bound: it can never be `GcFree`, and the bound would only hide that
//!    until the type is used, while without it the assertion fails at once.
//! 5. A field whose type names the deriving type itself (`Vec<Box<Tree<T>>>`)
//!    gets no bound: the bound would require the impl being defined, which
//!    rustc cannot prove without overflowing. Inside the impl the field is
//!    still checked against the other bounds.
//! 6. `#[gc(bound = "...")]` replaces rules 2-5 entirely.

use std::collections::HashSet;

use proc_macro2::{TokenStream, TokenTree};
use quote::quote;
use syn::visit::{self, Visit};
use syn::visit_mut::{self, VisitMut};
use syn::{
    GenericParam, Generics, Ident, Lifetime, Path, Type, TypePath, WhereClause, WherePredicate,
    parse_quote,
};

/// `generics` with `'static` added to the bounds of every type parameter.
pub(crate) fn with_static_params(generics: &Generics) -> Generics {
    let mut generics = generics.clone();
    for param in generics.type_params_mut() {
        param.bounds.push(parse_quote!('static));
    }
    generics
}

/// `generics` for a fallback impl when the input is invalid: lifetime
/// parameters are removed and every use of them is replaced by `'static`, so
/// the fallback impl does not produce errors of its own. Returns the generics
/// for `impl<...>` and the type arguments for `Name<...>`.
pub(crate) fn erase_lifetimes(generics: &Generics) -> (Generics, TokenStream) {
    struct Erase(HashSet<Ident>);
    impl VisitMut for Erase {
        fn visit_lifetime_mut(&mut self, lifetime: &mut Lifetime) {
            if self.0.contains(&lifetime.ident) {
                *lifetime = parse_quote!('static);
            }
        }
    }

    let lifetimes: HashSet<Ident> = generics
        .lifetimes()
        .map(|param| param.lifetime.ident.clone())
        .collect();
    let args: Vec<TokenStream> = generics
        .params
        .iter()
        .map(|param| match param {
            GenericParam::Lifetime(_) => quote!('static),
            GenericParam::Type(param) => {
                let ident = &param.ident;
                quote!(#ident)
            }
            GenericParam::Const(param) => {
                let ident = &param.ident;
                quote!(#ident)
            }
        })
        .collect();
    let args = if args.is_empty() {
        TokenStream::new()
    } else {
        quote!(<#(#args),*>)
    };

    let mut erased = generics.clone();
    erased.params = erased
        .params
        .into_iter()
        .filter(|param| !matches!(param, GenericParam::Lifetime(_)))
        .collect();
    Erase(lifetimes).visit_generics_mut(&mut erased);
    (erased, args)
}

/// Which trait bounds are being inferred; they differ in rule 4.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Inferring {
    Trace,
    GcFree,
}

/// The inferred `where` predicates for `types` (the types of the fields that
/// the derive checks), by the rules in the module docs.
pub(crate) fn infer<'a>(
    generics: &Generics,
    self_ident: &Ident,
    types: impl Iterator<Item = &'a Type>,
    trait_path: &Path,
    inferring: Inferring,
) -> Vec<WherePredicate> {
    let params: HashSet<&Ident> = generics.type_params().map(|param| &param.ident).collect();
    let mut bounded: Vec<&Type> = Vec::new();
    for ty in types {
        let holds_gc = match inferring {
            Inferring::Trace => is_gc_pointer(ty),
            Inferring::GcFree => contains_gc_pointer(ty),
        };
        if mentions_type_param(ty, &params)
            && !holds_gc
            && !mentions_ident(ty, self_ident)
            && !bounded.contains(&ty)
        {
            bounded.push(ty);
        }
    }
    bounded
        .into_iter()
        .map(|ty| parse_quote!(#ty: #trait_path))
        .collect()
}

/// `where_clause` with `extra` appended. Returns `None` if both are empty, so
/// the output carries no empty `where`.
pub(crate) fn extend_where(
    where_clause: Option<&WhereClause>,
    extra: impl IntoIterator<Item = WherePredicate>,
) -> Option<WhereClause> {
    let mut where_clause = where_clause.cloned().unwrap_or_else(|| parse_quote!(where));
    where_clause.predicates.extend(extra);
    (!where_clause.predicates.is_empty()).then_some(where_clause)
}

/// `ty` with every `Self` replaced by `self_ty`, for use outside the impl
/// (where `Self` means nothing).
pub(crate) fn replace_self(ty: &Type, self_ty: &Type) -> Type {
    struct Replace<'a>(&'a Type);
    impl VisitMut for Replace<'_> {
        fn visit_type_mut(&mut self, ty: &mut Type) {
            if let Type::Path(TypePath { qself: None, path }) = ty
                && path.is_ident("Self")
            {
                *ty = self.0.clone();
                return;
            }
            visit_mut::visit_type_mut(self, ty);
        }
    }

    let mut ty = ty.clone();
    Replace(self_ty).visit_type_mut(&mut ty);
    ty
}

/// Whether `ty` names one of `params`, as `T`, `T::Assoc`, `<T as Tr>::Assoc`
/// or inside a type macro.
fn mentions_type_param(ty: &Type, params: &HashSet<&Ident>) -> bool {
    struct Find<'a> {
        params: &'a HashSet<&'a Ident>,
        found: bool,
    }
    impl<'ast> Visit<'ast> for Find<'_> {
        fn visit_type_path(&mut self, ty: &'ast TypePath) {
            if ty.qself.is_none()
                && ty.path.leading_colon.is_none()
                && let Some(first) = ty.path.segments.first()
                && self.params.contains(&first.ident)
            {
                self.found = true;
            }
            visit::visit_type_path(self, ty);
        }
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            // A type macro's expansion is unknown: assume it uses a parameter
            // whose name appears in its tokens.
            if tokens_contain(mac.tokens.clone(), &|ident| self.params.contains(ident)) {
                self.found = true;
            }
        }
    }

    if params.is_empty() {
        return false;
    }
    let mut find = Find {
        params,
        found: false,
    };
    find.visit_type(ty);
    find.found
}

/// Whether `ty` mentions `ident` (or `Self`) as a path segment.
fn mentions_ident(ty: &Type, ident: &Ident) -> bool {
    struct Find<'a> {
        ident: &'a Ident,
        found: bool,
    }
    impl<'ast> Visit<'ast> for Find<'_> {
        fn visit_path_segment(&mut self, segment: &'ast syn::PathSegment) {
            if segment.ident == *self.ident || segment.ident == "Self" {
                self.found = true;
            }
            visit::visit_path_segment(self, segment);
        }
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            if tokens_contain(mac.tokens.clone(), &|ident| {
                ident == self.ident || ident == "Self"
            }) {
                self.found = true;
            }
        }
    }

    let mut find = Find {
        ident,
        found: false,
    };
    find.visit_type(ty);
    find.found
}

fn tokens_contain(tokens: TokenStream, pred: &dyn Fn(&Ident) -> bool) -> bool {
    tokens.into_iter().any(|tree| match tree {
        TokenTree::Ident(ident) => pred(&ident),
        TokenTree::Group(group) => tokens_contain(group.stream(), pred),
        TokenTree::Punct(_) | TokenTree::Literal(_) => false,
    })
}

/// Whether `ty` is syntactically `Gc<..>` or `Weak<..>` (by last path
/// segment, so `rudo_gc::Gc<T>` counts too).
pub(crate) fn is_gc_pointer(ty: &Type) -> bool {
    match ty {
        Type::Group(group) => is_gc_pointer(&group.elem),
        Type::Paren(paren) => is_gc_pointer(&paren.elem),
        Type::Path(TypePath { qself: None, path }) => path
            .segments
            .last()
            .is_some_and(|last| last.ident == "Gc" || last.ident == "Weak"),
        _ => false,
    }
}

/// Whether `Gc<..>` or `Weak<..>` appears anywhere in `ty`.
fn contains_gc_pointer(ty: &Type) -> bool {
    struct Find(bool);
    impl<'ast> Visit<'ast> for Find {
        fn visit_type(&mut self, ty: &'ast Type) {
            if is_gc_pointer(ty) {
                self.0 = true;
            }
            visit::visit_type(self, ty);
        }
    }

    let mut find = Find(false);
    find.visit_type(ty);
    find.0
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;
    use syn::{DeriveInput, parse_quote};

    use super::*;

    fn inferred(input: DeriveInput) -> Vec<String> {
        let types: Vec<Type> = match &input.data {
            syn::Data::Struct(data) => data.fields.iter().map(|f| f.ty.clone()).collect(),
            syn::Data::Enum(data) => data
                .variants
                .iter()
                .flat_map(|v| v.fields.iter().map(|f| f.ty.clone()))
                .collect(),
            syn::Data::Union(_) => unreachable!(),
        };
        let trace: Path = parse_quote!(::rudo_gc::Trace);
        infer(
            &input.generics,
            &input.ident,
            types.iter(),
            &trace,
            Inferring::Trace,
        )
        .iter()
        .map(|p| p.to_token_stream().to_string())
        .collect()
    }

    #[test]
    fn concrete_fields_get_no_bounds() {
        assert!(inferred(parse_quote! { struct S { a: u32, b: Vec<String> } }).is_empty());
        assert!(inferred(parse_quote! { struct S<T> { a: u32, b: Gc<T> } }).is_empty());
    }

    #[test]
    fn generic_fields_are_bounded_by_their_type() {
        assert_eq!(
            inferred(parse_quote! { struct S<T, U> { a: T, b: Vec<U>, c: T, d: u8 } }),
            ["T : :: rudo_gc :: Trace", "Vec < U > : :: rudo_gc :: Trace"]
        );
        assert_eq!(
            inferred(parse_quote! { enum E<T: Iterator> { A(T::Item), B(<T as Iterator>::Item) } }),
            [
                "T :: Item : :: rudo_gc :: Trace",
                "< T as Iterator > :: Item : :: rudo_gc :: Trace"
            ]
        );
    }

    #[test]
    fn gc_pointers_are_not_bounded() {
        assert!(
            inferred(parse_quote! { struct S<T> { a: Gc<T>, b: rudo_gc::Weak<T>, c: (Gc<T>) } })
                .is_empty()
        );
        assert_eq!(
            inferred(parse_quote! { struct S<T> { a: Option<Gc<T>> } }),
            ["Option < Gc < T > > : :: rudo_gc :: Trace"]
        );
    }

    #[test]
    fn gc_free_leaves_anything_holding_a_gc_unbounded() {
        let input: DeriveInput = parse_quote! {
            struct S<T> { a: Option<Gc<T>>, b: Vec<(T, Weak<u8>)>, c: Vec<T> }
        };
        let types: Vec<Type> = match &input.data {
            syn::Data::Struct(data) => data.fields.iter().map(|f| f.ty.clone()).collect(),
            _ => unreachable!(),
        };
        let gc_free: Path = parse_quote!(GcFree);
        let bounds: Vec<String> = infer(
            &input.generics,
            &input.ident,
            types.iter(),
            &gc_free,
            Inferring::GcFree,
        )
        .iter()
        .map(|p| p.to_token_stream().to_string())
        .collect();
        assert_eq!(bounds, ["Vec < T > : GcFree"]);
    }

    #[test]
    fn recursive_fields_are_not_bounded() {
        assert_eq!(
            inferred(
                parse_quote! { struct Tree<T> { v: T, kids: Vec<Box<Tree<T>>>, me: Option<Box<Self>> } }
            ),
            ["T : :: rudo_gc :: Trace"]
        );
    }

    #[test]
    fn paths_that_only_end_in_a_param_name_are_concrete() {
        assert!(inferred(parse_quote! { struct S<T> { a: other::T, b: ::T } }).is_empty());
    }

    #[test]
    fn type_macros_naming_a_param_are_bounded() {
        assert_eq!(
            inferred(parse_quote! { struct S<T> { a: ty!(T), b: ty!(u8) } }),
            ["ty ! (T) : :: rudo_gc :: Trace"]
        );
    }

    #[test]
    fn static_params() {
        let generics: Generics = parse_quote!(<T: Clone, const N: usize, U>);
        let generics = with_static_params(&generics);
        assert_eq!(
            generics.to_token_stream().to_string(),
            "< T : Clone + 'static , const N : usize , U : 'static >"
        );
    }

    #[test]
    fn erased_lifetimes() {
        let mut generics: Generics = parse_quote!(<'a, T: 'a, const N: usize>);
        generics.where_clause = Some(parse_quote!(where for<'x> T: Fn(&'x u8) -> &'a u8));
        let (erased, args) = erase_lifetimes(&generics);
        assert_eq!(
            erased.to_token_stream().to_string(),
            "< T : 'static , const N : usize >"
        );
        assert_eq!(
            erased.where_clause.to_token_stream().to_string(),
            "where for < 'x > T : Fn (& 'x u8) -> & 'static u8"
        );
        assert_eq!(args.to_string(), "< 'static , T , N >");
    }

    #[test]
    fn self_is_replaced() {
        let ty: Type = parse_quote!(Option<Box<Self>>);
        let self_ty: Type = parse_quote!(List<T>);
        assert_eq!(
            replace_self(&ty, &self_ty).to_token_stream().to_string(),
            "Option < Box < List < T > > >"
        );
    }

    #[test]
    fn where_clauses_are_merged() {
        let existing: WhereClause = parse_quote!(where T: Clone);
        let extended = extend_where(Some(&existing), [parse_quote!(T: Copy)]);
        assert_eq!(
            extended.to_token_stream().to_string(),
            "where T : Clone , T : Copy"
        );
        assert!(extend_where(None, []).is_none());
    }
}
