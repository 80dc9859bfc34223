//! The measured client columns: `templates/clients.json`, written by the test suite
//! (`UPDATE_CLIENTS=1 cargo test --test it clients`) from real runs against `pki-lab serve`.
