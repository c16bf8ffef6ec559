//! The request scheduler against the simulators' documented limits: many locks at once all go
//! through without a refusal, a paged history read at latency 0 is never refused, and a lock
//! overtakes the evidence reads queued before it.

use std::time::Duration;

use futures_util::future::join_all;
use lockdown::exchanges::model::Access;
use lockdown::exchanges::{Auth, ExchangeId, History, Op, Reply, Window};
use lockdown::secret::KeyId;

use crate::adapter::{lock_to, restrict_key};
use crate::support::{DAY_MS, Lab, last_days};

/// Bybit's refusal for a rate limit.
const BYBIT_TOO_MANY: i64 = 10006;
/// Deribit's refusal for credits run dry.
const DERIBIT_TOO_MANY: i64 = 10028;

#[tokio::test(flavor = "multi_thread")]
async fn a_hundred_locks_at_once_all_succeed_without_a_refusal() {
    let lab = Lab::start(140).await;
    let (master, _) = lab.creds();
    let account = lab.account();
    let keys: Vec<KeyId> = (0..100)
        .map(|n| {
            KeyId::new(
                lab.sim
                    .web_ui_create_key(&lab.leaked(), &format!("bot-{n}"), &[])
                    .unwrap(),
            )
        })
        .collect();
    let client = lab.client();
    let mark = lab.sent();
    // One client for every key, as a multi-key response shares it: `update-sub-api` allows 5 a
    // second per UID, so 95 of them queue.
    let locks = keys.iter().map(|key| {
        restrict_key(
            &client,
            &master,
            &account,
            key,
            lock_to(&["127.0.0.1"], Access::Unchanged),
        )
    });
    for result in join_all(locks).await {
        result.expect("every lock succeeds");
    }
    let inspect = lab.sim.inspect();
    for key in &keys {
        assert_eq!(
            inspect.key(key.as_str()).unwrap().ips,
            ["127.0.0.1"],
            "{key:?}"
        );
    }
    let sent = lab.sent_since(mark);
    let refused = sent
        .iter()
        .filter(|e| e.ret_code == Some(BYBIT_TOO_MANY))
        .count();
    assert_eq!(refused, 0, "the scheduler paced under the limit");
    assert_eq!(sent.len(), 100, "one request per lock");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_paged_history_read_at_latency_zero_draws_no_refusal() {
    let lab = Lab::start(141).await;
    // 3000 filled orders over spot, linear and inverse, read as a snapshot split in one-day
    // windows reads them: every window of every segment at once, far more than `order/history`
    // and `execution/list` allow in a second.
    lab.sim.seed_filled_history(3_000, 5 * DAY_MS);
    let (_, bot) = lab.creds();
    let client = &lab.client();
    let now = client.resync().await.unwrap();
    let whole = last_days(now, 6);
    let venue = client.venue();
    let segments = |history| {
        venue
            .segments()
            .iter()
            .filter(|s| venue.reads_history(s, history))
            .copied()
            .collect::<Vec<_>>()
    };
    let (order_segments, fill_segments) = (&segments(History::Orders), &segments(History::Fills));
    let auth = Auth::Key(&bot);
    let mark = lab.sent();
    let reads = Window::split(whole.start_ms, whole.end_ms, DAY_MS)
        .into_iter()
        .map(|window| async move {
            let (orders, fills) = tokio::join!(
                client.per_segment(
                    order_segments,
                    auth,
                    |segment, cursor| Op::Orders {
                        segment,
                        window,
                        cursor,
                    },
                    Reply::into_orders,
                ),
                client.per_segment(
                    fill_segments,
                    auth,
                    |segment, cursor| Op::Fills {
                        segment,
                        window,
                        cursor,
                    },
                    Reply::into_fills,
                ),
            );
            (orders.unwrap().len(), fills.unwrap().len())
        });
    let read = join_all(reads).await;
    let orders: usize = read.iter().map(|(o, _)| o).sum();
    let fills: usize = read.iter().map(|(_, f)| f).sum();
    let inspect = lab.sim.inspect();
    let uid = inspect.key(&lab.leaked()).unwrap().uid;
    assert!(orders >= 3_000, "{orders}");
    assert!(
        fills
            >= inspect
                .executions
                .iter()
                .filter(|e| e.uid == uid && whole.start_ms <= e.exec_time_ms)
                .count(),
        "{fills}"
    );
    let sent = lab.sent_since(mark);
    assert!(sent.len() >= 90, "every page was read: {}", sent.len());
    let refused = sent
        .iter()
        .filter(|e| e.ret_code == Some(BYBIT_TOO_MANY))
        .count();
    assert_eq!(refused, 0, "{refused} of {} requests refused", sent.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lock_goes_out_before_the_evidence_reads_queued_ahead_of_it() {
    let lab = Lab::start_on(ExchangeId::Deribit, 142).await;
    let (master, bot) = lab.creds();
    let account = lab.account();
    let client = lab.client();
    let list = |_| Op::SubKeys {
        account: account.clone(),
        cursor: None,
    };
    // The session first, so that every read after it is one request.
    client.call(&list(0), Auth::Key(&master)).await.unwrap();
    let mark = lab.sent();
    // 200 reads at once on one credit pool (95 in a burst, then 19 a second): half queue.
    let reads: Vec<_> = (0..200)
        .map(|n| {
            let client = client.clone();
            let master = master.clone();
            let op = list(n);
            tokio::spawn(async move { client.call(&op, Auth::Key(&master)).await.map(drop) })
        })
        .collect();
    // Wait until the burst went out and the rest queue.
    for _ in 0..3_000 {
        if lab.sent_since(mark).len() >= 100 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    restrict_key(
        &client,
        &master,
        &account,
        &bot.key,
        lock_to(&["127.0.0.1"], Access::Unchanged),
    )
    .await
    .expect("the lock succeeds");
    for read in join_all(reads).await {
        read.unwrap().expect("every read succeeds");
    }
    let sent = lab.sent_since(mark);
    let edit = sent
        .iter()
        .position(|e| e.path.ends_with("edit_api_key"))
        .expect("the lock was sent");
    let reads_after = sent[edit..]
        .iter()
        .filter(|e| e.path.ends_with("list_api_keys"))
        .count();
    assert!(
        reads_after >= 50,
        "the lock waited behind the queued reads: {reads_after} went after it"
    );
    assert!(
        sent.iter().all(|e| e.ret_code != Some(DERIBIT_TOO_MANY)),
        "a request was refused for credits"
    );
}
