//! A twin serving HTTP on a real socket for the server's whole-flow tests, stopped when dropped.
// Each test crate uses the part it needs.
#![allow(dead_code)]

use ascent::server::{Running, ServerOptions};
use ascent::settings::Settings;
use std::net::{SocketAddr, TcpListener};

pub struct Twin {
    pub running: Option<Running>,
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
}

impl Twin {
    /// A twin in a new temporary folder on a free port of 127.0.0.1.
    pub fn start(options: ServerOptions) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let rt = ascent::open(&Settings::new(dir.path(), addr.port())).unwrap();
        let running = ascent::server::start_with(rt, listener, options).unwrap();
        Self {
            running: Some(running),
            addr,
            dir,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Twin {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop();
        }
    }
}
