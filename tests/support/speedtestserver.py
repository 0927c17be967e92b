"""A speedtest.net-compatible server for tests: speedtest-cli's configuration, server list,
latency, download and upload endpoints, all on one address (HTTPS on one port, plain HTTP on
another). In the lab, www.speedtest.net and c.speedtest.net resolve to it (lab DNS), so
speedtest-cli runs unmodified without ever reaching the real speedtest.net.

    python -m tests.support.speedtestserver --listen 198.19.30.10:443 --plain-listen \\
        198.19.30.10:80 --cert c.pem --key k.pem --server-host speedtest.ru.lab \\
        [--mode forbidden|rate_limited|no_servers|ok] [--scale 10]

`/speedtest/randomNxN.jpg` is N*N/scale bytes (real ones are about 2*N*N: scale shrinks the
test to lab size); downloads stop after the configured test length anyway.
"""

from __future__ import annotations

import argparse
import http.server
import re
import socketserver
import ssl
import threading

CONFIG = """<?xml version="1.0" encoding="UTF-8"?>
<settings>
<client ip="198.18.1.10" lat="39.90" lon="116.40" isp="Lab ISP" isprating="3.7" rating="0"
 ispdlavg="0" ispulavg="0" loggedin="0" country="CN"/>
<server-config threadcount="2" ignoreids="" notonmap="" forcepingid="" preferredserverid=""/>
<download testlength="{down_length}" initialtest="250K" mintestsize="250K" threadsperurl="1"/>
<upload testlength="{up_length}" ratio="5" initialtest="0" mintestsize="32K" threads="2"
 maxchunksize="512K" maxchunkcount="3" threadsperurl="1"/>
</settings>
"""

SERVERS = """<?xml version="1.0" encoding="UTF-8"?>
<settings><servers>
<server url="{scheme}://{host}/speedtest/upload.php" lat="55.75" lon="37.62" name="Moscow"
 country="Russia" cc="RU" sponsor="Lab" id="4242" host="{host}:{port}"/>
<server url="{scheme}://{host}/speedtest/upload.php" lat="59.93" lon="30.31" name="SPb"
 country="Russia" cc="RU" sponsor="Lab 2" id="4243" host="{host}:{port}"/>
</servers></settings>
"""


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, ctype: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        s = self.server.settings
        path = self.path.split("?", 1)[0]
        mode = s["mode"]
        if path.endswith("speedtest-config.php"):
            if mode in ("forbidden", "rate_limited"):
                self._send(403 if mode == "forbidden" else 429, b"no")
                return
            body = CONFIG.format(down_length=s["down_length"], up_length=s["up_length"])
            self._send(200, body.encode(), "text/xml")
        elif "speedtest-servers" in path:
            if mode == "no_servers":
                self._send(200, b'<?xml version="1.0"?><settings><servers/></settings>', "text/xml")
                return
            body = SERVERS.format(scheme="https", host=s["host"], port=s["port"])
            self._send(200, body.encode(), "text/xml")
        elif path.endswith("/latency.txt"):
            self._send(200, b"test=test\n")
        elif m := re.search(r"/random(\d+)x(\d+)\.jpg$", path):
            size = int(m.group(1)) * int(m.group(2)) // s["scale"]
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            block = b"j" * 65536
            left = size
            try:
                while left > 0:
                    n = min(left, len(block))
                    self.wfile.write(block[:n])
                    left -= n
            except OSError:
                self.close_connection = True
        else:
            self._send(404, b"not found")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        got = 0
        while got < length:
            chunk = self.rfile.read(min(65536, length - got))
            if not chunk:
                break
            got += len(chunk)
        self._send(200, f"size={got}".encode())


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    settings: dict[str, object]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--plain-listen")
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--server-host", required=True)
    ap.add_argument(
        "--mode", default="ok", choices=["ok", "forbidden", "rate_limited", "no_servers"]
    )
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("--down-length", type=int, default=20)
    ap.add_argument("--up-length", type=int, default=3)
    args = ap.parse_args()
    host, port = args.listen.rsplit(":", 1)
    settings = {
        "mode": args.mode, "host": args.server_host, "port": int(port), "scale": args.scale,
        "down_length": args.down_length, "up_length": args.up_length,
    }  # fmt: skip
    tls = Server((host, int(port)), Handler)
    tls.settings = settings
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
    servers = [tls]
    if args.plain_listen:
        phost, pport = args.plain_listen.rsplit(":", 1)
        plain = Server((phost, int(pport)), Handler)
        plain.settings = settings
        servers.append(plain)
    for srv in servers[1:]:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("ready", flush=True)
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
