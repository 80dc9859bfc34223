//! Temporary stand-in until the real module lands.
use time::OffsetDateTime;
#[derive(Debug, Clone, serde::Serialize)]
pub struct Described {
    pub subject: String,
}
pub fn describe_pem_bundle(_pem: &str, _now: OffsetDateTime) -> Result<Vec<Described>, String> {
    Err("not yet".into())
}
pub fn render_text(_c: &[Described]) -> String {
    String::new()
}
