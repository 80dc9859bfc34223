//! Any text as an answers file for every built-in lab: no panic; accepted answers are data the
//! lab admits (a value starting with `-` only if it is one of the input's choices).

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pki_lab::lab::Lab;

fn labs() -> &'static [Lab] {
    static LABS: OnceLock<Vec<Lab>> = OnceLock::new();
    LABS.get_or_init(|| pki_lab::lab::builtin(pki_lab::cli::parse_step).expect("the built-in labs parse"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for lab in labs() {
        if let Err(e) = pki_lab::lab::answers::parse(text, "answers.yaml", lab) {
            assert!(e.to_string().contains("answers.yaml"));
        }
    }
});
