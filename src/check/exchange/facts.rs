//! The readiness checks' own thresholds. What each venue documents (its clock window, which
//! permission the master needs to manage keys, where a key's scope and IP list can be read) is
//! in the venue's record, [`crate::exchanges::facts::VenueFacts`], reached with
//! `ExchangeId::facts()`.

pub(crate) use crate::exchanges::facts::{KeyAdmin, Tolerance};

/// Days before a key's expiry that `master.expiry` warns.
pub(crate) const EXPIRY_WARNING_DAYS: i64 = 14;
