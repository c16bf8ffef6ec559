//! Binance's futures listen keys in the simulator, as the docs describe them
//! (docs/venues/binance.md §12): a key lives 60 minutes; `PUT` extends it by 60 minutes and
//! answers `-1125` "This listenKey does not exist." once it is gone; a `POST` while one is
//! active returns that key (and extends it), after it lapsed a new one. The exchange's clock is
//! moved with the simulator's clock skew, so no test waits an hour. What the watcher does with
//! this (asking again every 30 minutes) is tested in `src/watch/stream.rs`.

use serde_json::Value;

use crate::support::{Lab, responder_ip};
use lockdown::exchanges::ExchangeId;
use lockdown::exchanges::client::http_client_from;

const MINUTE_MS: i64 = 60_000;

/// `method` on `path` with the key header only: the status and the JSON answer.
async fn listen_key(lab: &Lab, method: reqwest::Method, path: &str) -> (u16, Value) {
    let response = http_client_from(responder_ip())
        .unwrap()
        .request(method, format!("{}{path}", lab.running.base_url))
        .header("X-MBX-APIKEY", lab.leaked())
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, body)
}

/// Whether the stream address of `key` opens.
async fn opens(lab: &Lab, key: &str) -> bool {
    let url = format!(
        "{}/private/ws/{key}",
        lab.running.base_url.replacen("http://", "ws://", 1)
    );
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        tokio_tungstenite::connect_async(url),
    )
    .await
    .expect("an answer within 10 s")
    .is_ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listen_key_lives_an_hour_and_put_or_post_extends_it_as_documented() {
    use reqwest::Method;
    let lab = Lab::start_on(ExchangeId::Binance, 11).await;
    let path = "/fapi/v1/listenKey";
    let (status, body) = listen_key(&lab, Method::POST, path).await;
    assert_eq!(status, 200, "{body}");
    let first = body["listenKey"].as_str().unwrap().to_owned();

    // 59 minutes on, `PUT` extends it by 60 minutes from then.
    lab.sim.set_clock_skew_ms(59 * MINUTE_MS);
    let (status, body) = listen_key(&lab, Method::PUT, path).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["listenKey"], first.as_str());
    // 118 minutes on (past the first hour): still live, and a `POST` hands back the same key,
    // extending it again.
    lab.sim.set_clock_skew_ms(118 * MINUTE_MS);
    assert!(opens(&lab, &first).await);
    let (status, body) = listen_key(&lab, Method::POST, path).await;
    assert_eq!(
        (status, body["listenKey"].as_str()),
        (200, Some(first.as_str()))
    );

    // 61 minutes after the last extension it has lapsed: `PUT` is -1125, the address is
    // refused, and a `POST` makes a new key.
    lab.sim.set_clock_skew_ms((118 + 61) * MINUTE_MS);
    let (status, body) = listen_key(&lab, Method::PUT, path).await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (400, Some(-1125)),
        "{body}"
    );
    assert_eq!(body["msg"], "This listenKey does not exist.");
    assert!(!opens(&lab, &first).await);
    let (status, body) = listen_key(&lab, Method::POST, path).await;
    assert_eq!(status, 200, "{body}");
    let second = body["listenKey"].as_str().unwrap();
    assert_ne!(second, first);
    assert!(opens(&lab, second).await);

    // COIN-M keeps its own: none was asked for there, so there is none to extend.
    let (status, body) = listen_key(&lab, Method::PUT, "/dapi/v1/listenKey").await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (400, Some(-1125)),
        "{body}"
    );
}
