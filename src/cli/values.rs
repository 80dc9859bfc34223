//! The library's enums as clap values. They are implemented here, not derived where the enums
//! are defined, so that the library builds without clap; names and help are what the derive
//! gave (kebab-case names, the variants' doc comments).

use clap::ValueEnum;
use clap::builder::PossibleValue;

use crate::pki::keys::KeyType;
use crate::serve::gateway::Mode;
use crate::truststore::Store;
use crate::truststore::env::Shell;

impl ValueEnum for KeyType {
    fn value_variants<'a>() -> &'a [Self] {
        // Rsa1024 and Secp256k1 are left out on purpose: only one scenario each makes such a key.
        &[KeyType::P256, KeyType::P384, KeyType::Ed25519, KeyType::Rsa2048, KeyType::Rsa3072, KeyType::Rsa4096]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let help = match self {
            KeyType::P256 => "ECDSA on P-256 with SHA-256 (the default: fast and universally supported)",
            KeyType::P384 => "ECDSA on P-384 with SHA-384",
            KeyType::Ed25519 => "Ed25519 (not accepted by some older clients)",
            KeyType::Rsa2048 => "RSA 2048 bits (slow to generate)",
            KeyType::Rsa3072 => "RSA 3072 bits (slower)",
            KeyType::Rsa4096 => "RSA 4096 bits (slowest: seconds on a small machine)",
            KeyType::Rsa1024 | KeyType::Secp256k1 => return None,
        };
        Some(PossibleValue::new(self.as_str()).help(help))
    }
}

impl ValueEnum for Mode {
    fn value_variants<'a>() -> &'a [Self] {
        &Mode::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let help = match self {
            Mode::PassthroughRr => "TCP passthrough, round-robin",
            Mode::PassthroughHash => "TCP passthrough, consistent hashing on the client IP (sticky)",
            Mode::TerminateSticky => "TLS terminated at the gateway, sticky cookie per client",
        };
        Some(PossibleValue::new(self.as_str()).help(help))
    }
}

impl ValueEnum for Store {
    fn value_variants<'a>() -> &'a [Self] {
        &Store::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let help = match self {
            Store::System => "The operating system's CA directory and bundle (OpenSSL, curl, Python, Go, …)",
            Store::Nss => "NSS databases (Firefox, Chromium, and other NSS programs)",
            Store::Java => "A Java key store (the JDK's cacerts unless --java-keystore)",
        };
        Some(PossibleValue::new(self.as_str()).help(help))
    }
}

impl ValueEnum for Shell {
    fn value_variants<'a>() -> &'a [Self] {
        &[Shell::Sh, Shell::Fish, Shell::Powershell]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let (name, help) = match self {
            Shell::Sh => ("sh", "POSIX sh, bash, zsh: `export NAME='value'`"),
            Shell::Fish => ("fish", "fish: `set -gx NAME 'value'`"),
            Shell::Powershell => ("powershell", "PowerShell: `$env:NAME = 'value'`"),
        };
        Some(PossibleValue::new(name).help(help))
    }
}
