//! A moto server (AWS on the wire, locally) for one test: started from the repo's `.venv`
//! (created by `bash tools/test`), or reused from `ASCENT_MOTO_URL`; killed when dropped.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Moto {
    pub url: String,
    child: Option<Child>,
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Moto {
    pub fn start() -> Moto {
        if let Ok(url) = std::env::var("ASCENT_MOTO_URL") {
            return Moto { url, child: None };
        }
        let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/moto_server");
        assert!(
            bin.exists(),
            "moto is not installed: run `bash tools/test` (it installs moto[server] into .venv), \
             or set ASCENT_MOTO_URL to a running moto server"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto {
            url,
            child: Some(child),
        }
    }

    pub async fn config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(ascent_aws::lambda::behavior_version())
            .endpoint_url(&self.url)
            .region(aws_config::Region::new("us-east-1"))
            .test_credentials()
            .load()
            .await
    }
}
