//! Seeded identifiers: API key ids, secrets, order and execution ids.
//!
//! Every id and secret the simulator hands out comes from one seeded RNG, so the same seed gives
//! the same ids in the same order of creation. Shapes follow Bybit (docs/venues/bybit.md §4): key
//! ids are 18 alphanumeric characters, secrets 36, order ids UUID-shaped; OKX's are numeric order
//! and bill ids, UUID key ids and 32-hex-digit secrets (the docs' examples, docs/venues/okx.md §3,
//! §5). Never used for anything that must be unpredictable outside a test: this is a simulator.

use std::fmt;

use rand::distr::Alphanumeric;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The simulator's single source of ids and secrets.
pub(crate) struct IdGen {
    rng: StdRng,
}

impl fmt::Debug for IdGen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The RNG state predicts every future secret: never print it.
        f.write_str("IdGen { .. }")
    }
}

impl IdGen {
    /// Creates a generator whose output depends only on `seed`.
    pub(crate) fn new(seed: u64) -> IdGen {
        IdGen {
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// Returns `len` random ASCII letters and digits.
    pub(crate) fn alnum(&mut self, len: usize) -> String {
        (&mut self.rng)
            .sample_iter(Alphanumeric)
            .take(len)
            .map(char::from)
            .collect()
    }

    /// Returns a Bybit-shaped API key id (18 alphanumeric characters).
    pub(crate) fn api_key(&mut self) -> String {
        self.alnum(18)
    }

    /// Returns a Bybit-shaped API secret (36 alphanumeric characters).
    pub(crate) fn secret(&mut self) -> String {
        self.alnum(36)
    }

    /// Returns the numeric "internal" key id Bybit shows as `id` (e.g. `16651472`).
    pub(crate) fn internal_key_id(&mut self) -> String {
        self.rng
            .random_range(10_000_000u64..100_000_000)
            .to_string()
    }

    /// Returns a version-4 UUID string, the shape of Bybit order, execution and transfer ids.
    pub(crate) fn uuid(&mut self) -> String {
        let mut b: [u8; 16] = self.rng.random();
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h = hex::encode(b);
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }

    /// Returns an OKX-shaped numeric id (`590908157585625111`: order and bill ids).
    pub(crate) fn numeric_id(&mut self) -> String {
        self.rng
            .random_range(100_000_000_000_000_000u64..1_000_000_000_000_000_000)
            .to_string()
    }

    /// Returns `bytes` random bytes as lowercase hex (transaction hashes, addresses).
    pub(crate) fn hex(&mut self, bytes: usize) -> String {
        let v: Vec<u8> = (0..bytes).map(|_| self.rng.random()).collect();
        hex::encode(v)
    }

    /// Returns `n` random bytes (Kraken's key ids and secrets are base64 of such bytes).
    pub(crate) fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.rng.random()).collect()
    }

    /// Returns a Kraken-shaped id: `prefix` and 5 more characters, then 5, then 6, uppercase
    /// letters and digits joined by dashes (`OQCLML-BW3P3-BUCMWZ` orders, `T…` trades).
    pub(crate) fn txid(&mut self, prefix: char) -> String {
        const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let mut part = |n: usize| -> String {
            (0..n)
                .map(|_| char::from(CHARS[self.rng.random_range(0..CHARS.len())]))
                .collect()
        };
        let (a, b, c) = (part(5), part(5), part(6));
        format!("{prefix}{a}-{b}-{c}")
    }

    /// Returns a number in `0..n` (used to spread seeded times).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.rng.random_range(0..n.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_match_bybit() {
        let mut g = IdGen::new(7);
        let key = g.api_key();
        assert_eq!(key.len(), 18);
        assert!(key.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(g.secret().len(), 36);
        let u = g.uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(u.matches('-').count(), 4);
        assert_eq!(&u[14..15], "4");
    }

    #[test]
    fn okx_numeric_ids_have_eighteen_digits() {
        let mut g = IdGen::new(7);
        for _ in 0..50 {
            let id = g.numeric_id();
            assert_eq!(id.len(), 18, "{id}");
            assert!(id.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn same_seed_same_ids() {
        let (mut a, mut b) = (IdGen::new(1), IdGen::new(1));
        assert_eq!(a.api_key(), b.api_key());
        assert_eq!(a.uuid(), b.uuid());
        assert_ne!(IdGen::new(2).api_key(), IdGen::new(1).api_key());
    }
}
