//! Ids: random, or deterministic from `--seed` (SHA-256 of the seed and a counter).

use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Hands out UUIDs; with a seed, the same sequence every run.
pub struct IdGen {
    seed: Option<u64>,
    counter: AtomicU64,
}

impl IdGen {
    /// A generator, seeded or random.
    pub fn new(seed: Option<u64>) -> Self {
        Self { seed, counter: AtomicU64::new(0) }
    }

    /// The next UUID (version 4 layout).
    pub fn uuid(&self) -> Uuid {
        let Some(seed) = self.seed else { return Uuid::new_v4() };
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let digest = Sha256::new().chain_update(seed.to_le_bytes()).chain_update(n.to_le_bytes()).finalize();
        let mut bytes = [0u8; 16];
        for (byte, from) in bytes.iter_mut().zip(digest.iter()) {
            *byte = *from;
        }
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    /// `prefix` followed by the next UUID.
    pub fn krn(&self, prefix: &str) -> String {
        format!("{prefix}{}", self.uuid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_ids_repeat_and_differ_by_seed() {
        let (a, b, c) = (IdGen::new(Some(7)), IdGen::new(Some(7)), IdGen::new(Some(8)));
        let first: Vec<Uuid> = (0..3).map(|_| a.uuid()).collect();
        assert_eq!(first, (0..3).map(|_| b.uuid()).collect::<Vec<_>>());
        assert_ne!(first[0], c.uuid());
        assert_ne!(first[0], first[1]);
        assert_eq!(first[0].get_version_num(), 4);
    }
}
