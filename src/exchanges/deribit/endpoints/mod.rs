//! Op -> Deribit JSON-RPC request over REST: `/api/v2/{public|private}/<method>`
//! (docs/venues/deribit.md §4–§6).
//!
//! Reads are GETs with their parameters in the query, in a fixed order, percent-encoded. Key
//! management goes as a JSON-RPC POST body (`{"jsonrpc","id","method","params"}`), so that
//! `ip_whitelist` is the JSON array the method page declares, never its text; so does any call
//! that carries a two-factor answer, so the one-time code never sits in a URL. Order lists and
//! cancels name a currency and every instrument kind (`kind=any`): a segment is a currency; the
//! order history ends with the currency's trigger-order log. Money movements take no segment:
//! their cursor names the currency ([`Walk`]). Keys
//! are addressed by the numeric `id` the venue's listing shows (the lookup the client makes
//! first, [`Deribit::lookup`]); a plan rendered without it names the key it would look up.
//!
//! [`Deribit::lookup`]: super::Deribit
//!
//! Split by subject: `keys.rs` builds what key management needs (the looked-up key, the
//! replacement's scope); this file holds the dispatch on the operation, the paging constants and
//! the JSON-RPC request builders.

mod keys;

use serde_json::{Value, json};

use super::cursor::{Tier, Walk};
use super::wire;
use crate::exchanges::decode::decimal;
use crate::exchanges::model::{Access, Category, KeyScope, Segment, Side};
use crate::exchanges::{
    CallContext, ExchangeError, Method, Op, OrderKind, QtyUnit, Request, Revoke, TimeInForce,
};
use crate::percent;
use keys::{check_name, looked_up, pending, read_only_scope, replacement_scope};

/// Page sizes asked for (Deribit allows up to 1000; smaller pages keep answers quick).
pub const ORDER_PAGE: usize = 100;

/// Trades per page.
pub const TRADE_PAGE: usize = 100;

/// Withdrawals, deposits or transfers per page.
pub const MONEY_PAGE: usize = 100;

/// Access-log entries per page.
pub const LOG_PAGE: usize = 100;

/// The lists [`Op::Transfers`] walks: internal transfers, then deposits.
pub const TRANSFER_SOURCES: &[&str] = &["private/get_transfers", "private/get_deposits"];

/// Key management methods: sent as a JSON-RPC POST, so that `ip_whitelist` travels as the JSON
/// array the method pages declare (a query can only carry its JSON text, which is a string;
/// docs/venues/deribit.md §1, §4).
const BODY_METHODS: &[&str] = &[
    "private/create_api_key",
    "private/edit_api_key",
    "private/remove_api_key",
];

/// Methods marked "TFA required" (docs/venues/deribit.md §4): they carry the two-factor answer.
const TFA_METHODS: &[&str] = &[
    "private/create_api_key",
    "private/edit_api_key",
    "private/change_scope_in_api_key",
    "private/disable_api_key",
    "private/list_api_keys",
];

/// Builds the request for an operation.
pub fn encode(op: &Op, call: &CallContext<'_>) -> Result<Request, ExchangeError> {
    let (method, params): (&str, Vec<(&str, Value)>) = match op {
        Op::ServerTime => ("public/get_time", Vec::new()),
        // Deribit has no "this key" call; the account summary answers as the calling key and
        // names its account (docs/venues/deribit.md §6).
        Op::WhoAmI => (
            "private/get_account_summary",
            vec![("currency", json!("BTC")), ("extended", json!(true))],
        ),
        // The session's subject picks the sub-account (`public/exchange_token`).
        Op::SubKeys { .. } => ("private/list_api_keys", Vec::new()),
        Op::RestrictKey { key, lock, .. } => {
            // The listing's answer, or what the profile says the listing shows (`listed:`).
            let found = looked_up(call, key.as_str())?.map(|k| (json!(k.id), k.max_scope));
            let found = found.or_else(|| {
                let listed = call.settings.listed.get(key.as_str())?;
                Some((json!(listed.id), listed.max_scope.clone()))
            });
            let id = found
                .as_ref()
                .map_or_else(|| json!(pending(key.as_str())), |(id, _)| id.clone());
            // `max_scope` is required: keep the key's own, less any write right when read-only.
            let scope = found.as_ref().map_or_else(
                || "(kept from the listing)".to_owned(),
                |(_, scope)| match lock.access {
                    Access::ReadOnly => read_only_scope(scope),
                    Access::Unchanged => scope.clone(),
                },
            );
            (
                "private/edit_api_key",
                vec![
                    ("id", id),
                    ("ip_whitelist", json!(lock.ips.to_strings())),
                    ("max_scope", json!(scope)),
                ],
            )
        }
        Op::RevokeKey(Revoke::ByMaster { key, .. }) => {
            let id = looked_up(call, key.as_str())?
                .map_or_else(|| json!(pending(key.as_str())), |k| json!(k.id));
            ("private/remove_api_key", vec![("id", id)])
        }
        // Deribit cancels by currency (`cancel_orders` uses `CancelAll` per segment); its
        // cancel-on-disconnect is WebSocket-only.
        Op::CancelBatch { .. }
        | Op::CancelAfter { .. }
        | Op::FreezeAccount { .. }
        | Op::StreamToken { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "deribit",
                op: op.name(),
            });
        }
        // Whether a key may remove itself is not documented (docs/venues/README.md §1): not
        // attempted.
        Op::RevokeKey(Revoke::SelfSub | Revoke::SelfMaster) => {
            return Err(ExchangeError::Unsupported {
                venue: "deribit",
                op: "revoke_key by the key itself",
            });
        }
        Op::CreateKey { label, scope, .. } => {
            check_name(label)?;
            (
                "private/create_api_key",
                vec![
                    ("max_scope", json!(replacement_scope(scope))),
                    ("name", json!(label)),
                ],
            )
        }
        // The per-currency form of `private/cancel_all`, every kind and every order type (trigger
        // orders included) of the currency (docs/venues/deribit.md §5); a segment without a
        // currency is the whole account.
        Op::CancelAll { segment } => match segment.settle {
            Some(currency) => (
                "private/cancel_all_by_currency",
                vec![
                    ("currency", json!(currency)),
                    ("kind", json!("any")),
                    ("type", json!("all")),
                    ("detailed", json!(true)),
                ],
            ),
            None => ("private/cancel_all", vec![("detailed", json!(true))]),
        },
        // `kind` left out: this method's `kind` takes no `any`, and without it every kind is
        // listed; `type` `all` holds the untriggered trigger orders too (docs/venues/deribit.md
        // §6). A segment without a currency reads the whole account, one kind.
        Op::OpenOrders { segment, .. } => match segment.settle {
            Some(currency) => (
                "private/get_open_orders_by_currency",
                vec![("currency", json!(currency)), ("type", json!("all"))],
            ),
            None => (
                "private/get_open_orders",
                vec![
                    ("kind", json!(kind(segment.category))),
                    ("type", json!("all")),
                ],
            ),
        },
        // After the order history, the trigger-order log (docs/venues/deribit.md §6): no
        // `kind`, a `continuation`.
        Op::Orders {
            segment, cursor, ..
        } if Tier::parse(cursor.as_deref()).trigger => {
            let tier = Tier::parse(cursor.as_deref());
            let mut params = vec![("count", json!(ORDER_PAGE))];
            if let Some(continuation) = tier.position {
                params.push(("continuation", json!(continuation)));
            }
            let mut params = segment_params(segment, params)?;
            params.retain(|(name, _)| *name != "kind");
            ("private/get_trigger_order_history", params)
        }
        Op::Orders {
            segment, cursor, ..
        } => {
            let tier = Tier::parse(cursor.as_deref());
            (
                "private/get_order_history_by_currency",
                segment_params(
                    segment,
                    vec![
                        ("count", json!(ORDER_PAGE)),
                        ("offset", json!(offset(tier.position.as_deref()))),
                        ("include_old", json!(true)),
                        ("include_unfilled", json!(true)),
                        ("historical", json!(tier.historical)),
                    ],
                )?,
            )
        }
        Op::Fills {
            segment,
            window,
            cursor,
        } => {
            let mut extra = vec![
                ("start_timestamp", json!(window.start_ms)),
                ("end_timestamp", json!(window.end_ms)),
                ("count", json!(TRADE_PAGE)),
                ("sorting", json!("asc")),
            ];
            let tier = Tier::parse(cursor.as_deref());
            extra.push(("historical", json!(tier.historical)));
            // `start_id` is inclusive: the decoder drops the trade the cursor names.
            if let Some(start) = tier.position {
                extra.push(("start_id", json!(start)));
            }
            (
                "private/get_user_trades_by_currency",
                segment_params(segment, extra)?,
            )
        }
        Op::Balances => (
            "private/get_account_summaries",
            vec![("extended", json!(true))],
        ),
        Op::Withdrawals { cursor, .. } => {
            let walk = Walk::parse(cursor.as_deref());
            ("private/get_withdrawals", money_params(&walk))
        }
        Op::Transfers { cursor, .. } => {
            let walk = Walk::parse(cursor.as_deref());
            let method = TRANSFER_SOURCES
                .get(walk.source)
                .copied()
                .unwrap_or(TRANSFER_SOURCES[0]);
            (method, money_params(&walk))
        }
        Op::PlaceOrder(order) => {
            if order.unit == QtyUnit::Quote {
                // Deribit sizes every order in the base coin or contracts (docs/venues/deribit.md
                // §6).
                return Err(ExchangeError::Unsupported {
                    venue: "deribit",
                    op: "an order sized in the quote coin",
                });
            }
            let mut params = vec![
                ("instrument_name", json!(order.symbol)),
                ("amount", json!(decimal(order.qty))),
            ];
            // A trigger order is a stop order waiting for the last price (docs/venues/deribit.md
            // §6: `type` `stop_limit`/`stop_market`, `trigger_price`, `trigger`).
            let (limit, market) = match order.trigger {
                Some(_) => ("stop_limit", "stop_market"),
                None => ("limit", "market"),
            };
            match order.kind {
                OrderKind::Limit { price } => {
                    params.push(("type", json!(limit)));
                    params.push(("price", json!(decimal(price))));
                }
                OrderKind::Market => params.push(("type", json!(market))),
            }
            if let Some(trigger) = order.trigger {
                params.push(("trigger_price", json!(decimal(trigger))));
                params.push(("trigger", json!("last_price")));
            }
            // The client id is the `label`; the time in force `time_in_force`; post-only a flag,
            // with `reject_post_only` so a crossing order is refused rather than repriced
            // (docs/venues/deribit.md "Placing and amending").
            if let Some(label) = &order.client_order_id {
                params.push(("label", json!(label)));
            }
            match order.time_in_force {
                TimeInForce::Gtc => {}
                TimeInForce::Ioc => params.push(("time_in_force", json!("immediate_or_cancel"))),
                TimeInForce::Fok => params.push(("time_in_force", json!("fill_or_kill"))),
                TimeInForce::PostOnly => {
                    params.push(("post_only", json!(true)));
                    params.push(("reject_post_only", json!(true)));
                }
            }
            if order.reduce_only {
                params.push(("reduce_only", json!(true)));
            }
            let method = match order.side {
                Side::Buy => "private/buy",
                Side::Sell => "private/sell",
            };
            (method, params)
        }
        Op::CancelOrder { order_id, .. } => ("private/cancel", vec![("order_id", json!(order_id))]),
        // `private/edit` changes the order in place (its id is kept); `amount` is required
        // (docs/venues/deribit.md "Placing and amending").
        Op::AmendOrder {
            order_id,
            qty,
            price,
            ..
        } => {
            let Some(qty) = qty else {
                return Err(ExchangeError::NeedsInput {
                    venue: "deribit",
                    what: format!("the amount of order {order_id} (`private/edit` requires it)"),
                });
            };
            let mut params = vec![
                ("order_id", json!(order_id)),
                ("amount", json!(decimal(*qty))),
            ];
            if let Some(price) = price {
                params.push(("price", json!(decimal(*price))));
            }
            ("private/edit", params)
        }
        Op::Withdraw {
            coin,
            amount,
            address,
        } => (
            "private/withdraw",
            vec![
                ("currency", json!(coin)),
                ("address", json!(address)),
                ("amount", json!(amount)),
            ],
        ),
        // A single wallet: nothing else to read.
        Op::WalletBalances { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "deribit",
                op: op.name(),
            });
        }
        // Every currency Deribit lists, whatever the category asked (docs/venues/deribit.md §6).
        Op::Segments { .. } => ("public/get_currencies", Vec::new()),
        Op::AccessLog { cursor } => (
            "private/get_access_log",
            vec![
                ("offset", json!(offset(cursor.as_deref()))),
                ("count", json!(LOG_PAGE)),
            ],
        ),
    };
    Ok(request(method, params, op.is_mutating(), call))
}

/// The request for a method: a GET with a query, or a JSON-RPC POST for key management and for
/// any call answering a two-factor challenge.
fn request(
    method: &str,
    mut params: Vec<(&str, Value)>,
    mutating: bool,
    call: &CallContext<'_>,
) -> Request {
    let path = format!("/api/v2/{method}");
    let tfa = call.tfa.filter(|_| TFA_METHODS.contains(&method));
    if let Some(tfa) = tfa {
        #[allow(clippy::disallowed_methods)] // the one-time code goes to the venue, in a body
        let code = secrecy::ExposeSecret::expose_secret(&tfa.code).to_owned();
        params.push(("authorization_data", json!(code)));
        params.push(("challenge", json!(tfa.challenge)));
    }
    if tfa.is_some() || BODY_METHODS.contains(&method) {
        let object: serde_json::Map<String, Value> = params
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        return Request {
            method: Method::Post,
            path,
            query: String::new(),
            body: Some(rpc_body(method, Value::Object(object))),
            mutating,
        };
    }
    let query = params
        .iter()
        .map(|(name, value)| {
            let text = query_value(value);
            // A plan's placeholder (`<id of … from …>`) is shown as it reads; it is never sent.
            if text.starts_with('<') && text.ends_with('>') {
                format!("{name}={text}")
            } else {
                format!("{name}={}", percent::encode(&text))
            }
        })
        .collect::<Vec<_>>()
        .join("&");
    Request {
        method: Method::Get,
        path,
        query,
        body: None,
        mutating,
    }
}

/// A JSON-RPC 2.0 request body.
pub fn rpc_body(method: &str, params: Value) -> String {
    json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }).to_string()
}

/// A parameter as the query carries it: strings raw, arrays and objects as JSON text.
fn query_value(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        other => other.to_string(),
    }
}

/// `currency` of a segment and `kind` `any` (every kind of the currency, combos included), then
/// the rest; a segment without a currency is refused (these lists take no `any` currency).
fn segment_params<'a>(
    segment: &Segment,
    rest: Vec<(&'a str, Value)>,
) -> Result<Vec<(&'a str, Value)>, ExchangeError> {
    let currency = segment.settle.ok_or_else(|| ExchangeError::Protocol {
        detail: format!("Deribit lists history by currency; segment `{segment}` names none"),
    })?;
    let mut params = vec![("currency", json!(currency)), ("kind", json!("any"))];
    params.extend(rest);
    Ok(params)
}

/// Deribit's instrument kind for a category: linear and inverse contracts are both `future`.
pub fn kind(category: Category) -> &'static str {
    match category {
        Category::Spot => "spot",
        Category::Linear | Category::Inverse => "future",
        Category::Option => "option",
    }
}

fn money_params(walk: &Walk) -> Vec<(&'static str, Value)> {
    vec![
        ("currency", json!(walk.currency())),
        ("count", json!(MONEY_PAGE)),
        ("offset", json!(walk.offset)),
    ]
}

/// An offset cursor; none is the start.
pub fn offset(cursor: Option<&str>) -> usize {
    cursor.and_then(|c| c.parse().ok()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::deribit::signer;
    use crate::exchanges::model::{IpWhitelist, Lock};
    use crate::exchanges::request::check;
    use crate::exchanges::{Response, Session, Tfa, VenueSettings};
    use crate::secret::{Credential, KeyId, SecretString};

    pub(super) fn call<'a>(
        settings: &'a VenueSettings,
        lookup: Option<&'a Response>,
        tfa: Option<&'a Tfa>,
    ) -> CallContext<'a> {
        CallContext {
            now_ms: 1,
            nonce: "n",
            session: None,
            tfa,
            settings,
            subject: None,
            lookup,
            known: &[],
        }
    }

    pub(super) fn listing() -> Response {
        Response {
            status: 200,
            headers: Vec::new(),
            body: br#"{"jsonrpc":"2.0","result":[
                {"id":7,"client_id":"BOTKEY01","max_scope":"account:read trade:read_write wallet:read","enabled":true,"name":"grid_bot","ip_whitelist":[],"timestamp":1},
                {"id":9,"client_id":"OTHER001","max_scope":"account:read","enabled":true,"name":"x","ip_whitelist":[],"timestamp":1}
            ],"usIn":1,"usOut":2,"usDiff":1,"testnet":false}"#
                .to_vec(),
        }
    }

    pub(super) fn lock_op(read_only: bool) -> Op {
        Op::RestrictKey {
            key: KeyId::new("BOTKEY01"),
            account: Some("1000002".into()),
            lock: Lock {
                ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
                access: if read_only {
                    Access::ReadOnly
                } else {
                    Access::Unchanged
                },
            },
        }
    }

    #[test]
    fn a_two_factor_answer_travels_in_a_body() {
        let settings = VenueSettings::default();
        let listing = listing();
        let tfa = Tfa {
            challenge: "ch-1".into(),
            code: SecretString::from("123456"),
        };
        let req = encode(
            &lock_op(false),
            &call(&settings, Some(&listing), Some(&tfa)),
        )
        .unwrap();
        assert_eq!(req.method, Method::Post);
        assert!(req.query.is_empty());
        let body: Value = serde_json::from_str(req.body.as_deref().unwrap()).unwrap();
        assert_eq!(body["method"], "private/edit_api_key");
        assert_eq!(body["params"]["authorization_data"], "123456");
        assert_eq!(body["params"]["challenge"], "ch-1");
        assert_eq!(body["params"]["id"], 7);
        // Methods without a TFA mark stay GETs.
        let req = encode(&Op::Balances, &call(&settings, None, Some(&tfa))).unwrap();
        assert_eq!(req.method, Method::Get);
    }

    #[test]
    fn segments_and_pages_become_currency_kind_and_offset() {
        let settings = VenueSettings::default();
        let op = Op::Orders {
            segment: Segment {
                category: Category::Linear,
                settle: Some("USDC"),
            },
            window: crate::exchanges::Window {
                start_ms: 0,
                end_ms: 1,
            },
            cursor: Some("h:200".into()),
        };
        let req = encode(&op, &call(&settings, None, None)).unwrap();
        assert_eq!(
            req.query,
            "currency=USDC&kind=any&count=100&offset=200&include_old=true&include_unfilled=true\
             &historical=true"
        );
        let walk = encode(
            &Op::Transfers {
                window: crate::exchanges::Window {
                    start_ms: 0,
                    end_ms: 1,
                },
                cursor: Some("1:USDT:100".into()),
            },
            &call(&settings, None, None),
        )
        .unwrap();
        assert_eq!(walk.path, "/api/v2/private/get_deposits");
        assert_eq!(walk.query, "currency=USDT&count=100&offset=100");
        // A listed-only currency is asked for by its name.
        let usde = encode(
            &Op::Withdrawals {
                window: crate::exchanges::Window {
                    start_ms: 0,
                    end_ms: 1,
                },
                cursor: Some("0:USDE:0".into()),
            },
            &call(&settings, None, None),
        )
        .unwrap();
        assert_eq!(usde.path, "/api/v2/private/get_withdrawals");
        assert_eq!(usde.query, "currency=USDE&count=100&offset=0");
    }

    #[test]
    fn a_currency_segment_asks_for_every_kind_and_every_order_type() {
        let settings = VenueSettings::default();
        let call = call(&settings, None, None);
        let usde = Segment {
            category: Category::Linear,
            settle: Some("USDE"),
        };
        let cancel = encode(&Op::CancelAll { segment: usde }, &call).unwrap();
        assert_eq!(cancel.path, "/api/v2/private/cancel_all_by_currency");
        assert_eq!(
            cancel.query,
            "currency=USDE&kind=any&type=all&detailed=true"
        );
        let open = encode(
            &Op::OpenOrders {
                segment: usde,
                cursor: None,
            },
            &call,
        )
        .unwrap();
        // This list's `kind` takes no `any`: left out, every kind is listed.
        assert_eq!(open.query, "currency=USDE&type=all");
        let whole = Segment {
            category: Category::Spot,
            settle: None,
        };
        let open = encode(
            &Op::OpenOrders {
                segment: whole,
                cursor: None,
            },
            &call,
        )
        .unwrap();
        assert_eq!(open.path, "/api/v2/private/get_open_orders");
        assert_eq!(open.query, "kind=spot&type=all");
        let listing = encode(
            &Op::Segments {
                category: Category::Linear,
                cursor: None,
            },
            &call,
        )
        .unwrap();
        assert_eq!(listing.path, "/api/v2/public/get_currencies");
        assert!(!listing.mutating);
    }

    #[test]
    fn a_trigger_order_is_a_stop_order_on_the_last_price() {
        let settings = VenueSettings::default();
        let order = crate::exchanges::NewOrder {
            segment: Segment {
                category: Category::Inverse,
                settle: Some("ETH"),
            },
            symbol: "ETH-PERPETUAL".into(),
            side: Side::Sell,
            kind: OrderKind::Limit { price: 1500.0 },
            qty: 10.0,
            unit: QtyUnit::Base,
            trigger: Some(1600.0),
            client_order_id: None,
            time_in_force: crate::exchanges::TimeInForce::Gtc,
            reduce_only: false,
        };
        let req = encode(&Op::PlaceOrder(order), &call(&settings, None, None)).unwrap();
        assert_eq!(req.path, "/api/v2/private/sell");
        assert_eq!(
            req.query,
            "instrument_name=ETH-PERPETUAL&amount=10&type=stop_limit&price=1500\
             &trigger_price=1600&trigger=last_price"
        );
    }

    #[test]
    fn debug_lines_show_no_secret_and_the_bytes_sent_stay_the_same() {
        let settings = VenueSettings::default();
        let listing = listing();
        let tfa = Tfa {
            challenge: "ch-1".into(),
            code: SecretString::from("123456"),
        };
        let session = Session {
            token: SecretString::from("b3arer-t0ken"),
            expires_ms: 0,
            refresh: Some(SecretString::from("r3fresh-t0ken")),
        };
        let cred = Credential::new(KeyId::new("AMANDA"), SecretString::from("s3cret"));
        let mut call = call(&settings, Some(&listing), Some(&tfa));
        call.session = Some(&session);
        let signed = signer::sign(encode(&lock_op(false), &call).unwrap(), &cred, &call);
        assert_eq!(
            check::wire_lines(&signed),
            [
                "POST /api/v2/private/edit_api_key",
                "Authorization: Bearer b3arer-t0ken",
                r#"{"id":1,"jsonrpc":"2.0","method":"private/edit_api_key","params":{"authorization_data":"123456","challenge":"ch-1","id":7,"ip_whitelist":["127.0.0.1"],"max_scope":"account:read trade:read_write wallet:read"}}"#,
            ]
        );
        check::debug_hides(&signed, &["123456", "b3arer-t0ken"]);
        let exchange = signer::sign(signer::exchange_token_request(&session, "7"), &cred, &call);
        assert_eq!(
            check::wire_lines(&exchange),
            [
                "POST /api/v2/public/exchange_token",
                "Authorization: Bearer b3arer-t0ken",
                r#"{"id":1,"jsonrpc":"2.0","method":"public/exchange_token","params":{"refresh_token":"r3fresh-t0ken","subject_id":7}}"#,
            ]
        );
        check::debug_hides(&exchange, &["r3fresh-t0ken", "b3arer-t0ken"]);
        call.session = None;
        let login = signer::auth_request(&cred, &call);
        let signed = signer::sign(login, &cred, &call);
        let lines = check::wire_lines(&signed);
        assert_eq!(
            lines,
            [
                "POST /api/v2/public/auth",
                "Authorization: deri-hmac-sha256 id=AMANDA,ts=1,sig=0758412912a615528dab603c33016df052fb71bf0907ff09c115ca7e203230dd,nonce=n",
                r#"{"id":1,"jsonrpc":"2.0","method":"public/auth","params":{"client_id":"AMANDA","data":"","grant_type":"client_signature","nonce":"n","signature":"1074698247aa9f24432d844f14f41bc73af23eecf6acedc3414a42cb60e96eaf","timestamp":1}}"#,
            ]
        );
        let body: Value = serde_json::from_str(signed.request.body.as_deref().unwrap()).unwrap();
        let signature = body["params"]["signature"].as_str().unwrap().to_owned();
        check::debug_hides(&signed, &[&signature, "s3cret"]);
    }
}
