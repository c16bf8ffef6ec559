//! `snapshot`: keep the evidence: orders, fills, balances, transfers and key info, as JSON Lines
//! under the run folder's `snapshots/`.
//!
//! Account data is read with the leaked key (locked to the responder by then), money movements
//! with the master (Bybit lists withdrawals for the master only, docs/venues/bybit.md §6). Every
//! kind is fetched at once, each paginated in the venue's widest window. The account's security log
//! (`access_log`, Deribit `get_access_log`) also goes into the step's outputs, so the report's
//! timeline can show who logged in from where, and so does what the exchange says about the key
//! (`key_info`: its permissions and IP list, Kraken `GetApiKeyInfo`), for the report.
//!
//! In an incident (many keys at once) what the master reads is the one account's whichever
//! key's run asks, so the first run reads it and the others take its rows (`shared_reads`; the
//! `shared` output names the run that read each such kind, and when).
//!
//! A step keeps its place: its window is fixed at its first attempt, the kinds an attempt took
//! whole are not read again, and every page read is kept for its later attempts ([`Kept`]), so a
//! retry after a page failed (a rate limit, a dropped connection) reads on from that page instead
//! of from page one, and two kinds that send the same request (Binance's orders and fills both
//! start from the open orders) send it once. What is kept lives in this process until the step
//! succeeds; `resume` after a crash starts the step's reads again.

use super::{RunEnd, StepEnd, Todo};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::shared_reads::ReadBy;
use super::{Action, ActionError, Containment, Effect, Outputs, Plan, Preflight, StepContext};
use crate::clock;
use crate::exchanges::client::Kept;
use crate::exchanges::model::{AccessEvent, Segment, Transfer};
use crate::exchanges::{Auth, ExchangeError, History, Op, Reply, Window};
use crate::playbook::schema::{object, string, tpl};
use crate::secret::KeyId;
use crate::template::Tpl;

/// What a snapshot can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotKind {
    /// Orders open now.
    OpenOrders,
    /// Order history in the window.
    Orders,
    /// Executions in the window.
    Fills,
    /// Balances now.
    Balances,
    /// Internal transfers in the window.
    Transfers,
    /// Withdrawals in the window.
    Withdrawals,
    /// What the exchange says about the key.
    KeyInfo,
    /// The account's security log (logins, key changes, with addresses), where the venue has one.
    AccessLog,
}

impl SnapshotKind {
    /// The name used for files and outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            SnapshotKind::OpenOrders => "open_orders",
            SnapshotKind::Orders => "orders",
            SnapshotKind::Fills => "fills",
            SnapshotKind::Balances => "balances",
            SnapshotKind::Transfers => "transfers",
            SnapshotKind::Withdrawals => "withdrawals",
            SnapshotKind::KeyInfo => "key_info",
            SnapshotKind::AccessLog => "access_log",
        }
    }
}

impl SnapshotKind {
    /// The key whose signature reads this kind of `key`'s account: the master for money
    /// movements (and the listing part of `key_info`, shared inside it), else `key` itself.
    fn signer(self, cx: &StepContext<'_>, key: &KeyId) -> Result<KeyId, ActionError> {
        Ok(match self {
            SnapshotKind::Withdrawals | SnapshotKind::Transfers => cx.master().key.clone(),
            SnapshotKind::KeyInfo => key.clone(),
            _ => cx.key_credential(key)?.key.clone(),
        })
    }

    /// Whether the kind is read over a time window (the rest are read as they are now).
    fn windowed(self) -> bool {
        !matches!(
            self,
            SnapshotKind::OpenOrders | SnapshotKind::Balances | SnapshotKind::KeyInfo
        )
    }
}

/// How much earlier than its own window a read shared by an incident's runs starts: their
/// steps begin apart (four keys at a time), each window `since` before its own "now".
const SHARED_SLACK_MS: i64 = 10 * 60 * 1000;

/// How long a snapshot waits for the run's clock read still under way before it takes the
/// wider margin: the read goes out with the lock, so by the history steps it has long ended
/// on any working connection; this step comes before the revoke, which must not wait on it.
const CLOCK_PATIENCE: std::time::Duration = std::time::Duration::from_millis(500);

/// The `clock` output: the offset the window was computed with, and when it was measured.
fn clock_output(measure: &clock::Measure, margin_ms: i64) -> Value {
    match measure {
        clock::Measure::Done(measured) => json!({
            "offset_ms": measured.offset_ms,
            "measured_at": measured.measured_at,
            "round_trip_ms": measured.round_trip_ms,
            "window_margin_ms": margin_ms,
        }),
        clock::Measure::Failed(why) => json!({
            "offset_ms": null,
            "not_measured": why,
            "window_margin_ms": margin_ms,
        }),
        clock::Measure::NotStarted | clock::Measure::Running => json!({
            "offset_ms": null,
            "not_measured": "the server time was not read before this step",
            "window_margin_ms": margin_ms,
        }),
    }
}

/// One kind or a list.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Kinds {
    /// One kind.
    One(SnapshotKind),
    /// Several.
    Many(Vec<SnapshotKind>),
}

/// Read by hand rather than `untagged`: serde's untagged message ("data did not match any
/// variant of untagged enum Kinds") names neither the bad kind nor the good ones; this one says
/// "unknown variant `open_order`, expected one of `open_orders`, …" (and `validate` adds the
/// did-you-mean).
impl<'de> Deserialize<'de> for Kinds {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Kinds, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Kinds;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a snapshot kind or a list of them")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Kinds, E> {
                use serde::de::IntoDeserializer;
                SnapshotKind::deserialize(text.into_deserializer()).map(Kinds::One)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Kinds, A::Error> {
                let mut kinds = Vec::new();
                while let Some(kind) = seq.next_element::<SnapshotKind>()? {
                    kinds.push(kind);
                }
                Ok(Kinds::Many(kinds))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Parameters of `snapshot`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// What to take.
    of: Tpl<Kinds>,
    /// The key whose account is read.
    key: Tpl<String>,
    /// How far back history goes (default 7d).
    #[serde(default)]
    since: Option<Tpl<String>>,
    /// What earlier attempts of this step read (see the module doc).
    #[serde(skip)]
    progress: Arc<Progress>,
}

/// Where a snapshot step stands between its attempts: the window it reads (fixed at its first
/// attempt, so that a retry sends the same requests) and the pages already read.
#[derive(Debug, Default)]
struct Progress {
    /// `since` as written, and the window it gave.
    window: Mutex<Option<(std::time::Duration, i64, i64)>>,
    pages: Kept,
    /// The kinds taken whole: their rows, and the segments the key may not read.
    kinds: Mutex<BTreeMap<SnapshotKind, Taken>>,
    /// The kinds another run of the incident read for this one, and who read them.
    shared: Mutex<BTreeMap<SnapshotKind, ReadBy>>,
}

/// One kind's rows, and the segments the key may not read at all.
type Taken = (Rows, Vec<Segment>);

impl Progress {
    /// Drops what was kept: the step is done.
    fn forget(&self) {
        *self
            .window
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
        self.pages.clear();
        self.kinds().clear();
        self.shared().clear();
    }

    fn shared(&self) -> std::sync::MutexGuard<'_, BTreeMap<SnapshotKind, ReadBy>> {
        self.shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn kinds(&self) -> std::sync::MutexGuard<'_, BTreeMap<SnapshotKind, Taken>> {
        self.kinds
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The kinds of `kinds` not taken yet.
    fn missing(&self, kinds: &[SnapshotKind]) -> Vec<SnapshotKind> {
        let taken = self.kinds();
        kinds
            .iter()
            .filter(|k| !taken.contains_key(k))
            .copied()
            .collect()
    }

    /// Keeps a kind taken whole (`by` another run of the incident, or this one).
    fn taken(&self, kind: SnapshotKind, (taken, by): (Taken, Option<ReadBy>)) {
        self.kinds().insert(kind, taken);
        if let Some(by) = by {
            self.shared().insert(kind, by);
        }
    }

    /// Hands a taken kind over (nothing when it was not taken).
    fn take_out(&self, kind: SnapshotKind) -> Taken {
        self.kinds()
            .remove(&kind)
            .unwrap_or_else(|| (rows(Vec::<Value>::new()), Vec::new()))
    }

    /// The window of `since`: the first attempt's, or one from `since` before the exchange's
    /// `now_ms` to `margin_ms` after it.
    fn window(&self, since: std::time::Duration, now_ms: i64, margin_ms: i64) -> (i64, i64) {
        let mut window = self
            .window
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match *window {
            Some((kept, start, end)) if kept == since => (start, end),
            _ => {
                let start = now_ms - i64::try_from(since.as_millis()).unwrap_or(i64::MAX / 2);
                let end = now_ms + margin_ms.max(0);
                *window = Some((since, start, end));
                (start, end)
            }
        }
    }
}

impl Snapshot {
    fn kinds(&self, cx: &StepContext<'_>) -> Result<Vec<SnapshotKind>, ActionError> {
        let mut kinds = match cx.render(&self.of)? {
            Kinds::One(kind) => vec![kind],
            Kinds::Many(kinds) => kinds,
        };
        kinds.sort();
        kinds.dedup();
        Ok(kinds)
    }

    /// Writes the rows of `kinds` (each taken whole) to `dir`, one JSON Lines file per kind,
    /// and returns the outputs that name them: `files`, `counts`, `sha256`, `not_permitted`,
    /// `access_log`, `key_info`.
    fn write_taken(
        &self,
        cx: &StepContext<'_>,
        dir: &Path,
        kinds: &[SnapshotKind],
    ) -> Result<Outputs, ActionError> {
        let mut files = serde_json::Map::new();
        let mut counts = serde_json::Map::new();
        let mut access_log = None;
        let mut not_permitted = serde_json::Map::new();
        let mut key_info = None;
        let mut sha256 = serde_json::Map::new();
        let mut shared = serde_json::Map::new();
        for kind in kinds {
            if let Some(by) = self.progress.shared().remove(kind) {
                shared.insert(kind.as_str().into(), json!(by));
            }
            let (rows, refused) = self.progress.take_out(*kind);
            if !refused.is_empty() {
                let names: Vec<String> = refused.iter().map(ToString::to_string).collect();
                not_permitted.insert(kind.as_str().into(), json!(names));
            }
            if *kind == SnapshotKind::KeyInfo {
                key_info = Some(Value::Array(rows.values(0)));
            }
            if *kind == SnapshotKind::AccessLog {
                // Into the journal too, so the report's timeline can show them (newest kept).
                let skip = rows.len().saturating_sub(ACCESS_LOG_IN_JOURNAL);
                access_log = Some(Value::Array(rows.values(skip)));
            }
            let path = dir.join(format!("{}-{}.jsonl", cx.step, kind.as_str()));
            let written = write_jsonl(&path, &rows)?;
            let relative = path
                .strip_prefix(&cx.run.dir)
                .map(Path::to_path_buf)
                .unwrap_or(path);
            files.insert(kind.as_str().into(), json!(relative.display().to_string()));
            counts.insert(kind.as_str().into(), json!(written.rows));
            sha256.insert(kind.as_str().into(), json!(written.sha256));
        }
        let mut out = Outputs::new();
        out.insert("files".into(), Value::Object(files));
        out.insert("counts".into(), Value::Object(counts));
        // The journal names each file and its digest; the rows themselves stay in the file.
        out.insert("sha256".into(), Value::Object(sha256));
        if !not_permitted.is_empty() {
            // Segments the key may not read at all: it cannot have traded there either.
            out.insert("not_permitted".into(), Value::Object(not_permitted));
        }
        if let Some(events) = access_log {
            out.insert("access_log".into(), events);
        }
        if let Some(rows) = key_info {
            out.insert("key_info".into(), rows);
        }
        if !shared.is_empty() {
            // Read once for the incident by another key's run: which run, and when.
            out.insert("shared".into(), Value::Object(shared));
        }
        Ok(out)
    }
}

impl Snapshot {
    /// The JSON Schema of the parameters (see `playbook::schema`).
    pub fn schema() -> serde_json::Value {
        let kinds = json!({ "enum": ["open_orders", "orders", "fills", "balances", "transfers", "withdrawals", "key_info", "access_log"] });
        object(
            json!({
                "of": tpl(json!({ "anyOf": [kinds, { "type": "array", "items": kinds }] }), "what to take"),
                "key": string("the key whose account is read"),
                "since": string("how far back history goes (default 7d)"),
            }),
            &["of", "key"],
        )
    }
}

impl Action for Snapshot {
    const CONTAINMENT: Containment = Containment::Evidence;

    const OUTPUTS: &'static [&'static str] = &[
        "files",
        "counts",
        "sha256",
        "not_permitted",
        "since_ms",
        "until_ms",
        "access_log",
        "key_info",
        "not_covered",
        "clock",
        "missing",
        "incomplete",
        "shared",
    ];

    fn report(outputs: &Outputs, report: &mut crate::report::Timeline) {
        if let Some(events) = outputs.get("access_log") {
            report.access_log(events);
        }
        if let Some(rows) = outputs.get("key_info").and_then(Value::as_array) {
            report.key_info.extend(rows.iter().cloned());
        }
        if let Some(clock) = outputs.get("clock") {
            report.exchange_clock(clock);
        }
    }

    fn note(outputs: &Outputs) -> String {
        let mut note = outputs.get("counts").unwrap_or(&Value::Null).to_string();
        if let Some(unread) = outputs.get("not_covered").and_then(Value::as_array)
            && !unread.is_empty()
        {
            note.push_str(&format!("; not covered: {}", Value::Array(unread.clone())));
        }
        if let Some(shared) = outputs.get("shared").and_then(Value::as_object) {
            for (kind, by) in shared {
                let field = |name: &str| by.get(name).and_then(Value::as_str).unwrap_or("?");
                note.push_str(&format!(
                    "; {kind}: the master's read made once for the incident, by run {} at {}",
                    field("run"),
                    field("read_at")
                ));
            }
        }
        note
    }

    fn undone(end: &StepEnd<'_>, run: &RunEnd<'_>) -> Option<Todo> {
        Some(end.todo(
            format!("evidence is missing: {}", end.why()),
            &format!(
                "save the order history, fills and transfers from {}'s web interface before they age out",
                run.venue
            ),
        ))
    }

    fn effect(&self) -> Effect {
        Effect::Read
    }

    fn advise(&self, pre: &Preflight<'_>) -> Option<ActionError> {
        pre.key_credential(&self.key)
    }

    async fn plan(&self, cx: &StepContext<'_>) -> Result<Plan, ActionError> {
        self.kinds(cx)?;
        Ok(Plan::default())
    }

    async fn apply(&self, cx: &StepContext<'_>) -> Result<Outputs, ActionError> {
        let kinds = self.kinds(cx)?;
        let key = KeyId::new(cx.render(&self.key)?);
        let since = match &self.since {
            Some(since) => cx.render(since)?,
            None => "7d".to_owned(),
        };
        let since = clock::parse_duration(&since).map_err(|message| ActionError::Input {
            message,
            hint: "write `since` like `7d` or `24h`".into(),
        })?;
        // History is dated on the exchange's clock: the window ends at its "now", past it by a
        // margin (`clock::window_margin_ms`), once the run's clock read is in (waited for only
        // briefly, and only when a window is read at all).
        let windowed = kinds.iter().any(|kind| kind.windowed());
        let measure = if windowed {
            cx.client.clock().settled(CLOCK_PATIENCE).await
        } else {
            cx.client.clock().measurement()
        };
        let margin_ms = clock::window_margin_ms(&measure);
        let (start_ms, end_ms) = self
            .progress
            .window(since, cx.client.clock().now_ms(), margin_ms);
        let kept = &self.progress.pages;

        let dir = cx.run.dir.join("snapshots");
        crate::private::create_dir(&dir).map_err(|source| ActionError::Io {
            what: "create",
            path: dir.clone(),
            source,
        })?;

        let segments = cx.client.segments().await;
        // Kinds an earlier attempt took whole are not read again.
        let missing = self.progress.missing(&kinds);
        let takes = missing.iter().map(|kind| {
            let (key, segments) = (&key, &segments.list);
            async move {
                let taken = match &cx.run.shared_reads {
                    Some(reads) if kind.signer(cx, key)? == cx.master().key => {
                        // The master's read of the one account: the same request whichever
                        // key's run sends it, made once for the incident. Its window starts
                        // `SHARED_SLACK_MS` earlier, so that it reaches as far back as the
                        // windows of the runs whose step began a moment before (each starts
                        // `since` before its own "now"); a run it does not reach reads anew.
                        let what = format!("{}|{}", kind.as_str(), cx.master().key.as_str());
                        let windowed = kind.windowed();
                        let fits = |(_, start): &(Taken, i64)| !windowed || *start <= start_ms;
                        let from = start_ms - SHARED_SLACK_MS;
                        let read = take(cx, kept, *kind, segments, key, from, end_ms);
                        let read = async { read.await.map(|(taken, _)| (taken, from)) };
                        let ((taken, _), by) = reads.once(&what, &cx.run.id, fits, read).await?;
                        (taken, by)
                    }
                    _ => take(cx, kept, *kind, segments, key, start_ms, end_ms).await?,
                };
                // Kept as soon as it is whole: a step that runs out of time keeps it (`salvage`).
                self.progress.taken(*kind, taken);
                Ok::<(), ActionError>(())
            }
        });
        if let Some(err) = join_all(takes).await.into_iter().find_map(Result::err) {
            return Err(err);
        }
        let mut out = self.write_taken(cx, &dir, &kinds)?;
        if !segments.unread.is_empty() {
            // Segments the venue could not list: their orders and fills are missing.
            out.insert("not_covered".into(), json!(segments.unread));
        }
        out.insert("since_ms".into(), json!(start_ms));
        out.insert("until_ms".into(), json!(end_ms));
        out.insert("clock".into(), clock_output(&measure, margin_ms));
        // Done: the next run of this step (a later `resume`) reads afresh.
        self.progress.forget();
        Ok(out)
    }

    /// The kinds taken whole before the step ran out of time or failed, written as usual; the
    /// rest named in `missing` and `incomplete`. Nothing when no kind was taken whole.
    fn salvage(&self, cx: &StepContext<'_>, why: &str) -> Option<Outputs> {
        let kinds = self.kinds(cx).ok()?;
        let missing = self.progress.missing(&kinds);
        let taken: Vec<SnapshotKind> = kinds
            .iter()
            .filter(|kind| !missing.contains(kind))
            .copied()
            .collect();
        let window = *self
            .progress
            .window
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if taken.is_empty() {
            return None;
        }
        let dir = cx.run.dir.join("snapshots");
        let mut out = self.write_taken(cx, &dir, &taken).ok()?;
        let names: Vec<&str> = missing.iter().map(|kind| kind.as_str()).collect();
        if let Some((_, start_ms, end_ms)) = window {
            out.insert("since_ms".into(), json!(start_ms));
            out.insert("until_ms".into(), json!(end_ms));
        }
        out.insert("missing".into(), json!(names));
        out.insert(
            "incomplete".into(),
            json!(format!("{} not read: {why}", names.join(", "))),
        );
        self.progress.forget();
        Some(out)
    }
}

/// Takes one kind: its rows, and the segments the key may not read at all (see
/// [`crate::exchanges::Client::per_segment_permitted`]).
async fn take(
    cx: &StepContext<'_>,
    kept: &Kept,
    kind: SnapshotKind,
    segments: &[Segment],
    key: &KeyId,
    start_ms: i64,
    end_ms: i64,
) -> Result<(Taken, Option<ReadBy>), ActionError> {
    let client = cx.client;
    let venue = client.venue();
    let what = format!("snapshot {}", kind.as_str());
    let fail = |err| ActionError::Exchange {
        what: what.clone(),
        source: err,
    };
    let windows = |history: History| {
        let max = i64::try_from(venue.max_window(history).as_millis()).unwrap_or(i64::MAX / 2);
        Window::split(start_ms, end_ms, max)
    };
    // Only the segments the venue reads this history in (`Venue::reads_history`).
    let reading = |segments: &[Segment], history: History| -> Vec<Segment> {
        segments
            .iter()
            .filter(|s| venue.reads_history(s, history))
            .copied()
            .collect()
    };
    Ok((
        match kind {
            SnapshotKind::OpenOrders => {
                let (open, refused) = client
                    .per_segment_permitted_kept(
                        Some(kept),
                        segments,
                        Auth::Key(cx.key_credential(key)?),
                        |segment, cursor| Op::OpenOrders { segment, cursor },
                        Reply::into_orders,
                    )
                    .await
                    .map_err(fail)?;
                return Ok(((rows(open), refused), None));
            }
            SnapshotKind::Orders => {
                let (orders, refused) = windowed(
                    client,
                    kept,
                    &reading(segments, History::Orders),
                    Auth::Key(cx.key_credential(key)?),
                    windows(History::Orders),
                    |segment, window, cursor| Op::Orders {
                        segment,
                        window,
                        cursor,
                    },
                    Reply::into_orders,
                )
                .await
                .map_err(fail)?;
                return Ok(((rows(orders), refused), None));
            }
            SnapshotKind::Fills => {
                let (fills, refused) = windowed(
                    client,
                    kept,
                    &reading(segments, History::Fills),
                    Auth::Key(cx.key_credential(key)?),
                    windows(History::Fills),
                    |segment, window, cursor| Op::Fills {
                        segment,
                        window,
                        cursor,
                    },
                    Reply::into_fills,
                )
                .await
                .map_err(fail)?;
                return Ok(((rows(fills), refused), None));
            }
            SnapshotKind::Balances => rows(
                client
                    .call(&Op::Balances, Auth::Key(cx.key_credential(key)?))
                    .await
                    .and_then(Reply::into_balances)
                    .map_err(fail)?,
            ),
            SnapshotKind::Withdrawals | SnapshotKind::Transfers => {
                let history = if kind == SnapshotKind::Withdrawals {
                    History::Withdrawals
                } else {
                    History::Transfers
                };
                let auth = Auth::Key(cx.master());
                rows(
                    money_moves(cx, kept, history, windows(history), auth)
                        .await
                        .map_err(fail)?,
                )
            }
            SnapshotKind::AccessLog => {
                let auth = Auth::Key(cx.key_credential(key)?);
                rows(
                    access_log(cx, kept, auth, start_ms, end_ms)
                        .await
                        .map_err(fail)?,
                )
            }
            SnapshotKind::KeyInfo => {
                let (info, by) = key_info(cx, key).await.map_err(fail)?;
                return Ok(((rows(info), Vec::new()), by));
            }
        },
        Vec::new(),
    ))
    .map(|taken| (taken, None))
}

/// The account's withdrawals or transfers (`history`) over `windows`, one after another.
async fn money_moves(
    cx: &StepContext<'_>,
    kept: &Kept,
    history: History,
    windows: Vec<Window>,
    auth: Auth<'_>,
) -> Result<Vec<Transfer>, ExchangeError> {
    let mut all = Vec::new();
    for window in windows {
        let make = |cursor| match history {
            History::Withdrawals => Op::Withdrawals { window, cursor },
            _ => Op::Transfers { window, cursor },
        };
        all.extend(
            cx.client
                .all_pages_kept(Some(kept), make, auth, Reply::into_transfers)
                .await?,
        );
    }
    Ok(all)
}

/// The key's access log from `start_ms` to `end_ms`, oldest first.
async fn access_log(
    cx: &StepContext<'_>,
    kept: &Kept,
    auth: Auth<'_>,
    start_ms: i64,
    end_ms: i64,
) -> Result<Vec<AccessEvent>, ExchangeError> {
    let mut events = cx
        .client
        .all_pages_kept(
            Some(kept),
            |cursor| Op::AccessLog { cursor },
            auth,
            Reply::into_access_log,
        )
        .await?;
    events.retain(|e| (start_ms..=end_ms).contains(&e.time_ms));
    events.sort_by_key(|e| e.time_ms);
    Ok(events)
}

/// What the exchange says of the key: asked as the key itself where the owner holds its
/// secret, and as the master (whose listing of the key's sub-account the incident's runs read
/// once: it lists every key there, read after every key's lock went out and before any run's
/// revoke, since a run reads it before its own revoke).
async fn key_info(
    cx: &StepContext<'_>,
    key: &KeyId,
) -> Result<(Vec<Value>, Option<ReadBy>), ExchangeError> {
    let mut found = Vec::new();
    if let Ok(cred) = cx.key_credential(key) {
        let me = cx
            .client
            .call(&Op::WhoAmI, Auth::Key(cred))
            .await
            .and_then(Reply::into_key)?;
        found.push(json!({"source": "key", "info": me}));
    }
    let mut by = None;
    if let Some(account) = cx.key_account(key) {
        let keys = match &cx.run.shared_reads {
            Some(reads) => {
                let what = format!("sub_keys|{account}|{}", cx.master().key.as_str());
                let (keys, read_by) = reads
                    .once(&what, &cx.run.id, |_| true, cx.account_keys(&account))
                    .await?;
                by = read_by;
                keys
            }
            None => cx.account_keys(&account).await?,
        };
        for info in keys.into_iter().filter(|info| info.names(key)) {
            found.push(json!({"source": "master", "info": info}));
        }
    }
    Ok((found, by))
}

/// The most access-log entries a snapshot also writes into the journal (all go to the file).
const ACCESS_LOG_IN_JOURNAL: usize = 200;

/// One paginated read per segment and window; windows one after another, segments at once. A
/// segment the key may not read at all is left out of later windows and named.
async fn windowed<T>(
    client: &crate::exchanges::Client,
    kept: &Kept,
    segments: &[Segment],
    auth: Auth<'_>,
    windows: Vec<Window>,
    make: impl Fn(Segment, Window, Option<String>) -> Op,
    page: fn(Reply) -> Result<crate::exchanges::Page<T>, crate::exchanges::ExchangeError>,
) -> Result<(Vec<T>, Vec<Segment>), crate::exchanges::ExchangeError> {
    let mut segments = segments.to_vec();
    let mut refused_all = Vec::new();
    let mut all = Vec::new();
    for window in windows {
        let make = &make;
        let (found, refused) = client
            .per_segment_permitted_kept(
                Some(kept),
                &segments,
                auth,
                move |segment, cursor| make(segment, window, cursor),
                page,
            )
            .await?;
        all.extend(found);
        segments.retain(|s| !refused.contains(s));
        refused_all.extend(refused);
    }
    Ok((all, refused_all))
}

/// One kind's rows, typed until they are written: each is serialized straight into the file,
/// never gathered as JSON values first.
#[derive(Clone)]
pub(crate) struct Rows(Arc<dyn RowList>);

trait RowList: Send + Sync {
    fn len(&self) -> usize;
    fn write(&self, out: &mut JsonlWriter) -> std::io::Result<()>;
    fn values(&self, skip: usize) -> Vec<Value>;
}

impl<T: Serialize + Send + Sync> RowList for Vec<T> {
    fn len(&self) -> usize {
        <[T]>::len(self)
    }

    fn write(&self, out: &mut JsonlWriter) -> std::io::Result<()> {
        self.iter().try_for_each(|row| out.row(row))
    }

    fn values(&self, skip: usize) -> Vec<Value> {
        self.iter()
            .skip(skip)
            .filter_map(|item| serde_json::to_value(item).ok())
            .collect()
    }
}

impl std::fmt::Debug for Rows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Rows({})", self.len())
    }
}

impl Rows {
    /// How many rows.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// The rows from `skip` on, as JSON values (for the few kept in outputs).
    pub(crate) fn values(&self, skip: usize) -> Vec<Value> {
        self.0.values(skip)
    }
}

fn rows<T: Serialize + Send + Sync + 'static>(items: Vec<T>) -> Rows {
    Rows(Arc::new(items))
}

/// What a JSON Lines file got: its rows and the SHA-256 of its bytes.
#[derive(Debug, Clone)]
pub(crate) struct Written {
    /// Rows written.
    pub(crate) rows: usize,
    /// Hex SHA-256 of the file.
    pub(crate) sha256: String,
}

/// Writes JSON Lines through a buffer, row by row, hashing what it writes; `finish` flushes
/// and syncs the file to disk.
pub(crate) struct JsonlWriter {
    out: std::io::BufWriter<std::fs::File>,
    hash: sha2::Sha256,
    rows: usize,
    line: Vec<u8>,
}

impl JsonlWriter {
    /// Creates the file (private: owner-only).
    pub(crate) fn create(path: &Path) -> std::io::Result<JsonlWriter> {
        let file = crate::private::create(path)?;
        Ok(JsonlWriter {
            out: std::io::BufWriter::with_capacity(1 << 16, file),
            hash: sha2::Digest::new(),
            rows: 0,
            line: Vec::new(),
        })
    }

    /// Appends one row.
    pub(crate) fn row<T: Serialize + ?Sized>(&mut self, row: &T) -> std::io::Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, row).map_err(std::io::Error::other)?;
        self.line.push(b'\n');
        sha2::Digest::update(&mut self.hash, &self.line);
        self.rows += 1;
        self.out.write_all(&self.line)
    }

    /// Flushes, syncs, and says what was written.
    pub(crate) fn finish(self) -> std::io::Result<Written> {
        let file = self.out.into_inner().map_err(|err| err.into_error())?;
        file.sync_data()?;
        Ok(Written {
            rows: self.rows,
            sha256: hex::encode(sha2::Digest::finalize(self.hash)),
        })
    }
}

fn write_jsonl(path: &Path, rows: &Rows) -> Result<Written, ActionError> {
    let io = |source| ActionError::Io {
        what: "write",
        path: path.to_owned(),
        source,
    };
    let mut out = JsonlWriter::create(path).map_err(io)?;
    rows.0.write(&mut out).map_err(io)?;
    out.finish().map_err(io)
}

/// Reads a snapshot file back, streamed: its lines one at a time (blank ones skipped), each
/// with its byte offset and line number, for the caller to read into its typed row; an error
/// `each` returns is the file's parse error.
pub(crate) fn read_jsonl(
    path: &Path,
    mut each: impl FnMut(&str, u64, usize) -> std::io::Result<()>,
) -> Result<(), ActionError> {
    use std::io::BufRead;
    let fail = |what, source| ActionError::Io {
        what,
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(|source| fail("read", source))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
    let mut buf = String::new();
    let mut offset = 0u64;
    let mut number = 0;
    loop {
        buf.clear();
        let read = reader
            .read_line(&mut buf)
            .map_err(|source| fail("read", source))?;
        if read == 0 {
            return Ok(());
        }
        number += 1;
        let line = buf.trim_end_matches(['\n', '\r']);
        if !line.trim().is_empty() {
            each(line, offset, number).map_err(|source| fail("parse", source))?;
        }
        offset += read as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A misspelt kind is named with the kinds there are (not serde's "did not match any variant
    /// of untagged enum"), one kind or a list.
    #[test]
    fn a_misspelt_kind_is_named_with_the_kinds_there_are() {
        for text in ["of: [orders, open_order]", "of: open_order"] {
            let value: serde_yaml::Value =
                serde_yaml::from_str(&format!("key: k\n{text}\n")).unwrap_or_default();
            let err = serde_yaml::from_value::<Snapshot>(value)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                err.contains("unknown variant `open_order`, expected one of `open_orders`"),
                "{text}: {err}"
            );
        }
        let value: serde_yaml::Value =
            serde_yaml::from_str("key: k\nof: [orders, fills]\n").unwrap_or_default();
        assert!(serde_yaml::from_value::<Snapshot>(value).is_ok());
    }

    #[test]
    fn a_retry_keeps_the_first_attempts_window_and_kinds() {
        let progress = Progress::default();
        let week = std::time::Duration::from_secs(7 * 86_400);
        let first = progress.window(week, 1_000_000_000, 1_500);
        assert_eq!(first, (1_000_000_000 - 604_800_000, 1_000_001_500));
        assert_eq!(
            progress.window(week, 1_000_005_000, 1_500),
            first,
            "the retry's window"
        );
        let day = std::time::Duration::from_secs(86_400);
        assert_eq!(progress.window(day, 1_000_005_000, 0).1, 1_000_005_000);
        let kinds = [SnapshotKind::Orders, SnapshotKind::Fills];
        progress.taken(
            SnapshotKind::Orders,
            ((rows(vec![json!({"order_id": "1"})]), Vec::new()), None),
        );
        assert_eq!(progress.missing(&kinds), [SnapshotKind::Fills]);
        assert_eq!(progress.take_out(SnapshotKind::Orders).0.len(), 1);
        let by = ReadBy {
            run: "a1b2c3".into(),
            read_at: "2026-12-06T12:00:00.000Z".into(),
        };
        progress.taken(
            SnapshotKind::Fills,
            ((rows(Vec::<Value>::new()), Vec::new()), Some(by.clone())),
        );
        assert_eq!(progress.shared().get(&SnapshotKind::Fills), Some(&by));
        progress.forget();
        assert_eq!(
            progress.missing(&kinds),
            kinds,
            "a finished step reads afresh"
        );
        assert!(progress.pages.is_empty());
        assert!(progress.shared().is_empty(), "who read it is forgotten too");
    }
}
