"""An HTTPS provider endpoint for Herald's tests: a self-signed certificate for 127.0.0.1
made for the run (openssl), and every POST answered as Twilio answers a message it accepted
(201 with a sid). A private CA in front of a provider, as HERALD_HTTP_CA_FILE is for.

  https_double.py DIR

Prints "CA <file>" and then "PORT <n>" once it listens on 127.0.0.1; writes the number of
requests that got through TLS to DIR/requests.
"""
import http.server
import json
import os
import signal
import ssl
import subprocess
import sys
import threading

# Children of the test runner start with SIGTERM blocked (see smtp_sink.py).
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGHUP})
signal.signal(signal.SIGTERM, signal.SIG_DFL)

folder = sys.argv[1]
os.makedirs(folder, exist_ok=True)
cert = os.path.join(folder, "cert.pem")
key = os.path.join(folder, "key.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
               check=True, capture_output=True)
lock = threading.Lock()
count = 0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        global count
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            count += 1
            number = count
            with open(os.path.join(folder, "requests"), "w") as f:
                f.write(str(number))
        body = json.dumps({"sid": f"SMtls{number:04d}", "status": "queued"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
print(f"CA {cert}", flush=True)
print(f"PORT {server.server_address[1]}", flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
# Ends with the test process that started it.
parent = os.getppid()
while os.getppid() == parent:
    threading.Event().wait(0.5)
os._exit(0)
