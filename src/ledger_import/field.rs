//! The ledger fields a CSV column can feed, the header names each is recognised by, and
//! `--map field=Column` to say it outright.
//!
//! Header names are compared without case and without anything but letters and digits, so
//! `Order ID`, `order_id` and `orderId` are one name. The names recognised are the ledger's own,
//! CCXT's unified ones (`id`, `clientOrderId`, `amount`, `filled`, `timestamp`, ...) and the
//! common ones of venue exports (`orderLinkId`, `clOrdId`, `instId`, `origQty`, `executedQty`,
//! `cumExecQty`, `accFillSz`, ...). Each field takes the first header matching its names in
//! the order listed, and one header feeds one field.

use std::fmt;

/// A ledger field a column can feed (plus the two that steer the import).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// The venue's order id.
    OrderId,
    /// The bot's client order id.
    ClientOrderId,
    /// The market.
    Symbol,
    /// The market family.
    Category,
    /// Buy or sell.
    Side,
    /// Quantity.
    Qty,
    /// Limit price.
    Price,
    /// Filled quantity.
    FilledQty,
    /// Status.
    Status,
    /// Placed at.
    CreatedAt,
    /// Last changed at.
    UpdatedAt,
    /// The order type: `market` orders get no price in the ledger.
    OrderType,
    /// The venue the order was placed on: rows on other venues than `--venue` are left out.
    Exchange,
}

impl Field {
    /// Every field, in the order columns are assigned.
    pub const ALL: [Field; 13] = [
        Field::OrderId,
        Field::ClientOrderId,
        Field::Symbol,
        Field::Category,
        Field::Side,
        Field::Qty,
        Field::Price,
        Field::FilledQty,
        Field::Status,
        Field::CreatedAt,
        Field::UpdatedAt,
        Field::OrderType,
        Field::Exchange,
    ];

    /// The name `--map` uses (the ledger's own field name).
    pub fn name(self) -> &'static str {
        match self {
            Field::OrderId => "order_id",
            Field::ClientOrderId => "client_order_id",
            Field::Symbol => "symbol",
            Field::Category => "category",
            Field::Side => "side",
            Field::Qty => "qty",
            Field::Price => "price",
            Field::FilledQty => "filled_qty",
            Field::Status => "status",
            Field::CreatedAt => "created_at",
            Field::UpdatedAt => "updated_at",
            Field::OrderType => "order_type",
            Field::Exchange => "exchange",
        }
    }

    /// Parses a `--map` field name.
    pub fn parse(text: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == text.trim())
    }

    /// The header names (squashed: lowercase letters and digits) this field is recognised by,
    /// most specific first.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::OrderId => &[
                "orderid",
                "exchangeorderid",
                "ordid",
                "ordernumber",
                "orderno",
                "ordertxid",
                "txid",
                "id",
            ],
            Field::ClientOrderId => &[
                "clientorderid",
                "clientoid",
                "clordid",
                "orderlinkid",
                "newclientorderid",
                "origclientorderid",
                "clientid",
                "label",
                "userref",
            ],
            Field::Symbol => &[
                "symbol",
                "instid",
                "instrumentid",
                "instrumentname",
                "instrument",
                "pair",
                "tradingpair",
                "contract",
                "ticker",
                "market",
            ],
            Field::Category => &[
                "category",
                "insttype",
                "markettype",
                "producttype",
                "tradingmode",
                "kind",
            ],
            Field::Side => &["side", "direction", "tradetype", "buysell", "ordside"],
            Field::Qty => &[
                "qty",
                "amount",
                "quantity",
                "origqty",
                "orderqty",
                "ordqty",
                "size",
                "sz",
                "ordersize",
                "volume",
                "vol",
            ],
            Field::Price => &[
                "price",
                "limitprice",
                "orderprice",
                "ordprice",
                "limitpx",
                "px",
            ],
            Field::FilledQty => &[
                "filledqty",
                "filled",
                "filledamount",
                "filledquantity",
                "filledsize",
                "executedqty",
                "cumexecqty",
                "cumqty",
                "accfillsz",
                "fillsz",
                "dealqty",
                "volexec",
                "executed",
            ],
            Field::Status => &["status", "orderstatus", "ordstatus", "state", "laststatus"],
            Field::CreatedAt => &[
                "createdat",
                "createdtime",
                "createtime",
                "creationtimestamp",
                "creationtime",
                "ordertime",
                "orderdate",
                "placedat",
                "opentm",
                "ctime",
                "timestamp",
                "datetime",
                "dateutc",
                "timeutc",
                "created",
                "time",
                "date",
            ],
            Field::UpdatedAt => &[
                "updatedat",
                "updatedtime",
                "updatetime",
                "lastupdatetimestamp",
                "lastupdatetime",
                "lastupdate",
                "lasttradetimestamp",
                "utime",
                "closetm",
                "updated",
            ],
            Field::OrderType => &["ordertype", "ordtype", "type"],
            Field::Exchange => &["exchange", "venue"],
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A header name squashed for comparison: lowercase ASCII letters and digits only.
pub fn squash(header: &str) -> String {
    header
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// One `--map field=Column` pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// The ledger field.
    pub field: Field,
    /// The column's header, as written.
    pub column: String,
}

/// Parses `--map` values (`order_id=OrderID,symbol=Pair`, possibly several flags).
pub fn parse_map(values: &[String]) -> Result<Vec<Mapping>, String> {
    let mut out = Vec::new();
    for value in values {
        for pair in value.split(',').filter(|p| !p.trim().is_empty()) {
            let Some((field, column)) = pair.split_once('=') else {
                return Err(format!(
                    "`{pair}` in `--map` is not FIELD=COLUMN (such as `order_id=OrderID`)"
                ));
            };
            let Some(field) = Field::parse(field) else {
                return Err(format!(
                    "`{}` is not a ledger field; fields: {}",
                    field.trim(),
                    Field::ALL.map(Field::name).join(", ")
                ));
            };
            out.push(Mapping {
                field,
                column: column.trim().to_owned(),
            });
        }
    }
    Ok(out)
}

/// Which column (by index) feeds which field: `--map` first, then recognised header names.
/// A mapped column that the header lacks is named in the error.
pub fn assign(headers: &[String], map: &[Mapping]) -> Result<Vec<(Field, usize)>, String> {
    let mut taken: Vec<(Field, usize)> = Vec::new();
    for m in map {
        let Some(at) = headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(&m.column))
        else {
            return Err(m.column.clone());
        };
        taken.retain(|(f, _)| *f != m.field);
        taken.push((m.field, at));
    }
    let squashed: Vec<String> = headers.iter().map(|h| squash(h)).collect();
    for field in Field::ALL {
        if taken.iter().any(|(f, _)| *f == field) {
            continue;
        }
        let found = field.aliases().iter().find_map(|alias| {
            squashed
                .iter()
                .enumerate()
                .find(|(at, h)| h == alias && !taken.iter().any(|(_, t)| t == at))
                .map(|(at, _)| at)
        });
        if let Some(at) = found {
            taken.push((field, at));
        }
    }
    taken.sort();
    Ok(taken)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(line: &str) -> Vec<String> {
        line.split(',').map(str::to_owned).collect()
    }

    fn assigned(line: &str, map: &[Mapping]) -> Vec<(&'static str, String)> {
        let h = headers(line);
        assign(&h, map)
            .unwrap()
            .into_iter()
            .map(|(f, at)| (f.name(), h[at].clone()))
            .collect()
    }

    #[test]
    fn common_headers_are_recognised() {
        let cases = [
            (
                "ccxt",
                "id,clientOrderId,timestamp,symbol,type,side,price,amount,filled,status",
                vec![
                    ("order_id", "id"),
                    ("client_order_id", "clientOrderId"),
                    ("symbol", "symbol"),
                    ("side", "side"),
                    ("qty", "amount"),
                    ("price", "price"),
                    ("filled_qty", "filled"),
                    ("status", "status"),
                    ("created_at", "timestamp"),
                    ("order_type", "type"),
                ],
            ),
            (
                "bybit export",
                "Order ID,Order Link ID,Symbol,Side,Qty,Price,Cum Exec Qty,Order Status,Created Time,Updated Time",
                vec![
                    ("order_id", "Order ID"),
                    ("client_order_id", "Order Link ID"),
                    ("symbol", "Symbol"),
                    ("side", "Side"),
                    ("qty", "Qty"),
                    ("price", "Price"),
                    ("filled_qty", "Cum Exec Qty"),
                    ("status", "Order Status"),
                    ("created_at", "Created Time"),
                    ("updated_at", "Updated Time"),
                ],
            ),
            (
                "an internal id besides the order id",
                "id,order_id,pair",
                vec![("order_id", "order_id"), ("symbol", "pair")],
            ),
        ];
        for (label, line, want) in cases {
            let want: Vec<(&str, String)> =
                want.into_iter().map(|(f, c)| (f, c.to_owned())).collect();
            let mut got = assigned(line, &[]);
            got.sort();
            let mut want = want;
            want.sort();
            assert_eq!(got, want, "{label}");
        }
    }

    #[test]
    fn map_overrides_and_names_what_is_wrong() {
        let map = parse_map(&["order_id=Ref, qty=Menge".into()]).unwrap();
        let got = assigned("Ref,id,Menge,amount", &map);
        assert!(got.contains(&("order_id", "Ref".to_owned())), "{got:?}");
        assert!(got.contains(&("qty", "Menge".to_owned())), "{got:?}");
        assert_eq!(
            assign(&headers("a,b"), &map).unwrap_err(),
            "Ref",
            "a mapped column the header lacks"
        );
        assert!(
            parse_map(&["orderid=X".into()])
                .unwrap_err()
                .contains("order_id")
        );
        assert!(
            parse_map(&["order_id".into()])
                .unwrap_err()
                .contains("FIELD=COLUMN")
        );
    }
}
