//! A per-environment table of Rust things JS refers to by index (schedulers, ops): an
//! index crosses napi for nothing, where a napi class instance per item costs a weak
//! reference, a finalizer and an entry in napi-rs's object registry.

/// Slots reused through a free list, so indexes stay small and the table stays dense.
pub struct Table<T> {
    slots: Vec<Option<T>>,
    free: Vec<u32>,
}

impl<T> Table<T> {
    pub const fn new() -> Self {
        Table {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    pub fn insert(&mut self, item: T) -> u32 {
        self.insert_with(|_| item)
    }

    /// Inserts what `make` builds knowing its index.
    pub fn insert_with(&mut self, make: impl FnOnce(u32) -> T) -> u32 {
        match self.free.pop() {
            Some(k) => {
                self.slots[k as usize] = Some(make(k));
                k
            }
            None => {
                let k = self.slots.len() as u32;
                self.slots.push(Some(make(k)));
                k
            }
        }
    }

    pub fn get_mut(&mut self, k: u32) -> Option<&mut T> {
        self.slots.get_mut(k as usize).and_then(Option::as_mut)
    }

    /// Empties slot `k`; an index already free (or never given) is ignored.
    pub fn remove(&mut self, k: u32) -> Option<T> {
        let item = self.slots.get_mut(k as usize).and_then(Option::take);
        if item.is_some() {
            self.free.push(k);
        }
        item
    }
}
