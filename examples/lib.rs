//! Examples live in this directory as `[[example]]` targets; run them with
//! `cargo run --release --example NAME`.
