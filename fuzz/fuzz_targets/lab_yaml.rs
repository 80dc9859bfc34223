//! Any text as a lab file: no panic, and an error is a located diagnostic of bounded size.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(e) = pki_lab::lab::validate::parse(text, "fuzz.yaml", &["the-five-steps"], pki_lab::cli::parse_step) {
        let shown = e.to_string();
        assert!(shown.contains("fuzz.yaml"), "{shown}");
        // At most 20 diagnostics, each with a window of its line.
        assert!(shown.len() < 20 * 1000 + 200, "{} bytes", shown.len());
    }
});
