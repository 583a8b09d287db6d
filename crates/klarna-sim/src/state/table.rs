//! A map from id to record that remembers which ids were changed since the state file last
//! saw it, so each write carries only those.

use std::collections::{btree_map, BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// Records by id; `get_mut`, `insert`, `entry` and `retain` note what they touch.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Table<V> {
    entries: BTreeMap<String, V>,
    #[serde(skip)]
    touched: BTreeSet<String>,
}

impl<V> Default for Table<V> {
    fn default() -> Self {
        Self { entries: BTreeMap::new(), touched: BTreeSet::new() }
    }
}

impl<V> Table<V> {
    /// The record `key`.
    pub fn get(&self, key: &str) -> Option<&V> {
        self.entries.get(key)
    }

    /// The record `key`, to change.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        let value = self.entries.get_mut(key)?;
        self.touched.insert(key.to_owned());
        Some(value)
    }

    /// Adds or replaces the record `key`.
    pub fn insert(&mut self, key: String, value: V) {
        self.touched.insert(key.clone());
        self.entries.insert(key, value);
    }

    /// The record `key`, created with its default if missing, to change.
    pub fn entry(&mut self, key: String) -> &mut V
    where
        V: Default,
    {
        self.touched.insert(key.clone());
        self.entries.entry(key).or_default()
    }

    /// Keeps the records `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &mut V) -> bool) {
        let touched = &mut self.touched;
        self.entries.retain(|key, value| {
            let kept = keep(key, value);
            if !kept {
                touched.insert(key.clone());
            }
            kept
        });
    }

    /// Every record, by id.
    pub fn iter(&self) -> btree_map::Iter<'_, String, V> {
        self.entries.iter()
    }

    /// Every record.
    pub fn values(&self) -> btree_map::Values<'_, String, V> {
        self.entries.values()
    }

    /// Forgets what was touched (when no state file wants to know).
    pub fn forget_changes(&mut self) {
        self.touched.clear();
    }

    /// The ids changed since the last call, each with its record (`None`: removed).
    pub fn take_changes(&mut self) -> Vec<(String, Option<&V>)> {
        let touched = std::mem::take(&mut self.touched);
        touched
            .into_iter()
            .map(|key| {
                let value = self.entries.get(&key);
                (key, value)
            })
            .collect()
    }

    /// Every record, as changes (for a full snapshot); forgets what was touched.
    pub fn all(&mut self) -> Vec<(String, Option<&V>)> {
        self.touched.clear();
        self.entries.iter().map(|(key, value)| (key.clone(), Some(value))).collect()
    }

    /// Applies a change read back from the state file.
    pub fn apply(&mut self, key: String, value: Option<V>) {
        match value {
            Some(value) => self.entries.insert(key, value),
            None => self.entries.remove(&key),
        };
    }
}
