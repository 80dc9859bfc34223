//! What the CLI prints on stdout: plain-text tables for people, JSON for programs, and the one
//! place a write to stdout can fail.

use std::io::Write;

use crate::error::{Error, Result};

/// `print!` that returns an error instead of panicking when stdout is gone.
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::output::write(format_args!($($arg)*)) };
}

/// `println!` that returns an error instead of panicking when stdout is gone.
macro_rules! outln {
    ($($arg:tt)*) => { $crate::cli::output::write(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Writes to stdout and flushes. A reader that went away (`pki-lab … | head`) becomes
/// [`Error::BrokenPipe`], which ends the command quietly; other failures are reported.
pub fn write(args: std::fmt::Arguments<'_>) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_fmt(args).and_then(|()| stdout.flush()).map_err(|e| match e.kind() {
        std::io::ErrorKind::BrokenPipe => Error::BrokenPipe,
        _ => Error::Io { action: "writing to", path: "standard output".into(), source: e },
    })
}

/// A value as pretty JSON and a newline.
pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<()> {
    outln!("{}", serde_json::to_string_pretty(value)?)
}

/// Renders rows as left-aligned columns separated by two spaces. The last column is not padded.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let cols = header.len();
    let mut width = vec![0usize; cols];
    for (i, h) in header.iter().enumerate() {
        width[i] = h.chars().count();
    }
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(cols) {
            width[i] = width[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(cell);
                s.push_str(&" ".repeat(width[i] - cell.chars().count() + 2));
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_align() {
        let t = super::table(&["a", "bb"], &[vec!["xxx".into(), "y".into()]]);
        assert_eq!(t, "a    bb\nxxx  y\n");
    }
}
