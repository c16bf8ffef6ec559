//! What one text holds: the profile's own credentials (by keyed hash), venues' variable names
//! assigned a credential-like value, and a venue's id and secret shapes near each other.
//!
//! A hit carries the key id where one is known (ids are not secrets) and only the length of a
//! secret, never its text. One hit per line: the most specific rule wins, and a bare key id is
//! reported only when no secret of that key stands within a few lines.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::own::OwnKeys;
use super::pattern::{self, Role};
use super::token::{Token, random_enough, tokens};
use crate::exchanges::ExchangeId;

/// How many lines around a secret its key id may stand.
const WINDOW: usize = 4;

/// Which rule found a hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// One of the profile's own credentials (keyed-hash match).
    OwnCredential,
    /// A venue's variable name (`BYBIT_API_SECRET=`) assigned a credential-like value.
    VariableName,
    /// A venue's key id shape and secret shape near each other.
    ShapePair,
}

/// What a hit gives away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exposes {
    /// A key's id only: names the key, signs nothing.
    KeyId,
    /// An OKX passphrase: half of what signing needs.
    Passphrase,
    /// A secret: whoever reads it can trade as the key.
    Secret,
}

/// One line that holds a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    /// 1-based line number.
    pub(crate) line: usize,
    /// `path` and the line's text, hashed: what a baseline accepts.
    pub(crate) fingerprint: String,
    /// The venue, as matched or guessed.
    pub(crate) venue: Option<ExchangeId>,
    /// Which rule.
    pub(crate) rule: Rule,
    /// What it gives away.
    pub(crate) exposes: Exposes,
    /// For people, never holding a secret.
    pub(crate) what: String,
    /// The key's id, when known.
    pub(crate) key_id: Option<String>,
    /// The secret's length, for a secret or passphrase.
    pub(crate) secret_len: Option<usize>,
    /// The profile whose credential it is (own matches).
    pub(crate) profile: Option<String>,
}

/// The fingerprint of a line: `path` and the line's trimmed text under SHA-256, cut to 32 hex
/// digits (the secret is in the line, so only the hash is ever written).
pub(crate) fn fingerprint(path: &str, line: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(b"lockdown-scan-1\0");
    hash.update(path.as_bytes());
    hash.update(b"\0");
    hash.update(line.trim().as_bytes());
    hex::encode(hash.finalize())[..32].to_owned()
}

/// Every hit in `text` (the file at `path`, as the fingerprint names it).
pub(crate) fn detect(path: &str, text: &str, own: &OwnKeys) -> Vec<Hit> {
    let lines: Vec<&str> = text.lines().collect();
    let toks: Vec<Vec<Token<'_>>> = lines.iter().map(|l| tokens(l, 3)).collect();
    let mut hits: Vec<Hit> = Vec::new();
    let hit = |line: usize, rule, exposes, what: String, venue, key_id, secret_len, profile| Hit {
        line: line + 1,
        fingerprint: fingerprint(path, lines[line]),
        venue,
        rule,
        exposes,
        what,
        key_id,
        secret_len,
        profile,
    };

    // The profile's own credentials.
    if !own.is_empty() {
        for (i, line_toks) in toks.iter().enumerate() {
            for t in line_toks {
                if let Some(o) = own.lookup(t.text) {
                    let exposes = match o.role {
                        Role::Id => Exposes::KeyId,
                        Role::Secret => Exposes::Secret,
                        Role::Passphrase => Exposes::Passphrase,
                    };
                    let secret_len = (o.role != Role::Id).then_some(t.text.len());
                    hits.push(hit(
                        i,
                        Rule::OwnCredential,
                        exposes,
                        o.describe(),
                        Some(o.venue),
                        Some(o.key_id.clone()),
                        secret_len,
                        Some(o.profile.clone()),
                    ));
                }
            }
        }
    }

    // Venues' variable names.
    let mut env_ids: Vec<(usize, ExchangeId, String)> = Vec::new();
    let mut env_secrets: Vec<(usize, ExchangeId, Role, usize)> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        for t in &toks[i] {
            let Some((venue, role)) = pattern::env_name(t.text) else {
                continue;
            };
            let Some(value) = assigned(line, *t) else {
                continue;
            };
            if !pattern::value_counts(venue, role, value) {
                continue;
            }
            match role {
                Role::Id => env_ids.push((i, venue, value.to_owned())),
                Role::Secret | Role::Passphrase => env_secrets.push((i, venue, role, value.len())),
            }
        }
    }
    for (i, venue, role, len) in env_secrets {
        let key_id = env_ids
            .iter()
            .filter(|(j, v, _)| *v == venue && i.abs_diff(*j) <= WINDOW)
            .min_by_key(|(j, _, _)| i.abs_diff(*j))
            .map(|(_, _, id)| id.clone())
            .or_else(|| id_near(&lines, &toks, i, venue));
        let (exposes, part) = match role {
            Role::Passphrase => (Exposes::Passphrase, "passphrase"),
            _ => (Exposes::Secret, "secret"),
        };
        hits.push(hit(
            i,
            Rule::VariableName,
            exposes,
            format!("a {venue} API {part} in a variable named for it"),
            Some(venue),
            key_id,
            Some(len),
            None,
        ));
    }

    // A venue's id and secret shapes near each other.
    for (i, line_toks) in toks.iter().enumerate() {
        for t in line_toks {
            // The shapes first: they are length checks, and most tokens fail them.
            if !ExchangeId::ALL
                .iter()
                .any(|v| pattern::secret_shape(*v, t.text))
                || !random_enough(t.text)
                || lines[i].trim() == t.text
            {
                continue;
            }
            let window = window_text(&lines, i);
            if !pattern::about_credentials(&window) {
                continue;
            }
            let named = pattern::venue_named(&window);
            let venues = named.into_iter().chain(
                ExchangeId::ALL
                    .iter()
                    .copied()
                    .filter(|v| Some(*v) != named),
            );
            for venue in venues {
                if !pattern::secret_shape(venue, t.text)
                    || (pattern::needs_name(venue) && named != Some(venue))
                {
                    continue;
                }
                if let Some(id) = id_near(&lines, &toks, i, venue).filter(|id| id != t.text) {
                    hits.push(hit(
                        i,
                        Rule::ShapePair,
                        Exposes::Secret,
                        format!("a key id and secret shaped like {venue}'s"),
                        Some(venue),
                        Some(id),
                        Some(t.text.len()),
                        None,
                    ));
                    break;
                }
            }
        }
    }
    settle(hits)
}

/// The value assigned to the name `t` on `line` (`NAME=value`, `name: "value"`, `"name": "value"`,
/// `name => 'value'`), when one is.
fn assigned<'a>(line: &'a str, t: Token<'_>) -> Option<&'a str> {
    let rest = &line[t.at + t.text.len()..];
    let rest = rest.trim_start_matches(['"', '\'', ' ', '\t']);
    let rest = rest
        .strip_prefix("=>")
        .or_else(|| rest.strip_prefix(":="))
        .or_else(|| rest.strip_prefix('='))
        .or_else(|| rest.strip_prefix(':'))?;
    let rest = rest.trim_start_matches(['"', '\'', ' ', '\t']);
    let value = tokens(rest, 1).into_iter().next()?;
    (value.at == 0).then_some(value.text)
}

/// The lines around line `i`, joined.
fn window_text(lines: &[&str], i: usize) -> String {
    let from = i.saturating_sub(WINDOW);
    let to = (i + WINDOW + 1).min(lines.len());
    lines[from..to].join("\n")
}

/// The nearest token of `venue`'s id shape within the window around line `i` (not a line of
/// its own: base64 and PEM bodies are runs of bare tokens).
fn id_near(lines: &[&str], toks: &[Vec<Token<'_>>], i: usize, venue: ExchangeId) -> Option<String> {
    let from = i.saturating_sub(WINDOW);
    let to = (i + WINDOW + 1).min(lines.len());
    (from..to)
        .flat_map(|j| toks[j].iter().map(move |t| (j, t)))
        .filter(|(j, t)| lines[*j].trim() != t.text && pattern::id_shape(venue, t.text))
        .filter(|(_, t)| venue == ExchangeId::Okx || random_enough(t.text))
        .min_by_key(|(j, _)| i.abs_diff(*j))
        .map(|(_, t)| t.text.to_owned())
}

/// One hit per line, the most specific kept; a key id alone is dropped when a secret of the
/// same key stands within the window.
fn settle(mut hits: Vec<Hit>) -> Vec<Hit> {
    let rank = |h: &Hit| {
        let own = h.rule == Rule::OwnCredential;
        match (h.exposes, own) {
            (Exposes::Secret, true) => 0,
            (Exposes::Secret, false) if h.rule == Rule::VariableName => 1,
            (Exposes::Secret, false) => 2,
            (Exposes::Passphrase, true) => 3,
            (Exposes::Passphrase, false) => 4,
            (Exposes::KeyId, _) => 5,
        }
    };
    hits.sort_by_key(|h| (h.line, rank(h)));
    hits.dedup_by_key(|h| h.line);
    let secrets: Vec<(usize, Option<String>)> = hits
        .iter()
        .filter(|h| h.exposes != Exposes::KeyId)
        .map(|h| (h.line, h.key_id.clone()))
        .collect();
    hits.retain(|h| {
        h.exposes != Exposes::KeyId
            || !secrets
                .iter()
                .any(|(line, id)| line.abs_diff(h.line) <= WINDOW && id == &h.key_id)
    });
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generic(text: &str) -> Vec<Hit> {
        detect("f", text, &OwnKeys::new(&[]))
    }

    const BYBIT_ID: &str = "Ab3dE5fG7hJ9kL1mN2";
    const BYBIT_SECRET: &str = "q8Xw2Lr5Tz9Kp3Vn7Bc1Md4Hs6Jf0Gy8Ue2W";

    #[test]
    fn a_venue_variable_with_a_random_value_is_found_with_its_key_id() {
        let text = format!("BYBIT_API_KEY={BYBIT_ID}\nBYBIT_API_SECRET={BYBIT_SECRET}\n");
        let hits = generic(&text);
        assert_eq!(hits.len(), 1, "{hits:#?}");
        assert_eq!(hits[0].line, 2);
        assert_eq!(hits[0].rule, Rule::VariableName);
        assert_eq!(hits[0].venue, Some(ExchangeId::Bybit));
        assert_eq!(hits[0].key_id.as_deref(), Some(BYBIT_ID));
        assert_eq!(hits[0].secret_len, Some(36));
        assert!(!format!("{hits:?}").contains(BYBIT_SECRET));
    }

    #[test]
    fn id_and_secret_shapes_near_each_other_are_a_pair() {
        let text = format!(
            "client = Client(\n    api_key=\"{BYBIT_ID}\",\n    api_secret=\"{BYBIT_SECRET}\",\n)\n"
        );
        let hits = generic(&text);
        assert_eq!(hits.len(), 1, "{hits:#?}");
        assert_eq!(hits[0].rule, Rule::ShapePair);
        assert_eq!(hits[0].line, 3);
        assert_eq!(hits[0].key_id.as_deref(), Some(BYBIT_ID));
    }

    #[test]
    fn placeholders_lone_ids_and_bare_base64_lines_stay_quiet() {
        for (label, text) in [
            (
                "placeholder",
                "BYBIT_API_SECRET=your-secret-here\n".to_owned(),
            ),
            ("reference", "OKX_SECRET_KEY=${OKX_SECRET_KEY}\n".to_owned()),
            ("lone id", format!("BYBIT_API_KEY={BYBIT_ID}\n")),
            ("bare lines", format!("{BYBIT_ID}\n{BYBIT_SECRET}\n")),
            (
                "no credential word",
                format!("a = \"{BYBIT_ID}\"\nb = \"{BYBIT_SECRET}\"\n"),
            ),
        ] {
            assert!(generic(&text).is_empty(), "{label}: {:#?}", generic(&text));
        }
    }

    #[test]
    fn the_fingerprint_is_of_path_and_trimmed_line() {
        assert_eq!(fingerprint("a", "  x = 1 "), fingerprint("a", "x = 1"));
        assert_ne!(fingerprint("a", "x = 1"), fingerprint("b", "x = 1"));
        assert_eq!(fingerprint("a", "x").len(), 32);
    }
}
