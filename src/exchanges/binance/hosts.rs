//! Binance's hosts: USD-M futures live on `fapi` hosts of their own (docs/venues/binance.md §1), so
//! a profile that names only the spot host (`base_url`) gets the futures host that goes with it;
//! COIN-M futures and options live on the `dapi` and `eapi` hosts next to it, derived from the
//! futures host the same way.

/// The futures host that goes with a spot REST host; `None` for a host lockdown does not know
/// (the simulator, a proxy), which then serves every path from `base_url`.
pub fn futures_url(base_url: &str) -> Option<String> {
    let url = reqwest::Url::parse(base_url.trim()).ok()?;
    let host = url.host_str()?;
    let futures = match host {
        "api.binance.com"
        | "api-gcp.binance.com"
        | "api1.binance.com"
        | "api2.binance.com"
        | "api3.binance.com"
        | "api4.binance.com" => "https://fapi.binance.com",
        "demo-api.binance.com" => "https://demo-fapi.binance.com",
        "testnet.binance.vision" => "https://testnet.binancefuture.com",
        _ => return None,
    };
    Some(futures.to_owned())
}

/// The `dapi` (COIN-M) or `eapi` (options) host next to a futures host: `fapi.binance.com` gives
/// `dapi.binance.com` and `eapi.binance.com`, the demo host `demo-dapi.binance.com` (Binance's demo
/// has no options host that we could confirm: `None`), the futures testnet serves `/dapi` itself.
/// `None` for a host lockdown does not know, whose paths then go to `base_url`.
pub fn sibling_url(futures_url: &str, product: &str) -> Option<String> {
    let url = reqwest::Url::parse(futures_url.trim()).ok()?;
    let host = url.host_str()?;
    let sibling = match (host, product) {
        ("fapi.binance.com", "dapi") => "https://dapi.binance.com",
        ("fapi.binance.com", "eapi") => "https://eapi.binance.com",
        ("demo-fapi.binance.com", "dapi") => "https://demo-dapi.binance.com",
        ("testnet.binancefuture.com", "dapi") => "https://testnet.binancefuture.com",
        _ => return None,
    };
    Some(sibling.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::ExchangeId;

    #[test]
    fn futures_follow_the_spot_host() {
        for (label, base, want) in [
            (
                "live",
                "https://api.binance.com",
                Some("https://fapi.binance.com"),
            ),
            (
                "backup host",
                "https://api3.binance.com/",
                Some("https://fapi.binance.com"),
            ),
            (
                "demo",
                "https://demo-api.binance.com",
                Some("https://demo-fapi.binance.com"),
            ),
            ("simulator", "http://127.0.0.1:4000", None),
        ] {
            assert_eq!(futures_url(base).as_deref(), want, "{label}");
        }
    }

    #[test]
    fn coin_m_and_options_hosts_sit_next_to_the_futures_host() {
        let live = "https://fapi.binance.com";
        assert_eq!(
            sibling_url(live, "dapi").as_deref(),
            Some("https://dapi.binance.com")
        );
        assert_eq!(
            sibling_url(live, "eapi").as_deref(),
            Some("https://eapi.binance.com")
        );
        assert_eq!(sibling_url("http://127.0.0.1:4000", "dapi"), None);
    }

    #[test]
    fn only_binance_rows_take_a_futures_host() {
        for id in ExchangeId::ALL {
            let got = (id.spec().futures_url)("https://api.binance.com");
            assert_eq!(got.is_some(), *id == ExchangeId::Binance, "{id}");
        }
    }
}
