//! Each dialect's own state on a venue (Deribit's tokens, Binance's weights, Kraken's nonces,
//! OKX's algo orders), kept without the core naming any dialect.
//!
//! The venue holds one slot per state type, keyed by the type itself and created on first use
//! from its `Default`, so a dialect reaches its state as `v.own.get_mut::<DeribitState>()` and a
//! new dialect adds no field to `Venue`. Reads never create a slot: a state nobody wrote is
//! absent (`None`), which every dialect reads as its default. Nothing a request sends can make
//! an access fail: the key of a slot is the type of its value.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;

/// A dialect's own state: anything with a `Debug` that may cross threads with the venue.
pub(crate) trait DialectState: Any + fmt::Debug + Send {}

impl<T: Any + fmt::Debug + Send> DialectState for T {}

/// The dialects' own states of one venue, one per type.
#[derive(Debug, Default)]
pub(crate) struct OwnStates {
    slots: HashMap<TypeId, Box<dyn DialectState>>,
}

impl OwnStates {
    /// Returns the state of type `T`, created from its default on first use.
    pub(crate) fn get_mut<T: DialectState + Default>(&mut self) -> &mut T {
        let slot = self
            .slots
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Box::new(T::default()));
        let any: &mut dyn Any = &mut **slot;
        match any.downcast_mut::<T>() {
            Some(state) => state,
            // Slots are keyed by the type of the value put in them, just above.
            None => unreachable!("the slot of a type holds a value of that type"),
        }
    }

    /// Returns the state of type `T`, or `None` when nothing has used it yet.
    pub(crate) fn get<T: DialectState>(&self) -> Option<&T> {
        let slot = self.slots.get(&TypeId::of::<T>())?;
        let any: &dyn Any = &**slot;
        any.downcast_ref::<T>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, PartialEq)]
    struct Counter(u32);

    #[derive(Debug, Default, PartialEq)]
    struct Names(Vec<String>);

    #[test]
    fn a_state_is_created_on_first_use_and_kept_apart_from_others() {
        let mut own = OwnStates::default();
        assert_eq!(own.get::<Counter>(), None, "reading creates nothing");
        own.get_mut::<Counter>().0 += 2;
        own.get_mut::<Names>().0.push("a".to_owned());
        own.get_mut::<Counter>().0 += 1;
        assert_eq!(own.get::<Counter>(), Some(&Counter(3)));
        assert_eq!(own.get::<Names>(), Some(&Names(vec!["a".to_owned()])));
    }
}
