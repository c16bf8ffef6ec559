//! The Bybit adapter against the simulator over real HTTP: every operation decodes, and the
//! client's retries (rate limit, clock) behave as documented.

use futures_util::future::join_all;
use lockdown::exchanges::model::{Access, Category, IpWhitelist, KeyScope, Lock, TradePermission};
use lockdown::exchanges::{Auth, Client, ExchangeId, Mode, Op, Reply, Revoke, Window};
use lockdown::secret::{Credential, KeyId, SecretString};

use crate::support::{Lab, read};

fn creds(lab: &Lab) -> (Credential, Credential) {
    let master = Credential::new(
        KeyId::new(read(&lab.sim_dir().join("master.key"))),
        SecretString::from(read(&lab.sim_dir().join("master.secret"))),
    );
    let bot = Credential::new(
        KeyId::new(lab.leaked()),
        SecretString::from(read(&lab.sim_dir().join("bot.secret"))),
    );
    (master, bot)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_round_trips() {
    let lab = Lab::start(41).await;
    let (master, bot) = creds(&lab);
    let client = Client::new(ExchangeId::Bybit.venue(), &lab.running.base_url, Mode::Live).unwrap();
    let now = client.resync().await.unwrap();
    let window = Window {
        start_ms: now - 6 * 86_400_000,
        end_ms: now,
    };
    let venue = client.venue();

    let me = client
        .call(&Op::WhoAmI, Auth::Key(&bot))
        .await
        .unwrap()
        .into_key()
        .unwrap();
    assert_eq!(me.key, bot.key);
    let account = me.account.clone().expect("query-api names the UID");
    let keys = client
        .all_pages(
            |cursor| Op::SubKeys {
                account: account.clone(),
                cursor,
            },
            Auth::Key(&master),
            Reply::into_keys,
        )
        .await
        .unwrap();
    assert!(keys.iter().any(|k| k.key == bot.key));

    let open = client
        .per_segment(
            venue.segments(),
            Auth::Key(&bot),
            |segment, cursor| Op::OpenOrders { segment, cursor },
            Reply::into_orders,
        )
        .await
        .unwrap();
    let inspect = lab.sim.inspect();
    let uid: u64 = account.parse().unwrap();
    assert_eq!(open.len(), inspect.open_orders(uid).len());
    assert!(open.iter().any(|o| o.category == Category::Linear));

    let orders = client
        .per_segment(
            venue.segments(),
            Auth::Key(&bot),
            |segment, cursor| Op::Orders {
                segment,
                window,
                cursor,
            },
            Reply::into_orders,
        )
        .await
        .unwrap();
    assert_eq!(
        orders.len(),
        inspect.orders.iter().filter(|o| o.uid == uid).count()
    );
    let fills = client
        .per_segment(
            venue.segments(),
            Auth::Key(&bot),
            |segment, cursor| Op::Fills {
                segment,
                window,
                cursor,
            },
            Reply::into_fills,
        )
        .await
        .unwrap();
    assert_eq!(
        fills.len(),
        inspect.executions.iter().filter(|e| e.uid == uid).count()
    );
    let balances = client
        .call(&Op::Balances, Auth::Key(&bot))
        .await
        .unwrap()
        .into_balances()
        .unwrap();
    assert!(balances.iter().any(|b| b.coin == "USDT"));
    let transfers = client
        .all_pages(
            |cursor| Op::Transfers { window, cursor },
            Auth::Key(&master),
            Reply::into_transfers,
        )
        .await
        .unwrap();
    assert_eq!(transfers.len(), 1);
    let month = Window {
        start_ms: now - 29 * 86_400_000,
        end_ms: now,
    };
    let withdrawals = client
        .all_pages(
            |cursor| Op::Withdrawals {
                window: month,
                cursor,
            },
            Auth::Key(&master),
            Reply::into_transfers,
        )
        .await
        .unwrap();
    assert_eq!(withdrawals.len(), 1);

    let lock = Lock {
        ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
        access: Access::Unchanged,
    };
    let locked = client
        .call(
            &Op::RestrictKey {
                account: Some(account.clone()),
                key: bot.key.clone(),
                lock,
            },
            Auth::Key(&master),
        )
        .await
        .unwrap()
        .into_key()
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

    let created = client
        .call(
            &Op::CreateKey {
                account: account.clone(),
                label: "it-replacement".into(),
                scope: KeyScope {
                    trade: vec![TradePermission::SpotTrade],
                    ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
                },
            },
            Auth::Key(&master),
        )
        .await
        .unwrap()
        .into_created()
        .unwrap();
    assert!(!created.info.can_withdraw());
    client
        .call(
            &Op::RevokeKey(Revoke::ByMaster {
                key: bot.key.clone(),
                account: Some(account.clone()),
            }),
            Auth::Key(&master),
        )
        .await
        .unwrap();
    let err = client.call(&Op::WhoAmI, Auth::Key(&bot)).await.unwrap_err();
    assert!(err.is_unauthenticated(), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limits_are_waited_out_not_hammered() {
    let lab = Lab::start(42).await;
    let (master, _) = creds(&lab);
    let client = Client::new(ExchangeId::Bybit.venue(), &lab.running.base_url, Mode::Live).unwrap();
    // query-api allows 10 a second per key; 15 at once must meet 10006 and wait for the reset.
    let calls = (0..15).map(|_| client.call(&Op::WhoAmI, Auth::Key(&master)));
    for result in join_all(calls).await {
        result.expect("every call succeeds after waiting");
    }
    let log = lab.sim.inspect().access_log;
    let limited = log.iter().filter(|e| e.ret_code == Some(10006)).count();
    assert!(
        limited >= 5,
        "the limiter should have refused some: {limited}"
    );
    assert!(
        log.len() <= 15 + 2 * limited,
        "retries are bounded: {} requests",
        log.len()
    );
}
