//! What the response covers on each venue, product by product: the table `lockdown
//! capabilities` prints.
//!
//! An attacker's order in a product the response never lists or cancels survives the panic
//! button while every drill passes, so each venue declares every product a real account on it
//! can hold, and for each what the response does: covered, not offered by the venue, or not
//! covered (with why). A product missing from the table is a defect; a product the simulator does
//! not model is declared not covered. Whether the leaked key may trade a product is a fact of the
//! run, not of the venue: the response names the segments it was refused in.

use serde::Serialize;

use crate::venues::ExchangeId;

/// How one part of the response covers a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "why")]
pub enum Cover {
    /// Read or done through the API, on the segments the adapter lists.
    Covered,
    /// The venue has no such thing for this product (nothing to cover).
    NotOffered,
    /// Not done: why, and what a person must do instead.
    NotCovered(&'static str),
}

impl Cover {
    /// A short word for tables.
    pub fn word(self) -> &'static str {
        match self {
            Cover::Covered => "yes",
            Cover::NotOffered => "n/a",
            Cover::NotCovered(_) => "NO",
        }
    }
}

/// One product (market family, account type) a venue offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Product {
    /// Its name as the venue's documentation says it (`spot`, `USDⓈ-M futures`, `cross margin`).
    pub name: &'static str,
    /// Open orders listed.
    pub list_open: Cover,
    /// Open orders cancelled (every kind: plain, conditional, algo).
    pub cancel: Cover,
    /// Order history read for the report.
    pub history: Cover,
    /// Fills read for the report.
    pub fills: Cover,
    /// Balances read.
    pub balances: Cover,
}

impl Product {
    /// A product every part of the response covers.
    pub const fn covered(name: &'static str) -> Product {
        Product {
            name,
            list_open: Cover::Covered,
            cancel: Cover::Covered,
            history: Cover::Covered,
            fills: Cover::Covered,
            balances: Cover::Covered,
        }
    }

    /// A product the response does not cover at all, and why.
    pub const fn not_covered(name: &'static str, why: &'static str) -> Product {
        Product {
            name,
            list_open: Cover::NotCovered(why),
            cancel: Cover::NotCovered(why),
            history: Cover::NotCovered(why),
            fills: Cover::NotCovered(why),
            balances: Cover::NotCovered(why),
        }
    }

    /// Each part with its name, in table order.
    pub fn parts(&self) -> [(&'static str, Cover); 5] {
        [
            ("list open", self.list_open),
            ("cancel", self.cancel),
            ("history", self.history),
            ("fills", self.fills),
            ("balances", self.balances),
        ]
    }

    /// Whether the response leaves an attacker's order here open (it neither lists nor cancels
    /// it though the venue offers it).
    pub fn leaves_orders(&self) -> bool {
        matches!(self.cancel, Cover::NotCovered(_))
            || matches!(self.list_open, Cover::NotCovered(_))
    }
}

/// The products table of every venue, Markdown (part of `lockdown capabilities` and README):
/// one row per product, and under it why each part that is not covered is not.
pub fn table() -> String {
    let mut out = String::from(
        "\nWhat the response covers, product by product (yes: listed, cancelled or read by API; \
         n/a: the venue has none; NO: not covered, a person must do it, reason below):\n\n\
         | venue | product | list open | cancel | history | fills | balances |\n\
         |---|---|---|---|---|---|---|\n",
    );
    let mut reasons = Vec::new();
    for id in ExchangeId::ALL {
        let products = id.venue().products();
        if products.is_empty() {
            out.push_str(&format!(
                "| {id} | (not declared yet) | NO | NO | NO | NO | NO |\n"
            ));
            reasons.push(format!(
                "- {id}: its products are not declared; treat anything beyond its segments as not covered"
            ));
        }
        for product in products {
            out.push_str(&format!("| {id} | {} |", product.name));
            let mut why: Vec<&str> = Vec::new();
            for (_, cover) in product.parts() {
                out.push_str(&format!(" {} |", cover.word()));
                if let Cover::NotCovered(reason) = cover
                    && !why.contains(&reason)
                {
                    why.push(reason);
                }
            }
            out.push('\n');
            for reason in why {
                reasons.push(format!("- {id}, {}: {reason}", product.name));
            }
        }
    }
    if !reasons.is_empty() {
        out.push('\n');
        out.push_str(&reasons.join("\n"));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_product_not_covered_says_why_in_the_table() {
        let product = Product {
            cancel: Cover::NotCovered("the simulator does not model it"),
            ..Product::covered("spot")
        };
        assert!(product.leaves_orders());
        assert!(!Product::covered("spot").leaves_orders());
        assert_eq!(
            product.parts().map(|(_, c)| c.word()),
            ["yes", "NO", "yes", "yes", "yes"]
        );
        let value = serde_json::to_value(product).unwrap();
        assert_eq!(value["cancel"]["state"], "not_covered");
        assert_eq!(value["cancel"]["why"], "the simulator does not model it");
        assert_eq!(value["list_open"]["state"], "covered");
    }

    #[test]
    fn every_venue_declares_its_products_once_each() {
        let table = table();
        for id in ExchangeId::ALL {
            assert!(table.contains(&format!("| {id} |")), "{id}");
            let products = id.venue().products();
            assert!(!products.is_empty(), "{id} declares no product");
            let mut names: Vec<&str> = products.iter().map(|p| p.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), products.len(), "{id} names a product twice");
        }
        assert!(!table.contains("not declared"), "{table}");
    }
}
