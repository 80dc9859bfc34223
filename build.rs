//! Embeds every profile of `templates/` and every lab of `labs/` into the binary, sorted by file
//! name.

use std::{env, fs, path::Path};

fn main() {
    let root = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    embed(&Path::new(&root).join("templates"), "TEMPLATES", &Path::new(&out).join("templates.rs"));
    embed(&Path::new(&root).join("labs"), "LABS", &Path::new(&out).join("labs.rs"));
    missing_tools();
}

/// Tools the integration tests drive. Each one not on PATH sets `cfg(missing_TOOL)`, which makes
/// its tests show as ignored with the reason, unless `CI` is set: then they run and fail loudly.
const TOOLS: &[&str] = &[
    "node",
    "keytool",
    "certutil",
    "redis_server",
    "openssl",
    "curl",
    "python3",
    "tmux",
    "go",
    "java",
    "gnutls_cli",
    "wget",
    "chromium",
];

fn missing_tools() {
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-env-changed=CI");
    let ci = env::var_os("CI").is_some_and(|v| !v.is_empty());
    let path = env::var_os("PATH").unwrap_or_default();
    for tool in TOOLS {
        println!("cargo::rustc-check-cfg=cfg(missing_{tool})");
        // The same lookup as the tests' `common::tool`: PATH only, as `Command::new` resolves it.
        let exe = tool.replace('_', "-");
        let found = env::split_paths(&path).any(|d| d.join(&exe).is_file());
        if !found && !ci {
            println!("cargo::rustc-cfg=missing_{tool}");
        }
    }
}

/// Writes `pub static NAME: &[(&str, &str)]` of (file name, contents) for each `*.yaml` in `dir`
/// (not its subdirectories).
fn embed(dir: &Path, name: &str, out: &Path) {
    // A directory makes cargo rescan everything below it, so new files are picked up too.
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{} exists: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut text = format!("pub static {name}: &[(&str, &str)] = &[\n");
    for f in files {
        let file = f.file_name().and_then(|n| n.to_str()).expect("utf-8 file name");
        text.push_str(&format!("    ({file:?}, include_str!({:?})),\n", f.display().to_string()));
    }
    text.push_str("];\n");
    fs::write(out, text).expect("write the embedded file list");
}
