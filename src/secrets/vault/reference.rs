//! `VaultRef`: a KV v2 secret's API path as written after `vault:` (`secret/data/bybit`), and
//! for reads the field inside it (`#api_secret`).
//!
//! The `data/` segment is part of what the user writes, so the reference is the path the HTTP
//! API takes (`/v1/secret/data/bybit`), as the KV v2 docs and `bao kv get` show it ("Secret
//! Path: secret/data/bybit"). The mount is what comes before the first `/data/`; the metadata
//! path (for the current version) swaps that segment for `metadata/`.

use std::fmt;

/// A KV v2 path (with its `data/` segment) and, for reads, a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultRef {
    mount: String,
    name: String,
    field: Option<String>,
}

impl VaultRef {
    /// Parses the text after `vault:`: `MOUNT/data/PATH[#FIELD]`.
    pub fn parse(text: &str) -> Result<VaultRef, String> {
        let text = text.trim();
        let (path, field) = match text.split_once('#') {
            Some((path, field)) => (path.trim(), Some(field.trim())),
            None => (text, None),
        };
        let example = "e.g. `vault:secret/data/bybit#api_secret`";
        if path.is_empty() {
            return Err(format!("`vault:` needs a KV v2 path, {example}"));
        }
        if path.starts_with('/') || path.starts_with("v1/") {
            return Err(format!(
                "`vault:{path}`: write the path without `/v1/` or a leading `/`, {example}"
            ));
        }
        let Some((mount, name)) = path.split_once("/data/") else {
            return Err(format!(
                "`vault:{path}` is not a KV v2 data path: write `MOUNT/data/PATH` (the API path, \
                 with its `data/` segment), {example}"
            ));
        };
        let bad_segment = |s: &str| s.split('/').any(|seg| seg.is_empty() || seg == "..");
        if mount.is_empty() || name.is_empty() || bad_segment(mount) || bad_segment(name) {
            return Err(format!(
                "`vault:{path}` has an empty or `..` segment, {example}"
            ));
        }
        if field.is_some_and(str::is_empty) {
            return Err(format!("`vault:{path}#` names no field, {example}"));
        }
        Ok(VaultRef {
            mount: mount.to_owned(),
            name: name.to_owned(),
            field: field.map(str::to_owned),
        })
    }

    /// The API path of the secret's data, as written (`secret/data/bybit`).
    pub fn path(&self) -> String {
        format!("{}/data/{}", self.mount, self.name)
    }

    /// The API path of the secret's metadata (`secret/metadata/bybit`).
    pub fn metadata_path(&self) -> String {
        format!("{}/metadata/{}", self.mount, self.name)
    }

    /// The field, if any.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }
}

impl fmt::Display for VaultRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())?;
        match &self.field {
            Some(field) => write!(f, "#{field}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_into_mount_and_name() {
        for (label, text, path, metadata, field) in [
            (
                "read",
                "secret/data/bybit#api_secret",
                "secret/data/bybit",
                "secret/metadata/bybit",
                Some("api_secret"),
            ),
            (
                "destination",
                "secret/data/bot",
                "secret/data/bot",
                "secret/metadata/bot",
                None,
            ),
            (
                "nested",
                " kv/team/data/bots/grid#k ",
                "kv/team/data/bots/grid",
                "kv/team/metadata/bots/grid",
                Some("k"),
            ),
        ] {
            let r = VaultRef::parse(text).unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_eq!(r.path(), path, "{label}");
            assert_eq!(r.metadata_path(), metadata, "{label}");
            assert_eq!(r.field(), field, "{label}");
            assert_eq!(r.to_string(), text.trim(), "{label}");
        }
    }

    #[test]
    fn bad_paths_are_refused_with_an_example() {
        for (label, text, says) in [
            ("empty", "", "needs a KV v2 path"),
            ("no data segment", "secret/bybit#k", "not a KV v2 data path"),
            ("api prefix", "/v1/secret/data/x#k", "without `/v1/`"),
            ("no name", "secret/data/#k", "empty or `..`"),
            ("dot dot", "secret/data/../x#k", "empty or `..`"),
            ("empty field", "secret/data/x#", "names no field"),
        ] {
            let err = VaultRef::parse(text).unwrap_err();
            assert!(err.contains(says), "{label}: {err}");
            assert!(
                err.contains("vault:secret/data/bybit#api_secret"),
                "{label}: {err}"
            );
        }
    }
}
