//! End-to-end tests of what the simulator reveals and to whom: endpoints never the hidden
//! truth, session files the owner's view of it (mode 0600, a profile that loads), `Inspect` the
//! whole truth, `Debug` no secret; and the same seed the same venue.

use serde_json::{Value, json};

use super::test_env::{BOT_UID, env};
use super::{Origin, Sim};

#[tokio::test]
async fn endpoints_never_reveal_the_hidden_truth() {
    let e = env().await;
    let bot = e.bot();
    for (path, q) in [
        ("/v5/order/realtime", "category=spot"),
        ("/v5/order/history", "category=spot"),
        ("/v5/execution/list", "category=spot"),
        ("/v5/user/query-api", ""),
    ] {
        let a = e.get(path, q, &bot).await;
        let text = a.body.to_string().to_lowercase();
        assert!(
            !text.contains("attacker") && !text.contains("origin") && !text.contains("leaked"),
            "{path}"
        );
        assert!(!text.contains(&bot.secret.to_lowercase()), "{path}");
    }
    e.run.shutdown().await;
}

#[tokio::test]
async fn write_session_writes_private_files_and_a_yaml_profile() {
    use std::os::unix::fs::PermissionsExt;
    let e = env().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("session");
    let s = e.sim.write_session(&out, &e.run.base_url).unwrap();
    let view = e.sim.inspect();
    assert_eq!(s.leaked_key, view.leaked_key_id().unwrap());
    for name in ["master.key", "master.secret", "bot.secret"] {
        let mode = std::fs::metadata(out.join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}");
    }
    let read = |n: &str| std::fs::read_to_string(out.join(n)).unwrap();
    assert_eq!(read("master.key").trim(), view.master_key().unwrap().id);
    assert_eq!(read("master.secret").trim(), e.master().secret);
    assert_eq!(read("bot.secret").trim(), e.bot().secret);
    assert_eq!(read("leaked-key").trim(), s.leaked_key);
    let config: serde_yaml::Value = serde_yaml::from_str(&read("config.yaml")).unwrap();
    let profile = &config["profiles"]["sim"];
    assert_eq!(profile["exchange"].as_str(), Some("bybit"));
    assert_eq!(profile["base_url"].as_str(), Some(e.run.base_url.as_str()));
    assert_eq!(
        profile["keys"][0]["id"].as_str(),
        Some(s.leaked_key.as_str())
    );
    assert_eq!(profile["keys"][0]["account"].as_str(), Some("1000002"));
    assert_eq!(
        profile["master"]["secret"].as_str(),
        Some("file:master.secret")
    );
    assert_eq!(s.config, out.join("config.yaml"));
    let lines: Vec<Value> = read("known-orders.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 11);
    assert!(
        lines
            .iter()
            .all(|l| l["client_order_id"].as_str().unwrap().starts_with("grid-"))
    );
    assert!(
        lines
            .iter()
            .all(|l| l["side"] == json!("buy") || l["side"] == json!("sell"))
    );
    assert!(lines[0]["created_at"].as_str().unwrap().ends_with('Z'));
    let known: std::collections::BTreeSet<_> = lines
        .iter()
        .map(|l| l["order_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(known, view.owner_order_ids());
    assert!(known.is_disjoint(&view.attacker_order_ids()));
    e.run.shutdown().await;
}

#[tokio::test]
async fn seed_is_deterministic() {
    let (a, b, c) = (
        Sim::bybit(7).inspect(),
        Sim::bybit(7).inspect(),
        Sim::bybit(8).inspect(),
    );
    let ids = |i: &super::Inspect| {
        (
            i.keys.iter().map(|k| k.id.clone()).collect::<Vec<_>>(),
            i.orders
                .iter()
                .map(|o| o.order_id.clone())
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(ids(&a), ids(&b));
    assert_eq!(a.attacker_order_ids(), b.attacker_order_ids());
    assert_ne!(ids(&a), ids(&c));
    assert_eq!(a.attacker_order_ids().len(), 6);
    assert_eq!(a.owner_order_ids().len(), 11);
    let bot = a.key(a.leaked_key_id().unwrap()).unwrap();
    assert_eq!(
        (bot.uid, bot.ips.clone(), bot.read_only),
        (BOT_UID, vec!["*".to_owned()], false)
    );
    assert_eq!(bot.id.len(), 18);
    assert!(a.orders.iter().all(|o| o.order_id.len() == 36));
    let sub = &a.balances[&BOT_UID];
    assert_eq!(
        sub.keys().collect::<Vec<_>>(),
        ["BTC", "ETH", "USDT", "XVG"]
    );
    assert!(sub.values().all(|v| !v.starts_with('-')), "{sub:?}");
    assert_eq!(a.balances[&a.master_uid]["USDT"], "100000");
    assert_eq!(a.account_notes[&BOT_UID], "grid-bot");
    let day = 24 * 60 * 60 * 1000;
    for o in &a.orders {
        let age = a.now_ms - o.created_ms;
        match o.origin {
            Origin::Owner => assert!(age <= 2 * day && o.order_link_id.starts_with("grid-")),
            Origin::Attacker => assert!(age <= day && !o.order_link_id.starts_with("grid-")),
        }
    }
}

#[tokio::test]
async fn debug_output_holds_no_secret() {
    let e = env().await;
    let (m, bot) = (e.master(), e.bot());
    let dumps = [
        format!("{:?}", e.sim),
        format!("{:?}", e.sim.inspect()),
        format!("{:?}", *e.sim.lock()),
        format!("{:?}", e.run),
    ];
    for d in dumps {
        assert!(!d.contains(&m.secret) && !d.contains(&bot.secret));
    }
    e.run.shutdown().await;
}
