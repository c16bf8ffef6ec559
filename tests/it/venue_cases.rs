//! Cases every venue with sub-account keys must pass, as a venue × case table (the shape of
//! `venue_drills`): what differs between venues is data in a row, so a case is written once and
//! a venue is added by adding its rows. Each row becomes its own test, `<venue>::<case>`, so
//! `cargo test --test it binance` still runs all of Binance's.

use lockdown::exchanges::ExchangeId;

use crate::support::{Lab, assert_no_secret_in, code, read, run_texts, stderr};

/// Where a venue's secrets are and how its signed requests show.
struct Secrets {
    venue: ExchangeId,
    seed: u64,
    /// Session files holding a secret, by label.
    files: &'static [(&'static str, &'static str)],
    /// Fields of the stored replacement holding one, by label.
    stored: &'static [(&'static str, &'static str)],
    /// Lines stderr shows of the signed requests at `-vv`.
    shown: &'static [&'static str],
}

/// A full response at `-vv` writes no secret anywhere (old keys, new key, passphrases), and the
/// signed requests it shows have their credentials redacted.
async fn no_secret_in_any_output(case: &Secrets) {
    let lab = Lab::start_on(case.venue, case.seed).await;
    let dir = lab.sim_dir();
    let output = lab.respond(&["--yes", "--json", "-vv"]).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let stored = lab.replacement();
    let mut secrets: Vec<(&str, String)> = case
        .files
        .iter()
        .map(|(which, file)| (*which, read(&dir.join(file))))
        .collect();
    for (which, field) in case.stored {
        secrets.push((which, stored[field].as_str().unwrap().to_owned()));
    }
    assert_no_secret_in(&run_texts(&lab, &output), &secrets);
    let err = stderr(&output);
    for line in case.shown {
        assert!(err.contains(line), "{err}");
    }
}

/// How a venue names the sub-account its key management needs.
struct MissingAccount {
    venue: ExchangeId,
    seed: u64,
    /// Part of the key-management paths, none of which may be called.
    path: &'static str,
    /// What the error says.
    says: &'static [&'static str],
}

/// A key without its `account:` cannot be locked: the run is bad input, and nothing is sent.
async fn without_its_account_is_bad_input(case: &MissingAccount) {
    let lab = Lab::start_on(case.venue, case.seed).await;
    let text = lab.respond_without_account(case.path).await;
    for says in case.says {
        assert!(text.contains(says), "{text}");
    }
}

/// One `#[tokio::test]` per venue × case, in a module per venue.
macro_rules! table {
    ($($venue:ident { $($name:ident: $case:ident($row:expr)),+ $(,)? })+) => {
        $(mod $venue {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $name() {
                    $case(&$row).await;
                }
            )+
        })+
    };
}

table! {
    binance {
        secrets_and_signatures_never_appear_in_any_output: no_secret_in_any_output(Secrets {
            venue: ExchangeId::Binance,
            seed: 69,
            files: &[("master secret", "master.secret"), ("bot secret", "bot.secret")],
            stored: &[("new secret", "api_secret")],
            shown: &["X-MBX-APIKEY: <redacted>", "signature=<redacted>"],
        }),
        a_key_without_its_sub_account_email_is_bad_input: without_its_account_is_bad_input(
            MissingAccount {
                venue: ExchangeId::Binance,
                seed: 68,
                path: "subAccountApi",
                says: &["sub-account email"],
            }
        ),
    }
    okx {
        secrets_and_passphrases_never_appear_in_any_output: no_secret_in_any_output(Secrets {
            venue: ExchangeId::Okx,
            seed: 54,
            files: &[
                ("master secret", "master.secret"),
                ("master passphrase", "master.passphrase"),
                ("bot secret", "bot.secret"),
                ("bot passphrase", "bot.passphrase"),
            ],
            stored: &[("new secret", "api_secret"), ("new passphrase", "api_passphrase")],
            shown: &["OK-ACCESS-PASSPHRASE: <redacted>", "OK-ACCESS-SIGN: <redacted>"],
        }),
        // OKX manages sub-account keys by the sub-account's name: without `account:` the lock
        // cannot be built, and nothing is sent.
        a_key_without_its_sub_account_name_is_bad_input: without_its_account_is_bad_input(
            MissingAccount {
                venue: ExchangeId::Okx,
                seed: 55,
                path: "/users/subaccount/",
                says: &["sub-account name", "`account:`"],
            }
        ),
    }
}
