//! The operator console's browser tests' shared set-up: `chromedriver` on a free port (Debian's
//! `chromium-driver`, which `tools/test` installs; without it a test fails saying how to install
//! it), a headless Chromium session through it, screenshots under `target/console-screenshots/`,
//! and the waits, sign-in and event posting the tests share.
// Each test crate uses the part it needs.
#![allow(dead_code)]

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long anything the worker does may take (the poison payment's retries take ~6 s).
pub const PATIENCE: Duration = Duration::from_secs(60);

/// `chromedriver` on a free port, stopped when dropped.
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Drop for Driver {
    /// Stops the driver and the browsers it started (its process group), even when the test
    /// failed before closing its session.
    fn drop(&mut self) {
        // SAFETY: sends a signal to the process group this test created for the driver.
        unsafe { libc::kill(-(self.child.id() as i32), libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `$CHROMEDRIVER`, else `chromedriver` on the PATH.
pub fn chromedriver() -> PathBuf {
    if let Some(p) = std::env::var_os("CHROMEDRIVER") {
        return PathBuf::from(p);
    }
    std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|d| d.join("chromedriver"))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| {
            panic!(
                "chromedriver not found: the console's browser tests need Debian's `chromium` and \
                 `chromium-driver` (apt-get install -y chromium chromium-driver; `bash tools/test` \
                 installs them), or CHROMEDRIVER naming the driver"
            )
        })
}

pub fn start_driver() -> Driver {
    let port = free_port();
    let child = Command::new(chromedriver())
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while ureq::get(&format!("{url}/status")).call().is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not answer on {url}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Driver { child, url }
}

/// A headless Chromium session through `driver`, its window `height` pixels tall (1400 wide).
pub async fn browser(driver: &Driver, height: u32) -> Client {
    let mut options = json!({"args": [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--no-first-run", "--disable-dev-shm-usage", format!("--window-size=1400,{height}")
    ]});
    // Debian's /usr/bin/chromium is a wrapper script; the driver wants the browser itself.
    let binary = PathBuf::from("/usr/lib/chromium/chromium");
    if binary.is_file() {
        options["binary"] = json!(binary);
    }
    let caps = json!({"browserName": "chrome", "goog:chromeOptions": options});
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .unwrap_or_else(|e| panic!("headless Chromium did not start through chromedriver: {e}"))
}

pub fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

pub async fn source(c: &Client) -> String {
    c.source().await.unwrap()
}

/// Reloads `url` until its page contains `text`.
pub async fn page_with(c: &Client, url: &str, text: &str) -> String {
    let started = Instant::now();
    loop {
        c.goto(url).await.unwrap();
        let s = source(c).await;
        if s.contains(text) {
            return s;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "{url} never showed {text:?}; last:\n{s}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Polls `check` until it holds.
pub async fn until(what: &str, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < PATIENCE, "never: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Fills and sends the sign-in form.
pub async fn try_sign_in(c: &Client, base: &str, (email, password): (&str, &str)) {
    c.goto(&format!("{base}/console/sign-in")).await.unwrap();
    let form = c.form(Locator::Id("sign-in")).await.unwrap();
    form.set_by_name("email", email).await.unwrap();
    form.set_by_name("password", password).await.unwrap();
    form.submit().await.unwrap();
}

pub async fn sign_in(c: &Client, base: &str, operator: (&str, &str)) {
    try_sign_in(c, base, operator).await;
    let s = shows(c, "Sign out").await;
    assert!(s.contains(operator.0), "{} signed in:\n{s}", operator.0);
}

/// Waits (without reloading) until the page shows `text`.
pub async fn shows(c: &Client, text: &str) -> String {
    let started = Instant::now();
    loop {
        let s = source(c).await;
        if s.contains(text) {
            return s;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "the page never showed {text:?}:\n{s}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn sign_out(c: &Client) {
    c.find(Locator::Css("header form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    shows(c, "id=\"sign-in\"").await;
}

/// The text of the first element `css` finds, waiting for it to appear: a form's submit can
/// return before the browser has loaded the page it leads to.
pub async fn text(c: &Client, css: &str) -> String {
    let started = Instant::now();
    loop {
        match c.find(Locator::Css(css)).await {
            Ok(element) => return element.text().await.unwrap(),
            Err(e) if started.elapsed() >= PATIENCE => {
                panic!("{css}: {e}\n{}", source(c).await)
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

pub fn post_events(base: &str, events: &Value) {
    let mut res = ureq::post(&format!("{base}/events"))
        .send_json(events)
        .unwrap();
    let v: Value = res.body_mut().read_json().unwrap();
    assert_eq!(v["FailedEntryCount"], 0, "{v}");
}

pub fn scenario(name: &str) -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../events/scenarios/{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}
