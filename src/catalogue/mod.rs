//! Stage 1, the catalogue: the scenario templates (`templates/*.yaml`, each describing one
//! scenario that breaks at most one rule) and the table of rules a client checks.
//!
//! Hands to [`crate::pki`] a [`template::Catalogue`] of templates to issue, and to every later
//! stage the [`rules`] table that names what can fail.

pub mod rules;
pub mod template;
