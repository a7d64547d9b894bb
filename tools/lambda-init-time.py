"""Times a Lambda binary's init: from exec to its first GET .../invocation/next on a local
Runtime API (the moment Lambda would hand it an event). Usage:
    python3 tools/lambda-init-time.py target/release/billing 30
Compare with a hello-world lambda_runtime binary built with the same profile."""
import http.server, os, socketserver, subprocess, sys, threading, time, statistics

first = threading.Event()

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        first.set()
        time.sleep(0.05)
        self.send_response(500); self.end_headers()
    def do_POST(self):
        self.send_response(202); self.end_headers()
    def log_message(self, *a): pass

srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
threading.Thread(target=srv.serve_forever, daemon=True).start()
port = srv.server_address[1]
env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{port}", AWS_LAMBDA_FUNCTION_NAME="f",
           AWS_LAMBDA_FUNCTION_MEMORY_SIZE="512", AWS_LAMBDA_FUNCTION_VERSION="1",
           AWS_LAMBDA_LOG_STREAM_NAME="s", AWS_LAMBDA_LOG_GROUP_NAME="g", AWS_REGION="us-east-1",
           AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x")
times = []
for _ in range(int(sys.argv[2])):
    first.clear()
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.argv[1]], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first.wait(10)
    times.append((time.perf_counter() - t0) * 1000)
    p.kill(); p.wait()
print(f"{sys.argv[1]}: init median {statistics.median(times):.2f} ms (min {min(times):.2f}, max {max(times):.2f}, {len(times)} runs)")
