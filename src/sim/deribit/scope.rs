//! Deribit access scopes: a key's `max_scope` and what a token may do (docs/venues/deribit.md §2,
//! §4).
//!
//! A scope is a level (`none`, `read`, `read_write`) per group (`account`, `trade`, `wallet`,
//! `block_trade`, `block_rfq`), written `account:read trade:read_write`; a group left out is
//! `none` (the docs: "If scope is not provided, its value is set as none"). Session words a
//! token's scope also carries (`connection`, `session:…`, `mainaccount`, `expires:…`, `ip:…`)
//! are not key scope and are skipped. In the shared key model the scope is stored as
//! [`Permissions`] with one value per group (`{"wallet": ["read_write"]}`).

use std::collections::BTreeMap;
use std::fmt;

use crate::sim::key::Permissions;

/// A scope group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Group {
    Account,
    Trade,
    Wallet,
    BlockTrade,
    BlockRfq,
}

impl Group {
    const ALL: [Group; 5] = [
        Group::Account,
        Group::Trade,
        Group::Wallet,
        Group::BlockTrade,
        Group::BlockRfq,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Group::Account => "account",
            Group::Trade => "trade",
            Group::Wallet => "wallet",
            Group::BlockTrade => "block_trade",
            Group::BlockRfq => "block_rfq",
        }
    }

    fn parse(text: &str) -> Option<Group> {
        Group::ALL.into_iter().find(|g| g.as_str() == text)
    }
}

/// A level of access, ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Level {
    None,
    Read,
    ReadWrite,
}

impl Level {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Read => "read",
            Level::ReadWrite => "read_write",
        }
    }

    fn parse(text: &str) -> Option<Level> {
        match text {
            "none" => Some(Level::None),
            "read" => Some(Level::Read),
            "read_write" => Some(Level::ReadWrite),
            _ => None,
        }
    }
}

/// A level per group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Scope(BTreeMap<Group, Level>);

impl Scope {
    /// Parses `account:read trade:read_write` (spaces or commas); unknown groups or levels are
    /// errors naming the part.
    pub(crate) fn parse(text: &str) -> Result<Scope, String> {
        let mut levels = BTreeMap::new();
        for part in text
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|p| !p.is_empty())
        {
            let Some((group, level)) = part.split_once(':') else {
                return Err(format!("`{part}` is not `group:level`"));
            };
            let group =
                Group::parse(group).ok_or_else(|| format!("`{group}` is not a scope group"))?;
            let level =
                Level::parse(level).ok_or_else(|| format!("`{part}` has an unknown level"))?;
            levels.insert(group, level);
        }
        Ok(Scope(levels))
    }

    /// The level of a group (`none` when left out).
    pub(crate) fn level(&self, group: Group) -> Level {
        self.0.get(&group).copied().unwrap_or(Level::None)
    }

    /// Returns true when the scope grants at least `level` in `group`.
    pub(crate) fn allows(&self, group: Group, level: Level) -> bool {
        self.level(group) >= level
    }

    /// The first group where `self` grants more than `limit` (docs/venues/deribit.md §4, 13403).
    pub(crate) fn exceeding(&self, limit: &Scope) -> Option<Group> {
        Group::ALL
            .into_iter()
            .find(|g| self.level(*g) > limit.level(*g))
    }

    /// The shared key model's form.
    pub(crate) fn to_permissions(&self) -> Permissions {
        let pairs: Vec<(&str, [&str; 1])> = self
            .0
            .iter()
            .map(|(g, l)| (g.as_str(), [l.as_str()]))
            .collect();
        let refs: Vec<(&str, &[&str])> = pairs.iter().map(|(g, l)| (*g, l.as_slice())).collect();
        Permissions::of(&refs)
    }

    /// Reads the shared key model's form back.
    pub(crate) fn from_permissions(permissions: &Permissions) -> Scope {
        let mut levels = BTreeMap::new();
        for group in Group::ALL {
            for level in [Level::ReadWrite, Level::Read, Level::None] {
                if permissions.has(group.as_str(), level.as_str()) {
                    levels.insert(group, level);
                    break;
                }
            }
        }
        Scope(levels)
    }
}

impl fmt::Display for Scope {
    /// Deribit's `max_scope` string, groups in a fixed order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(g, l)| format!("{}:{}", g.as_str(), l.as_str()))
            .collect();
        f.write_str(&parts.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_compares_and_round_trips() {
        let master = Scope::parse("account:read_write trade:read_write wallet:read_write").unwrap();
        let bot = Scope::parse("account:read,trade:read_write wallet:read").unwrap();
        assert_eq!(bot.to_string(), "account:read trade:read_write wallet:read");
        assert!(bot.allows(Group::Trade, Level::ReadWrite));
        assert!(!bot.allows(Group::Wallet, Level::ReadWrite));
        assert!(
            !bot.allows(Group::BlockTrade, Level::Read),
            "left out is none"
        );
        assert_eq!(bot.exceeding(&master), None);
        assert_eq!(master.exceeding(&bot), Some(Group::Account));
        assert_eq!(Scope::from_permissions(&bot.to_permissions()), bot);
        assert!(Scope::parse("trade:write").is_err());
        assert!(Scope::parse("bogus:read").is_err());
    }
}
