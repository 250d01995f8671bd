//! Write `f32` settings into TOML/JSON as their shortest decimal (`0.01`, not
//! `0.009999999776482582`), so saved configurations read like the ones people write.

/// `#[serde(serialize_with = "models::serde_f32::short")]`.
pub fn short<S: serde::Serializer>(v: &f32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(v.to_string().parse().unwrap_or(f64::from(*v)))
}
