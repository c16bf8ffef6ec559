//! Integration tests: one binary, one module per topic. They read like a user session: start the
//! simulator on 127.0.0.1 (port 0), run the real `lockdown` binary against it, and look at what
//! the exchange ended up with.

// Helpers outside `#[test]` functions unwrap too: a failed setup should fail the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod adapter;
mod bad_input;
mod binance;
mod broken_pipe;
mod bundle;
mod canary;
mod check_exchange;
mod check_local;
mod containment;
mod datapath;
mod deadlines;
mod deribit;
mod drill;
mod drill_history;
mod drill_profile;
mod engine;
mod exchange;
mod freeze_account;
mod handoff;
mod hardening;
mod history;
mod journal;
mod kraken;
mod ledger_import;
mod lock_first;
mod many_keys;
mod notify_chat;
mod notify_core;
mod notify_drill;
mod notify_page;
mod notify_webhook;
mod okx;
mod private_files;
mod respond;
mod resume;
mod scan;
mod schedule;
mod scheduler;
mod secrets_aws;
mod secrets_local;
mod secrets_vault;
mod shapes;
mod shapes_attacker;
mod shapes_binance;
mod shapes_bybit_accounts;
mod shapes_bybit_orders;
mod shapes_deribit;
mod shapes_kraken;
mod shapes_okx;
mod sim_cli;
mod store_drills;
mod support;
mod venue_cases;
mod venue_drills;
mod verdicts;
