"""loopback.py - what the two fake servers (fake_registry.py, fake_j1.py)
share: the threaded HTTP server they run on 127.0.0.1, the port file the
tests wait for, and the serve-until-signalled loop.

A test starts a fake with --port 0 --port-file F and waits for F to appear:
the file is written under a temporary name and renamed, so a reader never
sees a half-written port. SIGTERM or SIGINT stops the server cleanly.
"""
import os
import signal
import sys
import threading
from http.server import ThreadingHTTPServer


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024
    allow_reuse_address = True


def write_port_file(path, port):
    d = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(d, ".%s.%d.tmp" % (os.path.basename(path), os.getpid()))
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def serve(server, port_file, banner=""):
    """Serves until SIGTERM/SIGINT: announces the port (port file, then one
    line on stderr ending in `banner`), then shuts the server down."""
    port = server.server_address[1]
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    t.start()
    if port_file:
        write_port_file(port_file, port)
    print("listening on http://127.0.0.1:%d%s" % (port, banner), file=sys.stderr, flush=True)
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
