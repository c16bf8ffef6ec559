//! Two-factor challenges for "TFA required" methods (docs/venues/deribit.md §4, "TFA / security
//! keys").
//!
//! With the knob on (`Sim::set_tfa_required`), a TFA-marked method called without an answer
//! gets a result with `security_key_authorization_required: true` and a `challenge` instead of
//! doing anything. Called again with `authorization_data` (the one-time code) and that
//! `challenge`, it goes ahead. The simulator accepts one fixed code, [`SIMULATED_OTP`], which the
//! session files record (`DIR/otp`). A challenge belongs to the key it was issued to and is good
//! for 60 seconds and any number of TFA-marked calls of that key (chosen: the docs do not say
//! whether one answer covers one call; lockdown's steps make a lookup and a change with it).
//! A wrong code is 13006 `security_error`; an unknown or expired challenge 13009.

use std::collections::HashMap;

use crate::sim::deribit::reply::{RpcError, code};

/// The one code the simulator accepts.
pub(crate) const SIMULATED_OTP: &str = "424242";

/// How long a challenge can be answered.
pub(crate) const CHALLENGE_LIFETIME_MS: i64 = 60_000;

/// Open challenges: challenge to (key, expiry).
#[derive(Debug, Default)]
pub(crate) struct Challenges {
    open: HashMap<String, (String, i64)>,
    issued: u64,
}

impl Challenges {
    /// Issues a challenge to a key.
    pub(crate) fn issue(&mut self, client_id: &str, now_ms: i64) -> String {
        self.open.retain(|_, (_, until)| now_ms < *until);
        self.issued += 1;
        let challenge = format!("sim-{now_ms:x}-{}", self.issued);
        self.open.insert(
            challenge.clone(),
            (client_id.to_owned(), now_ms + CHALLENGE_LIFETIME_MS),
        );
        challenge
    }

    /// Checks an answer to a challenge.
    pub(crate) fn check(
        &self,
        client_id: &str,
        challenge: &str,
        answer: &str,
        now_ms: i64,
    ) -> Result<(), RpcError> {
        match self.open.get(challenge) {
            Some((holder, until)) if holder == client_id && now_ms < *until => {}
            _ => {
                return Err(RpcError::new(code::UNAUTHORIZED, "unauthorized")
                    .because("unknown_or_expired_challenge"));
            }
        }
        if answer == SIMULATED_OTP {
            Ok(())
        } else {
            Err(RpcError::new(code::SECURITY_ERROR, "security_error"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_challenge_takes_the_code_from_its_key_for_a_minute() {
        let mut c = Challenges::default();
        let ch = c.issue("KEY1", 0);
        assert!(c.check("KEY1", &ch, SIMULATED_OTP, 10).is_ok());
        assert!(c.check("KEY1", &ch, SIMULATED_OTP, 20).is_ok(), "reusable");
        assert_eq!(
            c.check("KEY1", &ch, "000000", 10).unwrap_err().code,
            code::SECURITY_ERROR
        );
        assert_eq!(
            c.check("KEY2", &ch, SIMULATED_OTP, 10).unwrap_err().code,
            code::UNAUTHORIZED
        );
        assert!(
            c.check("KEY1", &ch, SIMULATED_OTP, CHALLENGE_LIFETIME_MS)
                .is_err()
        );
    }
}
