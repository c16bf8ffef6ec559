//! The Bybit adapter against the simulator over real HTTP: every operation decodes, and the
//! client's retries (rate limit, clock) behave as documented.

use futures_util::future::join_all;
use lockdown::exchanges::model::{Access, Category, TradePermission};
use lockdown::exchanges::{Auth, Op};

use crate::adapter::{
    balances, create_key, executions_of, fills, lock_to, open_orders, orders, restrict_key,
    revoke_by_master, sub_keys, transfers, who_am_i, withdrawals,
};
use crate::support::{Lab, last_days};

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_round_trips() {
    let lab = Lab::start(41).await;
    let (master, bot) = lab.creds();
    let client = lab.client();
    let now = client.resync().await.unwrap();
    let window = last_days(now, 6);
    let venue = client.venue();

    let me = who_am_i(&client, &bot).await;
    assert_eq!(me.key, bot.key);
    let account = me.account.clone().expect("query-api names the UID");
    let keys = sub_keys(&client, &master, &account).await;
    assert!(keys.iter().any(|k| k.key == bot.key));

    let open = open_orders(&client, venue.segments(), &bot).await;
    let inspect = lab.sim.inspect();
    let uid: u64 = account.parse().unwrap();
    assert_eq!(open.len(), inspect.open_orders(uid).len());
    assert!(open.iter().any(|o| o.category == Category::Linear));

    let orders = orders(&client, venue.segments(), &bot, window).await;
    assert_eq!(
        orders.len(),
        inspect
            .orders
            .iter()
            .filter(|o| o.uid == uid && bybit_lists(o, now))
            .count()
    );
    let fills = fills(&client, venue.segments(), &bot, window).await;
    assert_eq!(fills.len(), executions_of(&inspect, uid));
    let balances = balances(&client, &bot).await;
    assert!(balances.iter().any(|b| b.coin == "USDT"));
    let transfers = transfers(&client, &master, window).await;
    assert_eq!(transfers.len(), 1);
    let withdrawals = withdrawals(&client, &master, last_days(now, 29)).await;
    assert_eq!(withdrawals.len(), 1);

    let lock = lock_to(&["127.0.0.1"], Access::Unchanged);
    let locked = restrict_key(&client, &master, &account, &bot.key, lock)
        .await
        .unwrap();
    assert_eq!(locked.ips, ["127.0.0.1"]);

    for segment in venue.segments() {
        // Option trading is not among the bot key's rights: the exchange says so.
        let result = client
            .call(&Op::CancelAll { segment: *segment }, Auth::Key(&bot))
            .await;
        match segment.category {
            Category::Option => assert!(result.is_err()),
            _ => {
                result.unwrap().into_cancelled().unwrap();
            }
        }
    }
    assert!(lab.sim.inspect().open_orders(uid).is_empty());

    let created = create_key(
        &client,
        &master,
        &account,
        "it-replacement",
        &[TradePermission::SpotTrade],
        &["127.0.0.1"],
    )
    .await;
    assert!(!created.info.can_withdraw());
    revoke_by_master(&client, &master, &account, &bot.key)
        .await
        .unwrap();
    let err = client.call(&Op::WhoAmI, Auth::Key(&bot)).await.unwrap_err();
    assert!(err.is_unauthenticated(), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limits_are_paced_not_hammered() {
    let lab = Lab::start(42).await;
    let (master, _) = lab.creds();
    let client = lab.client();
    // query-api allows 10 a second per key: of 15 at once, 5 wait for their turn in the client
    // instead of meeting 10006.
    let calls = (0..15).map(|_| client.call(&Op::WhoAmI, Auth::Key(&master)));
    for result in join_all(calls).await {
        result.expect("every call succeeds after waiting");
    }
    let log = lab.sim.inspect().access_log;
    let limited = log.iter().filter(|e| e.ret_code == Some(10006)).count();
    assert_eq!(limited, 0, "the client paced under the limit");
    assert_eq!(log.len(), 15, "one request per call: {}", log.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn cursors_go_back_as_bybit_sent_them() {
    let lab = Lab::start(42).await;
    let (_, bot) = lab.creds();
    let client = lab.client();
    let now = client.resync().await.unwrap();
    let venue = client.venue();
    let uid = lab.sim.inspect().key(&lab.leaked()).unwrap().uid;
    // Every page cut short, so every list is walked by `nextPageCursor`, which Bybit sends
    // percent-encoded (`page_args%3D…%26`): sent back encoded again, it would be refused.
    lab.sim
        .set_faults(lockdown::sim::Faults::parse("short=1").unwrap());
    let open = open_orders(&client, venue.segments(), &bot).await;
    let orders = orders(&client, venue.segments(), &bot, last_days(now, 6)).await;
    let inspect = lab.sim.inspect();
    assert_eq!(open.len(), inspect.open_orders(uid).len());
    assert_eq!(
        orders.len(),
        inspect
            .orders
            .iter()
            .filter(|o| o.uid == uid && bybit_lists(o, now))
            .count()
    );
    assert!(
        inspect
            .access_log
            .iter()
            .any(|e| e.fault == Some(lockdown::sim::FaultKind::ShortPage)),
        "no list needed a second page"
    );
    assert!(
        inspect.access_log.iter().all(|e| e.ret_code != Some(10001)),
        "a cursor was refused"
    );
}

/// Whether Bybit's order history still lists `o` at `now`: an order cancelled without a fill
/// only for 24 hours (docs/venues/bybit.md §6, "Retention").
fn bybit_lists(o: &lockdown::sim::OrderView, now: i64) -> bool {
    let unfilled = o.cum_exec_qty.parse::<f64>().unwrap_or(0.0) <= 0.0;
    !(o.status == "Cancelled" && unfilled && o.updated_ms < now - 86_400_000)
}
