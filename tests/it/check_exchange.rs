//! `lockdown check`'s exchange-side findings against the simulator of each venue, over HTTP on
//! 127.0.0.1: each test sets the simulated account up the way a real one goes wrong before an
//! incident (the simulator's knobs act as the venue's web interface would) and looks for the
//! finding; one per venue shows a correct profile draws no warning.

use lockdown::check::{Finding, Severity};
use lockdown::exchanges::ExchangeId;

use crate::support::{Lab, bind_bot_key, echo_server, edit_config};

const DAY_MS: i64 = 86_400_000;

/// Every exchange-side finding for the lab's `sim` profile.
async fn findings(lab: &Lab) -> Vec<Finding> {
    let profile = lockdown::config::load_profile(&lab.session.config, Some("sim")).unwrap();
    let playbook = lockdown::playbook::for_profile(None, &profile).unwrap();
    lockdown::check::exchange_findings(&profile, &playbook).await
}

/// The one finding `check` (every test expects exactly one of each id it looks at, per key).
fn the<'a>(all: &'a [Finding], check: &str) -> &'a Finding {
    let found: Vec<&Finding> = all.iter().filter(|f| f.check == check).collect();
    assert_eq!(found.len(), 1, "one `{check}` in {all:#?}");
    found[0]
}

fn master_key(lab: &Lab) -> String {
    lab.creds().0.key.as_str().to_owned()
}

fn no_secret_in(lab: &Lab, all: &[Finding]) {
    let dir = lab.sim_dir();
    let text = serde_json::to_string(all).unwrap();
    for file in [
        "master.secret",
        "bot.secret",
        "master.passphrase",
        "bot.passphrase",
    ] {
        if let Ok(secret) = std::fs::read_to_string(dir.join(file)) {
            let secret = secret.trim();
            assert!(
                !secret.is_empty() && !text.contains(secret),
                "{file} in {text}"
            );
        }
    }
}

#[tokio::test]
async fn a_correct_sim_profile_draws_no_warning_from_the_exchange_side() {
    for venue in ExchangeId::ALL {
        let lab = Lab::start_on(*venue, 1601).await;
        bind_bot_key(&lab);
        // Binance shows only that the master has an IP list, not the list, and BitMEX lists the
        // account's keys without saying which one signed: their profiles need `ip_echo:` for
        // `responder_ip` to be confirmed.
        if matches!(venue, ExchangeId::Binance | ExchangeId::Bitmex) {
            let url = echo_server(false).await;
            edit_config(
                &lab,
                "    responder_ip:",
                &format!("    ip_echo: {url}\n    responder_ip:"),
            );
        }
        let all = findings(&lab).await;
        let bad: Vec<&Finding> = all.iter().filter(|f| f.severity != Severity::Ok).collect();
        assert!(bad.is_empty(), "{venue}: {bad:#?}");
        for check in [
            "clock",
            "master.auth",
            "master.permission",
            "master.ip_bound",
            "master.expiry",
            "responder_ip",
            "key.exists",
            "key.withdraw",
            "key.ip_list",
        ] {
            the(&all, check);
        }
        no_secret_in(&lab, &all);
    }
}

#[tokio::test]
async fn a_master_key_the_exchange_refuses_is_critical_with_the_venues_reason() {
    for venue in ExchangeId::ALL {
        let lab = Lab::start_on(*venue, 1602).await;
        // Bound elsewhere in the web interface: this machine is no longer allowed.
        assert!(
            lab.sim
                .set_key_ips(&master_key(&lab), &["198.51.100.7".parse().unwrap()])
        );
        let all = findings(&lab).await;
        let auth = the(&all, "master.auth");
        assert_eq!(auth.severity, Severity::Critical, "{venue}: {auth:#?}");
        assert!(
            auth.message.contains("refused"),
            "{venue}: {}",
            auth.message
        );
        assert!(auth.fix.is_some(), "{venue}");
        // What it could not read is not judged.
        assert!(
            all.iter().all(|f| f.check != "master.permission"),
            "{venue}: {all:#?}"
        );
        no_secret_in(&lab, &all);
    }
}

#[tokio::test]
async fn a_master_key_without_key_management_permission_is_critical() {
    // The venue's key-management permission, taken away (Kraken manages no keys by API).
    for (venue, group, left) in [
        (ExchangeId::Bybit, "Wallet", &[][..]),
        (
            ExchangeId::Binance,
            "binance",
            &["canFuturesTrade", "enableWithdrawals"][..],
        ),
        (ExchangeId::Okx, "perm", &["read_only"][..]),
        (ExchangeId::Deribit, "account", &["read"][..]),
    ] {
        let lab = Lab::start_on(venue, 1603).await;
        assert!(lab.sim.set_key_grant(&master_key(&lab), group, left));
        let all = findings(&lab).await;
        let found = the(&all, "master.permission");
        assert_eq!(found.severity, Severity::Critical, "{venue}: {found:#?}");
        assert!(found.message.contains("cannot manage keys"), "{venue}");
        assert!(
            found
                .fix
                .as_deref()
                .unwrap()
                .contains("give the master key")
        );
        assert_eq!(the(&all, "master.auth").severity, Severity::Ok, "{venue}");
    }
    let lab = Lab::start_on(ExchangeId::Kraken, 1603).await;
    let all = findings(&lab).await;
    let kraken = the(&all, "master.permission");
    assert_eq!(kraken.severity, Severity::Ok);
    assert!(kraken.message.contains("guided"), "{}", kraken.message);
}

#[tokio::test]
async fn an_unbound_master_is_critical_on_okx_and_a_warning_elsewhere() {
    for venue in ExchangeId::ALL {
        let lab = Lab::start_on(*venue, 1604).await;
        assert!(lab.sim.set_key_ips(&master_key(&lab), &[]));
        let all = findings(&lab).await;
        let found = the(&all, "master.ip_bound");
        // OKX (`50035`) and Bitget (newer docs) serve key management to IP-bound masters only.
        let want = if matches!(*venue, ExchangeId::Okx | ExchangeId::Bitget) {
            Severity::Critical
        } else {
            Severity::Warning
        };
        assert_eq!(found.severity, want, "{venue}: {found:#?}");
        if want == Severity::Critical {
            // Each venue's refusal is its own (OKX `50035`): the message names its page.
            let page = format!("docs/venues/{venue}.md §4");
            assert!(found.message.contains(&page), "{venue}: {found:#?}");
        }
        assert!(found.fix.as_deref().unwrap().contains("responder_ip"));
        // Nothing is left to confirm `responder_ip` by, but Deribit's access log.
        let want = if *venue == ExchangeId::Deribit {
            Severity::Ok
        } else {
            Severity::Warning
        };
        assert_eq!(the(&all, "responder_ip").severity, want, "{venue}");
    }
}

#[tokio::test]
async fn a_master_key_expiring_soon_warns_and_an_expired_one_is_critical() {
    // The venues whose key answers carry an expiry: Bybit `expiredAt`, Kraken `validUntil`.
    for venue in [ExchangeId::Bybit, ExchangeId::Kraken] {
        let lab = Lab::start_on(venue, 1605).await;
        let master = master_key(&lab);
        assert!(lab.sim.set_key_expiry_in(&master, Some(5 * DAY_MS)));
        let all = findings(&lab).await;
        let soon = the(&all, "master.expiry");
        assert_eq!(soon.severity, Severity::Warning, "{venue}: {soon:#?}");
        assert!(soon.message.contains("day(s)"), "{}", soon.message);

        assert!(lab.sim.set_key_expiry_in(&master, Some(-DAY_MS)));
        let all = findings(&lab).await;
        let gone = the(&all, "master.expiry");
        assert_eq!(gone.severity, Severity::Critical, "{venue}: {gone:#?}");
        assert!(gone.message.contains("expired"), "{}", gone.message);
    }
}

#[tokio::test]
async fn a_clock_off_by_a_third_of_the_window_warns_and_past_it_is_critical() {
    // How far behind the exchange this machine's timestamps may be (docs/venues §7).
    for (venue, window_ms) in [
        (ExchangeId::Bybit, 5_000),
        (ExchangeId::Binance, 5_000),
        (ExchangeId::Okx, 30_000),
        (ExchangeId::Deribit, 60_000),
    ] {
        let lab = Lab::start_on(venue, 1606).await;
        lab.sim.set_clock_skew_ms(window_ms / 2);
        let all = findings(&lab).await;
        let off = the(&all, "clock");
        assert_eq!(off.severity, Severity::Warning, "{venue}: {off:#?}");
        assert!(off.fix.as_deref().unwrap().contains("NTP"));

        lab.sim.set_clock_skew_ms(window_ms * 2);
        let all = findings(&lab).await;
        assert_eq!(the(&all, "clock").severity, Severity::Critical, "{venue}");
    }
    // Kraken checks nonces, not timestamps.
    let lab = Lab::start_on(ExchangeId::Kraken, 1606).await;
    lab.sim.set_clock_skew_ms(120_000);
    let all = findings(&lab).await;
    assert_eq!(the(&all, "clock").severity, Severity::Ok);
}

#[tokio::test]
async fn a_responder_ip_outside_the_masters_ip_list_is_critical() {
    for venue in ExchangeId::ALL {
        let lab = Lab::start_on(*venue, 1607).await;
        edit_config(&lab, "responder_ip: 127.0.0.1", "responder_ip: 203.0.113.5");
        let all = findings(&lab).await;
        let found = the(&all, "responder_ip");
        if matches!(venue, ExchangeId::Binance | ExchangeId::Bitmex) {
            // Binance does not show the list, BitMEX not whose it is: only `ip_echo` can tell
            // (the next test).
            assert_eq!(found.severity, Severity::Warning, "{found:#?}");
            assert!(found.fix.as_deref().unwrap().contains("ip_echo"));
            continue;
        }
        assert_eq!(found.severity, Severity::Critical, "{venue}: {found:#?}");
        assert!(found.message.contains("203.0.113.5"), "{}", found.message);
        assert_eq!(
            found.fix.as_deref(),
            Some("set `responder_ip: 127.0.0.1` in the profile"),
            "{venue}"
        );
    }
}

#[tokio::test]
async fn ip_echo_tells_this_machines_address_where_the_exchange_does_not() {
    for (venue, json) in [(ExchangeId::Binance, false), (ExchangeId::Bybit, true)] {
        let lab = Lab::start_on(venue, 1608).await;
        // An unbound master shows no list: the echo is the only witness.
        assert!(lab.sim.set_key_ips(&master_key(&lab), &[]));
        let url = echo_server(json).await;
        edit_config(
            &lab,
            "    responder_ip: 127.0.0.1",
            &format!("    ip_echo: {url}\n    responder_ip: 203.0.113.5"),
        );
        let all = findings(&lab).await;
        let wrong = the(&all, "responder_ip");
        assert_eq!(wrong.severity, Severity::Critical, "{venue}: {wrong:#?}");
        assert!(wrong.message.contains("`ip_echo`"), "{}", wrong.message);
        assert_eq!(
            wrong.fix.as_deref(),
            Some("set `responder_ip: 127.0.0.1` in the profile")
        );

        edit_config(&lab, "responder_ip: 203.0.113.5", "responder_ip: 127.0.0.1");
        let all = findings(&lab).await;
        assert_eq!(the(&all, "responder_ip").severity, Severity::Ok, "{venue}");
    }
}

#[tokio::test]
async fn deribits_access_log_tells_the_address_of_the_masters_login() {
    let lab = Lab::start_on(ExchangeId::Deribit, 1615).await;
    // An unbound master shows no list: the access log is the witness (the profile logs in,
    // `auth: token`, and Deribit records the login with its address).
    assert!(lab.sim.set_key_ips(&master_key(&lab), &[]));
    edit_config(&lab, "responder_ip: 127.0.0.1", "responder_ip: 203.0.113.5");
    let all = findings(&lab).await;
    let wrong = the(&all, "responder_ip");
    assert_eq!(wrong.severity, Severity::Critical, "{wrong:#?}");
    assert!(wrong.message.contains("access log"), "{}", wrong.message);
    assert_eq!(
        wrong.fix.as_deref(),
        Some("set `responder_ip: 127.0.0.1` in the profile")
    );

    edit_config(&lab, "responder_ip: 203.0.113.5", "responder_ip: 127.0.0.1");
    let all = findings(&lab).await;
    let right = the(&all, "responder_ip");
    assert_eq!(right.severity, Severity::Ok, "{right:#?}");
    assert!(right.message.contains("access log"), "{}", right.message);
}

#[tokio::test]
async fn an_echo_that_answers_no_address_is_a_warning() {
    let lab = Lab::start_on(ExchangeId::Bybit, 1609).await;
    // The simulator's root answers no address.
    let url = format!("{}/v5/market/time", lab.running.base_url);
    edit_config(
        &lab,
        "    responder_ip:",
        &format!("    ip_echo: {url}\n    responder_ip:"),
    );
    let all = findings(&lab).await;
    let found = the(&all, "responder_ip");
    assert_eq!(found.severity, Severity::Warning, "{found:#?}");
    assert!(found.message.contains("no IP address"), "{}", found.message);
}

#[tokio::test]
async fn an_ip_echo_over_plain_http_is_a_finding_and_never_stops_a_response() {
    let lab = Lab::start_on(ExchangeId::Bybit, 1614).await;
    edit_config(
        &lab,
        "    responder_ip:",
        "    ip_echo: http://203.0.113.9/ip\n    responder_ip:",
    );
    // `respond` reads no `ip_echo`: a bad one must not keep the profile from loading.
    let all = findings(&lab).await;
    let found = the(&all, "responder_ip");
    assert_eq!(found.severity, Severity::Warning, "{found:#?}");
    assert!(found.message.contains("plain http"), "{}", found.message);
    let output = lab.respond(&["--dry-run"]).await;
    assert_ne!(
        crate::support::code(&output),
        2,
        "{}",
        crate::support::stderr(&output)
    );
}

#[tokio::test]
async fn a_bot_key_without_an_ip_list_warns() {
    // The simulator's leaked bot key is unbound, as the incident it stages.
    for venue in ExchangeId::ALL {
        let lab = Lab::start_on(*venue, 1610).await;
        let all = findings(&lab).await;
        assert_eq!(
            the(&all, "key.exists").severity,
            Severity::Ok,
            "{venue}: {all:#?}"
        );
        let found = the(&all, "key.ip_list");
        assert_eq!(found.severity, Severity::Warning, "{venue}: {found:#?}");
        assert!(found.fix.as_deref().unwrap().contains("bot_ips"));
    }
}

#[tokio::test]
async fn a_bot_key_that_can_withdraw_or_transfer_warns() {
    // OKX sub-account keys cannot withdraw (docs/venues/okx.md §4): no such key there.
    for (venue, group, grant) in [
        (ExchangeId::Bybit, "Wallet", &["SubMemberTransferList"][..]),
        (
            ExchangeId::Binance,
            "binance",
            &["canTrade", "canUniversalTransfer"][..],
        ),
        (ExchangeId::Deribit, "wallet", &["read_write"][..]),
        (
            ExchangeId::Kraken,
            "kraken",
            &["query-funds", "withdraw-funds"][..],
        ),
    ] {
        let lab = Lab::start_on(venue, 1611).await;
        bind_bot_key(&lab);
        assert!(lab.sim.set_key_grant(&lab.leaked(), group, grant));
        let all = findings(&lab).await;
        let found = the(&all, "key.withdraw");
        assert_eq!(found.severity, Severity::Warning, "{venue}: {found:#?}");
        assert!(found.message.contains("move money"), "{}", found.message);
    }
}

#[tokio::test]
async fn a_bot_key_the_venue_no_longer_has_is_a_stale_entry() {
    for venue in ExchangeId::ALL {
        let lab = Lab::start_on(*venue, 1612).await;
        assert!(lab.sim.web_ui_delete_key(&lab.leaked()));
        let all = findings(&lab).await;
        let found = the(&all, "key.exists");
        assert_eq!(found.severity, Severity::Warning, "{venue}: {found:#?}");
        assert!(
            found.message.contains("no longer exists"),
            "{venue}: {}",
            found.message
        );
        assert!(
            found
                .fix
                .as_deref()
                .unwrap()
                .contains("remove the stale entry")
        );
        assert!(all.iter().all(|f| f.check != "key.withdraw"), "{venue}");
    }
}

#[tokio::test]
async fn binance_a_sub_account_key_as_master_cannot_manage_keys() {
    // Binance names no permission for sub-account key management, only "For Master Account"
    // (docs/venues/binance.md §4): a sub-account's key configured as `master:` authenticates,
    // and is refused the listing only a master key may read.
    let lab = Lab::start_on(ExchangeId::Binance, 1613).await;
    let master = master_key(&lab);
    edit_config(
        &lab,
        "key: file:master.key",
        &format!("key: {}", lab.leaked()),
    );
    edit_config(
        &lab,
        "secret: file:master.secret",
        "secret: file:bot.secret",
    );
    let all = findings(&lab).await;
    assert_eq!(the(&all, "master.auth").severity, Severity::Ok, "{all:#?}");
    let found = the(&all, "master.permission");
    assert_eq!(found.severity, Severity::Critical, "{found:#?}");
    assert!(
        found.message.contains("not a master-account key"),
        "{}",
        found.message
    );
    assert!(!master.is_empty());
}

#[tokio::test]
async fn deribit_a_sub_account_key_without_its_account_is_not_called_stale() {
    // Without `account:` only the main account's keys are listed; the bot key lives in a
    // sub-account, answers with its own secret, and is not a stale entry.
    let lab = Lab::start_on(ExchangeId::Deribit, 1616).await;
    lab.drop_config_lines("account:");
    let all = findings(&lab).await;
    let exists = the(&all, "key.exists");
    assert_eq!(exists.severity, Severity::Ok, "{exists:#?}");
    let scope = the(&all, "key.withdraw");
    assert_eq!(scope.severity, Severity::Warning, "{scope:#?}");
    assert!(scope.fix.as_deref().unwrap().contains("`account:`"));
}
