#!/usr/bin/env python3
"""A tiny HTTP server for sitepack fetch's tests. Usage: test_server.py DIR
Binds 127.0.0.1 port 0 and prints the port on the first line of stdout. Serves DIR's files at /files/NAME
(200 with Content-Length), and also:
  /redirect/N/NAME   302 chains (N hops) ending at /files/NAME
  /status/CODE       that status with an HTML body
  /slow/NAME         NAME in 32 KiB pieces 5 ms apart
  /cut/NAME          the first half of NAME (with the full Content-Length), then the connection closes
  /bad/CODE/NAME     NAME's bytes with status CODE (a valid archive in an error response)
  /stall/NAME        sends the headers of NAME, then no body byte (keeps the connection open)
  /flaky/NAME        the first request for NAME is dropped without a response, later ones succeed
  /count/NAME        how many GETs /files/NAME received (for cache tests)
"""
import http.server
import os
import sys
import threading
import time

root = sys.argv[1]
counts = {}
flaky_seen = set()
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_bytes(self, code, body, content_type="application/octet-stream"):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        parts = path.strip("/").split("/")
        if parts[0] == "files":
            name = "/".join(parts[1:])
            if self.command == "GET":  # a cached fetch sizes the URI with a HEAD first; only downloads count
                with lock:
                    counts[name] = counts.get(name, 0) + 1
            full = os.path.join(root, name)
            if not os.path.isfile(full):
                return self.send_bytes(404, b"<html><h1>404 Not Found</h1></html>\n", "text/html")
            return self.send_bytes(200, open(full, "rb").read())
        if parts[0] == "redirect":
            hops = int(parts[1])
            rest = "/".join(parts[2:])
            target = "/files/" + rest if hops <= 1 else "/redirect/%d/%s" % (hops - 1, rest)
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if parts[0] in ("slow", "cut"):  # /slow/NAME: 32 KiB every 5 ms; /cut/NAME: half the body, then close
            data = open(os.path.join(root, "/".join(parts[1:])), "rb").read()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            end = len(data) if parts[0] == "slow" else len(data) // 2
            for start in range(0, end, 32768):
                self.wfile.write(data[start:min(start + 32768, end)])
                self.wfile.flush()
                time.sleep(0.005)
            if parts[0] == "cut":
                self.close_connection = True
                self.connection.shutdown(2)
            return
        if parts[0] == "bad":  # /bad/CODE/NAME: NAME's bytes with status CODE
            return self.send_bytes(int(parts[1]), open(os.path.join(root, "/".join(parts[2:])), "rb").read())
        if parts[0] == "status":
            return self.send_bytes(int(parts[1]), b"<html><h1>error page</h1></html>\n", "text/html")
        if parts[0] == "stall":
            data = open(os.path.join(root, "/".join(parts[1:])), "rb").read()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.flush()
            time.sleep(30)
            return
        if parts[0] == "flaky":
            name = "/".join(parts[1:])
            with lock:
                first = name not in flaky_seen
                flaky_seen.add(name)
            if first:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            return self.send_bytes(200, open(os.path.join(root, name), "rb").read())
        if parts[0] == "count":
            with lock:
                n = counts.get("/".join(parts[1:]), 0)
            return self.send_bytes(200, str(n).encode(), "text/plain")
        self.send_bytes(404, b"not found\n", "text/plain")


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
