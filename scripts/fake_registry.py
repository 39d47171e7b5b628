#!/usr/bin/env python3
"""fake_registry.py - a fake npm registry for j1-npm's tests.

What it is for
    j1-npm-collect talks to registry.npmjs.org with an org's read-only token.
    Tests cannot (and must not) do that, so this server answers the same
    requests from a fixture directory, on 127.0.0.1 only, and can misbehave
    on purpose (rate limits, 5xx, resets, truncated bodies, slow answers) so
    the client's retry logic can be tested.

The fixture directory (fixtures/acme/ is the bundled one; scripts/gen_org.py
writes big synthetic ones in the same layout):
    registry.json   {"org", "token", "whoami", "users": {name: role},
                     "profiles": {name: {_id, name, email}},
                     "teams": {team: {"users": [...], "packages": {pkg: perm}}},
                     "packages": {pkg: {"access", "public", "collaborators"}}}
                    and, for the supply-chain endpoints (all optional):
                    "advisories": {pkg: [{id, url, title, severity,
                    vulnerable_versions, cwe, cvss}]}, "npm_user": the
                    token owner's profile, "tokens": [{key, token, ...}]
    packuments/     one full package document per package, file name is the
                    package name with "/" spelled "%2f", plus ".json". The
                    bytes are served verbatim.
    attestations.json  (optional) {"name@version": {"attestations": [...]}}

Endpoints (GET and HEAD, and the one POST; everything else is 405):
    /-/ping                                 {} (no auth)
    /-/whoami                               {"username": whoami}
    /-/org/:org/user                        {user: role}
    /-/org/:org/team[?format=cli]           ["org:team", ...]
    /-/org/:org/package[?format=cli]        {pkg: "read-only"|"read-write"},
                                            with format=cli "read"|"write"
    /-/team/:org/:team/user[?format=cli]    ["user", ...]
    /-/team/:org/:team/package[?format=cli] like /-/org/:org/package
    /-/user/org.couchdb.user:NAME           profile, 404 when the fixture has none
    /-/package/:pkg/visibility              {"public": bool}
    /-/package/:pkg/collaborators           {user: "read-only"|"read-write"}
    /-/npm/v1/user                          the token owner's profile (npm_user)
    /-/npm/v1/tokens[?page=N]               {"objects": [...], "total": n, "urls": {}}; with
                                            --tokens-per-page N a page of N, "urls.next"
                                            naming the next page while there is one
    /-/npm/v1/attestations/NAME@VERSION     the bundles of attestations.json, 404 when none
    POST /-/npm/v1/security/advisories/bulk body {"name": ["version", ...]} (plain, or
                                            gzip with Content-Encoding: gzip); answers
                                            {name: [advisory, ...]} for the asked names
                                            whose advisory range holds an asked version
                                            (the ranges: comparators < <= > >= = joined
                                            by spaces, alternatives by ||)
    /:pkg                                   the package document
Path segments are percent-decoded; a scoped name may come as @s%2fn, @s%2Fn
or @s/n. With "Accept: application/vnd.npm.install-v1+json" a packument is
answered in npm's abbreviated ("corgi") form, built from the full document.

Validators and conditional requests. Only package documents (GET /:pkg)
carry validators: a strong, quoted ETag (the MD5 of the document bytes as
served, so the corgi form has its own) and Last-Modified (the document's
time.modified, else the file's mtime). A request with If-None-Match that
lists the current etag (or *) is answered 304 with no body, with the etag
and last-modified; without If-None-Match, an If-Modified-Since not older
than Last-Modified is answered 304 too. The /-/ endpoints send no
validators and are always answered in full. That follows the npm registry
as documented and as npm's own cache uses it (npm revalidates packuments
with If-None-Match); from the machine where this was written the public
registry could not be checked (the network path there returned package
documents without etag or last-modified, and ignored If-None-Match), and
the org, team and collaborator endpoints need a token we do not have.
--bump PKG (or --bump-every N) serves a document with a new version
published, so a second run sees it changed; --spurious-304 PKG answers the
first request for PKG's document 304 whatever it asked.

Auth, as the real registry behaves as far as we know:
    - every /-/ endpoint (except ping) needs "Authorization: Bearer <token>";
      no header -> 401, a token we do not know -> 401, both with a JSON
      {"error": ...} body that says what to do;
    - a packument of a public package needs no token; of a private package
      without a token -> 404 {"error":"Not found"} (npm hides existence);
    - a wrong token is 401 everywhere, public packuments included (that is
      what a stale token in .npmrc gets from the real registry);
    - --forbid-org: the token is fine but its user is not in the org -> 403
      on every /-/org/ and /-/team/ endpoint.
    - --forbid-whoami: the token is known but may not do this -> 403 on
      /-/whoami (a granular token without read access, or one limited to
      other IP ranges, as the real registry answers them).

Faults. Each request gets a sequence number (in arrival order); the fault
decision for request n is drawn from one RNG seeded with --seed, two draws per
request, so it is a pure function of (seed, n). With concurrent clients the
arrival order, and so which request gets which n, is up to the scheduler.
Precedence: --max-requests cap, then --fail-path, then the random faults.
--not-found-path PATH answers 404 (an answer, not a fault: it is logged with
fault null); --fail-advisory NAME answers 500 to every bulk advisory request
whose body asks for NAME (so one batch fails and the others do not).
    429       status 429, Cloudflare-like HTML page, retry-after, connection: close
    500       status 500, JSON body
    503       status 503, HTML body (Varnish style)
    reset     socket closed with SO_LINGER 0 (RST), no response at all
    truncate  the real answer's headers with the full Content-Length, then half
              the body, then close
    slow      sleep --slow-ms, then the real answer

Serving. ThreadingHTTPServer, a daemon thread per connection, HTTP/1.1 with
keep-alive. Headers and body go out in one write for small answers and Nagle
is off, so a keep-alive client never waits on delayed ACKs. Response bodies
(plain and gzip) are built once and cached; packuments are read from disk on
first use (or all at start with --preload) and cached up to --cache-mb
(beyond that they are re-read each time).

--log FILE gets one JSON line per request: method, path, status (null when the
connection was reset), fault, auth ("ok"|"missing"|"bad"), bytes (body bytes
sent, after compression), t (arrival, epoch seconds), ms (time to answer), seq;
a POST also logs req_gzip (its body came gzip-encoded), req_bytes (body bytes
as sent) and req (the decoded JSON body, null when it was not JSON).
The Authorization value is never logged.
"""

import argparse
import calendar
import concurrent.futures
import email.utils
import gzip
import hashlib
import json
import os
import random
import re
import socket
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

from loopback import Server, serve

ERR_NO_AUTH = ("This request requires auth credentials. "
               "Run `npm login` and repeat the request.")
ERR_BAD_TOKEN = ("Unable to authenticate, your authentication token seems "
                 "to be invalid.")
CORGI = "application/vnd.npm.install-v1+json"

HTML_429 = """<!DOCTYPE html>
<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->
<!--[if gt IE 8]><!--> <html class="no-js" lang="en-US"> <!--<![endif]-->
<head>
<title>Access denied | registry.npmjs.org used Cloudflare to restrict access</title>
<meta charset="UTF-8" />
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<meta name="robots" content="noindex, nofollow" />
<meta name="viewport" content="width=device-width,initial-scale=1" />
</head>
<body>
  <div id="cf-wrapper">
    <div id="cf-error-details" class="cf-error-details-wrapper">
      <div class="cf-wrapper cf-header cf-error-overview">
        <h1>
          <span class="cf-error-type" data-translate="error">Error</span>
          <span class="cf-error-code">1015</span>
          <small class="heading-ray-id">Ray ID: 0000000000000000 &bull; (fake registry)</small>
        </h1>
        <h2 class="cf-subheadline" data-translate="error_desc">You are being rate limited</h2>
      </div>
      <section></section>
      <div class="cf-section cf-wrapper">
        <div class="cf-columns two">
          <div class="cf-column">
            <h2 data-translate="what_happened">What happened?</h2>
            <p>The owner of this website (registry.npmjs.org) has banned you
            temporarily from accessing this website.</p>
          </div>
        </div>
      </div>
    </div>
  </div>
</body>
</html>
"""

HTML_503 = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN"
 "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html>
  <head>
    <title>503 Service Unavailable</title>
  </head>
  <body>
    <h1>Error 503 Service Unavailable</h1>
    <p>Service Unavailable</p>
    <h3>Guru Meditation:</h3>
    <p>XID: 0000000 (fake registry)</p>
    <hr>
    <p>Varnish cache server</p>
  </body>
</html>
"""


def http_date(t=None):
    return email.utils.formatdate(t, usegmt=True)


def wants_gzip(accept_encoding):
    """True when Accept-Encoding lists gzip (or *) with a non-zero q."""
    for part in (accept_encoding or "").split(","):
        bits = [b.strip() for b in part.split(";")]
        if bits[0].lower() not in ("gzip", "x-gzip", "*"):
            continue
        q = 1.0
        for b in bits[1:]:
            if b.lower().startswith("q="):
                try:
                    q = float(b[2:])
                except ValueError:
                    q = 0.0
        if q > 0:
            return True
    return False


class Body:
    """One response body: raw bytes, content type, cached gzip form."""

    def __init__(self, raw, ctype="application/json", etag=None, last_modified=None,
                 compressible=True):
        self.raw = raw
        self.compressible = compressible
        self.ctype = ctype
        self.etag = etag
        self.last_modified = last_modified
        self._gz = None
        self._lock = threading.Lock()

    def gzipped(self):
        if self._gz is None:
            with self._lock:
                if self._gz is None:
                    level = 6 if len(self.raw) < (4 << 20) else 4
                    self._gz = gzip.compress(self.raw, compresslevel=level, mtime=0)
        return self._gz


def json_body(obj):
    return Body(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


class Fixture:
    """The org as loaded from a fixture directory, plus response caches."""

    MODIFIED_RE = re.compile(rb'"time"\s*:\s*\{[^{}]*?"modified"\s*:\s*"([^"]+)"')

    def __init__(self, root, cache_bytes, bump=()):
        self.bump = set(bump)
        with open(os.path.join(root, "registry.json"), encoding="utf-8") as f:
            reg = json.load(f)
        self.org = reg["org"]
        self.token = reg.get("token")
        self.whoami = reg.get("whoami", "")
        self.users = reg.get("users", {})
        self.profiles = reg.get("profiles", {})
        self.teams = reg.get("teams", {})
        self.packages = reg.get("packages", {})
        self.advisories = reg.get("advisories", {})
        self.npm_user = reg.get("npm_user")
        self.tokens = reg.get("tokens", [])
        self.attestations = {}
        apath = os.path.join(root, "attestations.json")
        if os.path.exists(apath):
            with open(apath, encoding="utf-8") as f:
                self.attestations = json.load(f)
        self.files = {}
        pdir = os.path.join(root, "packuments")
        if os.path.isdir(pdir):
            for fn in os.listdir(pdir):
                if fn.endswith(".json"):
                    name = urllib.parse.unquote(fn[:-5])
                    self.files[name] = os.path.join(pdir, fn)
        self.cache_bytes = cache_bytes
        self.cached_bytes = 0
        self.small = {}      # key -> Body for /-/ answers (tiny, always cached)
        self.docs = {}       # (name, corgi) -> Body
        self.doc_lock = threading.Lock()

    def is_public(self, name):
        p = self.packages.get(name)
        if p is None:
            return True
        return bool(p.get("public", False))

    def cached(self, key, make):
        b = self.small.get(key)
        if b is None:
            b = make()
            self.small[key] = b
        return b

    def packument(self, name, corgi):
        """Body of a package document, or None when there is none."""
        key = (name, corgi)
        b = self.docs.get(key)
        if b is not None:
            return b
        path = self.files.get(name)
        if path is None:
            return None
        with open(path, "rb") as f:
            raw = f.read()
        if name in self.bump:
            raw = bumped(raw)
        lm = None
        m = self.MODIFIED_RE.search(raw)
        if m:
            try:
                ts = time.strptime(m.group(1).decode()[:19], "%Y-%m-%dT%H:%M:%S")
                lm = http_date(calendar.timegm(ts))
            except (ValueError, UnicodeDecodeError):
                lm = None
        if lm is None:
            lm = http_date(os.path.getmtime(path))
        ctype = "application/json"
        if corgi:
            raw = abbreviate(json.loads(raw))
            ctype = CORGI
        etag = '"%s"' % hashlib.md5(raw).hexdigest()
        b = Body(raw, ctype, etag, lm)
        with self.doc_lock:
            # Count raw size twice: the gzip form will sit next to it.
            if self.cached_bytes + 2 * len(raw) <= self.cache_bytes:
                self.cached_bytes += 2 * len(raw)
                self.docs[key] = b
        return b


    def preload(self):
        """Read and gzip every package document now (in parallel: zlib
        releases the GIL), so a benchmark measures the client, not us."""
        def one(name):
            b = self.packument(name, False)
            if b is not None:
                b.gzipped()
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
            list(ex.map(one, sorted(self.files)))


def bumped(raw):
    """The package document with a new version published (--bump): version
    999.0.0, a copy of the latest one, and the time map moved on."""
    doc = json.loads(raw)
    versions = doc.get("versions") or {}
    latest = (doc.get("dist-tags") or {}).get("latest")
    base = versions.get(latest) if isinstance(versions.get(latest), dict) else {}
    new = dict(base, version="999.0.0")
    versions["999.0.0"] = new
    doc["versions"] = versions
    doc.setdefault("dist-tags", {})["latest"] = "999.0.0"
    t = doc.get("time") if isinstance(doc.get("time"), dict) else {}
    t["999.0.0"] = t["modified"] = "2030-01-01T00:00:00.000Z"
    doc["time"] = t
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def not_modified(headers, body):
    """True when a request's validators match body, as the npm registry
    judges them: If-None-Match (a list of etags, or *) wins; otherwise
    If-Modified-Since not older than Last-Modified."""
    inm = headers.get("If-None-Match")
    if inm is not None:
        tags = [t.strip() for t in inm.split(",")]
        return bool(body.etag) and ("*" in tags or body.etag in tags
                                    or ("W/" + body.etag) in tags)
    ims = headers.get("If-Modified-Since")
    if ims and body.last_modified:
        try:
            since = email.utils.parsedate_to_datetime(ims)
            lm = email.utils.parsedate_to_datetime(body.last_modified)
        except (TypeError, ValueError):
            return False
        return since >= lm
    return False


def abbreviate(doc):
    """npm's abbreviated metadata (application/vnd.npm.install-v1+json)."""
    keep = ("name", "version", "deprecated", "dependencies", "optionalDependencies",
            "devDependencies", "bundleDependencies", "peerDependencies",
            "peerDependenciesMeta", "bin", "directories", "dist", "engines",
            "_hasShrinkwrap", "hasInstallScript", "os", "cpu")
    out = {"name": doc.get("name"), "dist-tags": doc.get("dist-tags", {}),
           "versions": {}, "modified": (doc.get("time") or {}).get("modified")}
    for v, o in (doc.get("versions") or {}).items():
        if isinstance(o, dict):
            out["versions"][v] = {k: o[k] for k in keep if k in o}
    return json.dumps(out, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def parse_version(v):
    """(major, minor, patch, prerelease parts) of a semver string, or None."""
    m = re.match(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$", v.strip())
    if not m:
        return None
    pre = m.group(4)
    # A release sorts after its prereleases: compare (0,) < (1,).
    key = () if pre is None else tuple((0, int(x)) if x.isdigit() else (1, x) for x in pre.split("."))
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)), (1,) if pre is None else (0,) + key)


def in_range(version, rng):
    """True when version satisfies rng: alternatives joined by ||, each a
    space-separated list of comparators (<, <=, >, >=, =, or a bare
    version). Enough for the fixture's advisories, not all of semver."""
    v = parse_version(version)
    if v is None:
        return False
    for alt in rng.split("||"):
        ok = True
        parts = alt.split()
        if not parts:
            continue
        for c in parts:
            m = re.match(r"^(<=|>=|<|>|=)?\s*(.+)$", c)
            op, w = m.group(1) or "=", parse_version(m.group(2))
            if w is None:
                ok = False
                break
            ok = {"<": v < w, "<=": v <= w, ">": v > w, ">=": v >= w, "=": v == w}[op]
            if not ok:
                break
        if ok:
            return True
    return False


class Config:
    """Parsed command line plus the shared, mutable request counter."""

    def __init__(self, args, fixture):
        self.args = args
        self.fixture = fixture
        self.tokens = set(args.token) if args.token else {fixture.token}
        self.faults = [f.strip() for f in args.faults.split(",") if f.strip()]
        self.rng = random.Random(args.seed)
        self.seq = 0
        self.lock = threading.Lock()
        self.log = open(args.log, "a", encoding="utf-8") if args.log else None
        self.log_lock = threading.Lock()
        self.fail_paths = set(args.fail_path or [])
        self.not_found_paths = set(args.not_found_path or [])
        self.slow_paths = set(args.slow_path or [])
        self.fail_advisory = set(args.fail_advisory or [])
        self.spurious = set(args.spurious_304 or [])

    def next_request(self):
        """Sequence number and the two fault draws for the next request."""
        with self.lock:
            self.seq += 1
            return self.seq, self.rng.random(), self.rng.random()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-npm-registry"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 120
    cfg = None  # set by main()

    # -- plumbing ---------------------------------------------------------

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.handle_request(head=False)

    def do_HEAD(self):
        self.handle_request(head=True)

    BULK = "/-/npm/v1/security/advisories/bulk"

    def do_POST(self):
        if self.path.partition("?")[0] != self.BULK:
            self.not_allowed()
            return
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n > 0 else b""
        self.req_bytes = len(raw)
        self.req_gzip = (self.headers.get("Content-Encoding") or "").strip().lower() == "gzip"
        self.req_json = None
        try:
            data = gzip.decompress(raw) if self.req_gzip else raw
            self.req_json = json.loads(data)
        except (OSError, EOFError, ValueError):
            self.req_json = None
        self.handle_request(head=False)

    def do_PUT(self):
        self.not_allowed()

    do_DELETE = do_PATCH = do_PUT

    def not_allowed(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > 0:
            self.rfile.read(n)
        self.req_bytes, self.req_gzip, self.req_json = n, False, None
        self.handle_request(head=False, method_ok=False)

    def auth_state(self):
        h = self.headers.get("Authorization")
        if h is None:
            return "missing"
        scheme, _, tok = h.strip().partition(" ")
        if scheme.lower() == "bearer" and tok.strip() in self.cfg.tokens:
            return "ok"
        return "bad"

    def write_log(self, seq, t0, status, fault, auth, nbytes):
        cfg = self.cfg
        if cfg.log is None:
            return
        rec = {"method": self.command, "path": self.path, "status": status,
               "fault": fault, "auth": auth, "bytes": nbytes, "t": round(t0, 6),
               "ms": round((time.time() - t0) * 1000, 3), "seq": seq}
        if self.command == "POST" and hasattr(self, "req_bytes"):
            rec.update(req_gzip=self.req_gzip, req_bytes=self.req_bytes, req=self.req_json)
        line = json.dumps(rec, ensure_ascii=False) + "\n"
        with cfg.log_lock:
            cfg.log.write(line)
            cfg.log.flush()

    def echoed(self, body):
        """--echo-auth: the body (and etag) as a careless proxy would send
        them back, holding the request's Authorization header: a JSON
        object gets a member, any other text a line; an etag the token."""
        h = self.headers.get("Authorization") or ""
        if not h:
            return body
        raw = body.raw
        if raw[:1] == b"{":
            try:
                doc = json.loads(raw)
                doc["echo"] = "Authorization: %s _authToken=%s" % (h, h.split(" ")[-1])
                raw = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            except ValueError:
                pass
        elif not raw.startswith(b"["):
            raw = raw + b"\nAuthorization: " + h.encode("latin-1", "replace") + b"\n"
        etag = body.etag
        if etag:
            etag = '"%s-%s"' % (etag.strip('"'), h.split(" ")[-1])
        return Body(raw, body.ctype, etag, body.last_modified, body.compressible)

    def send(self, status, body, head=False, extra=None, close=False, truncate=False):
        """Write one response; returns the number of body bytes written."""
        if self.cfg.args.echo_auth:
            body = self.echoed(body)
        use_gz = body.compressible and wants_gzip(self.headers.get("Accept-Encoding"))
        payload = body.gzipped() if use_gz else body.raw
        hdrs = [("date", http_date()), ("content-type", body.ctype),
                ("content-length", str(len(payload))), ("vary", "Accept-Encoding")]
        if use_gz:
            hdrs.append(("content-encoding", "gzip"))
        if body.etag:
            hdrs.append(("etag", body.etag))
        if body.last_modified:
            hdrs.append(("last-modified", body.last_modified))
            hdrs.append(("cache-control", "max-age=300"))
            hdrs.append(("accept-ranges", "bytes"))
        if extra:
            hdrs.extend(extra)
        if close or truncate:
            self.close_connection = True
        hdrs.append(("connection", "close" if self.close_connection else "keep-alive"))
        reason = self.responses.get(status, ("",))[0]
        head_bytes = ("HTTP/1.1 %d %s\r\n" % (status, reason)
                      + "".join("%s: %s\r\n" % kv for kv in hdrs) + "\r\n").encode("latin-1")
        if head:
            self.wfile.write(head_bytes)
            return 0
        if truncate:
            payload = payload[: len(payload) // 2]
        if len(payload) <= 65536:
            self.wfile.write(head_bytes + payload)
        else:
            self.wfile.write(head_bytes)
            self.wfile.write(payload)
        return len(payload)

    def reset(self):
        """Drop the connection with an RST and no response."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            self.connection.close()
        except OSError:
            pass

    # -- one request --------------------------------------------------------

    def handle_request(self, head, method_ok=True):
        cfg = self.cfg
        a = cfg.args
        t0 = time.time()
        seq, r1, r2 = cfg.next_request()
        if a.latency_ms > 0:
            time.sleep(a.latency_ms / 1000.0)
        auth = self.auth_state()

        fault = None
        if a.max_requests and seq > a.max_requests:
            fault = "cap"
        elif cfg.fail_paths and self.matches_fail_path():
            fault = "fail-path"
        elif cfg.fail_advisory and self.command == "POST" and isinstance(
                getattr(self, "req_json", None), dict) and cfg.fail_advisory & set(self.req_json):
            fault = "fail-path"
        elif cfg.faults and a.fault_rate > 0 and r1 < a.fault_rate:
            fault = cfg.faults[min(int(r2 * len(cfg.faults)), len(cfg.faults) - 1)]

        status, nbytes = None, 0
        try:
            if fault == "reset":
                self.reset()
            elif fault in ("cap", "fail-path", "429", "500", "503"):
                status, body, extra = self.fault_response(fault)
                nbytes = self.send(status, body, head, extra, close=(fault == "429"))
            else:
                if fault == "slow" or (cfg.slow_paths and
                                       self.matches_fail_path(cfg.slow_paths)):
                    time.sleep(a.slow_ms / 1000.0)
                if method_ok:
                    status, body, extra = self.route(auth)
                else:
                    status, body, extra = 405, json_body({"error": "Method not allowed"}), [("allow", "GET, HEAD")]
                spurious = status == 200 and self.spurious_304()
                if status == 200 and (spurious or not_modified(self.headers, body)):
                    status, body = 304, Body(b"", body.ctype, body.etag, body.last_modified)
                nbytes = self.send(status, body, head, extra, truncate=(fault == "truncate"))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        self.write_log(seq, t0, status, fault, auth, nbytes)

    def spurious_304(self):
        """--spurious-304 PKG: the first request for PKG's document is
        answered 304 whatever it asked, as a confused cache would."""
        name = urllib.parse.unquote(self.path.partition("?")[0].lstrip("/"))
        with self.cfg.lock:
            if name in self.cfg.spurious:
                self.cfg.spurious.discard(name)
                return True
        return False

    def matches_fail_path(self, paths=None):
        raw = self.path
        cands = {raw, urllib.parse.unquote(raw)}
        noq = raw.partition("?")[0]
        for p in (self.cfg.fail_paths if paths is None else paths):
            if p in cands:
                return True
            if "?" not in p and p in (noq, urllib.parse.unquote(noq)):
                return True
        return False

    def fault_response(self, fault):
        a = self.cfg.args
        if fault == "429":
            if a.retry_after_date:
                ra = http_date(time.time() + a.retry_after)
            else:
                ra = str(a.retry_after)
            extra = [("retry-after", ra),
                     ("cache-control", "private, max-age=0, no-store, no-cache, "
                      "must-revalidate, post-check=0, pre-check=0")]
            return 429, Body(HTML_429.encode(), "text/html; charset=UTF-8",
                                   compressible=False), extra
        if fault == "503":
            return 503, Body(HTML_503.encode(), "text/html; charset=UTF-8",
                                   compressible=False), None
        if fault == "cap":
            return 503, json_body({"error": "fake registry: --max-requests cap reached"}), None
        return 500, json_body({"error": "Internal Server Error"}), None

    # -- routing ----------------------------------------------------------

    def route(self, auth):
        """(status, Body, extra headers) for a request without an injected fault."""
        fx = self.cfg.fixture
        raw_path, _, query = self.path.partition("?")
        q = urllib.parse.parse_qs(query)
        cli = q.get("format") == ["cli"]
        segs = [urllib.parse.unquote(s) for s in raw_path.split("/")[1:]]
        if segs and segs[-1] == "" and len(segs) > 1:
            segs.pop()

        if self.cfg.not_found_paths and self.matches_fail_path(self.cfg.not_found_paths):
            return 404, json_body({"error": "Not found"}), None
        if segs and segs[0] == "-":
            if segs[1:] == ["ping"]:
                return 200, fx.cached("ping", lambda: json_body({})), None
            if auth == "missing":
                return 401, json_body({"error": ERR_NO_AUTH}), None
            if auth == "bad":
                return 401, json_body({"error": ERR_BAD_TOKEN}), None
            if self.command == "POST":
                return self.bulk_advisories()
            return self.route_api(segs[1:], cli, q)

        if auth == "bad":
            return 401, json_body({"error": ERR_BAD_TOKEN}), None
        name = "/".join(segs)
        if not name or (name.count("/") > 0 and not (name.startswith("@") and name.count("/") == 1)):
            return 404, json_body({"error": "Not found"}), None
        if not fx.is_public(name) and auth != "ok":
            return 404, json_body({"error": "Not found"}), None
        corgi = CORGI in (self.headers.get("Accept") or "")
        body = fx.packument(name, corgi)
        if body is None:
            return 404, json_body({"error": "Not found"}), None
        return 200, body, None

    def bulk_advisories(self):
        """The bulk advisory answer for the request's body."""
        asked = self.req_json
        if not isinstance(asked, dict):
            return 400, json_body({"error": "Invalid request body"}), None
        out = {}
        for name, versions in asked.items():
            if not isinstance(versions, list):
                return 400, json_body({"error": "Invalid request body"}), None
            hits = [a for a in self.cfg.fixture.advisories.get(name, [])
                    if any(isinstance(v, str) and in_range(v, a.get("vulnerable_versions", ""))
                           for v in versions)]
            if hits:
                out[name] = hits
        return 200, json_body(out), None

    def npm_v1(self, s, q):
        """/-/npm/v1/{user,tokens,attestations/NAME@VERSION}."""
        fx = self.cfg.fixture
        nf = (404, json_body({"error": "Not found"}), None)
        if s == ["user"]:
            if fx.npm_user is None:
                return nf
            return 200, fx.cached("npm-user", lambda: json_body(fx.npm_user)), None
        if s == ["tokens"]:
            per = self.cfg.args.tokens_per_page
            toks = fx.tokens
            try:
                page = int((q.get("page") or ["0"])[0])
            except ValueError:
                page = 0
            if per > 0:
                chunk = toks[page * per:(page + 1) * per]
                urls = {}
                if (page + 1) * per < len(toks):
                    urls["next"] = "/-/npm/v1/tokens?page=%d&perPage=%d" % (page + 1, per)
            else:
                chunk, urls = toks, {}
            return 200, json_body({"objects": chunk, "total": len(toks), "urls": urls}), None
        if len(s) >= 2 and s[0] == "attestations":
            spec = "/".join(s[1:])
            at = spec.rfind("@")
            if at <= 0:
                return nf
            b = fx.attestations.get(spec)
            if b is None:
                return nf
            return 200, fx.cached(("att", spec), lambda: json_body(b)), None
        return nf

    def route_api(self, s, cli, q=None):
        fx = self.cfg.fixture
        nf = lambda msg="Not found": (404, json_body({"error": msg}), None)
        ok = lambda key, make: (200, fx.cached(key, make), None)

        def perms(d):
            if cli:
                return {k: ("write" if v == "read-write" else "read") for k, v in d.items()}
            return d

        if len(s) >= 3 and s[0] == "npm" and s[1] == "v1":
            return self.npm_v1(s[2:], q or {})

        if s == ["whoami"]:
            if self.cfg.args.forbid_whoami:
                return 403, json_body({"error": "Forbidden"}), None
            return ok("whoami", lambda: json_body({"username": fx.whoami}))

        if len(s) >= 3 and s[0] in ("org", "team"):
            if s[1] != fx.org:
                return nf("Scope not found")
            if self.cfg.args.forbid_org:
                return 403, json_body({"error": "Forbidden: user %s is not a member of org %s"
                                       % (fx.whoami, s[1])}), None
            if s[0] == "org" and len(s) == 3:
                if s[2] == "user":
                    return ok("org-user", lambda: json_body(fx.users))
                if s[2] == "team":
                    return ok("org-team", lambda: json_body(["%s:%s" % (fx.org, t) for t in fx.teams]))
                if s[2] == "package":
                    return ok(("org-package", cli), lambda: json_body(
                        perms({k: v.get("access", "read-write") for k, v in fx.packages.items()})))
                return nf()
            if s[0] == "team" and len(s) == 4:
                team = fx.teams.get(s[2])
                if team is None:
                    return nf("Team not found")
                if s[3] == "user":
                    return ok(("team-user", s[2]), lambda: json_body(team.get("users", [])))
                if s[3] == "package":
                    return ok(("team-package", s[2], cli), lambda: json_body(perms(team.get("packages", {}))))
            return nf()

        if len(s) == 2 and s[0] == "user":
            prefix = "org.couchdb.user:"
            if not s[1].startswith(prefix):
                return nf()
            prof = fx.profiles.get(s[1][len(prefix):])
            if prof is None:
                return nf()
            return ok(("user", s[1]), lambda: json_body(prof))

        if len(s) in (3, 4) and s[0] == "package":
            name = "/".join(s[1:-1])
            if len(s) == 4 and not name.startswith("@"):
                return nf()
            pkg = fx.packages.get(name)
            if pkg is None:
                return nf()
            if s[-1] == "visibility":
                return ok(("vis", name), lambda: json_body({"public": bool(pkg.get("public"))}))
            if s[-1] == "collaborators":
                return ok(("collab", name), lambda: json_body(pkg.get("collaborators", {})))
            return nf()

        return nf()


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Fake npm registry serving an org from a fixture directory "
                    "(127.0.0.1 only). See the comment at the top of this file.")
    p.add_argument("--fixture", required=True, metavar="DIR",
                   help="fixture directory holding registry.json and packuments/")
    p.add_argument("--port", type=int, default=0, help="TCP port (default 0: a free one)")
    p.add_argument("--port-file", metavar="FILE",
                   help="once listening, write the port + newline here (atomically)")
    p.add_argument("--token", action="append", metavar="T",
                   help="accepted token (repeatable); when given, replaces the fixture's token")
    p.add_argument("--forbid-whoami", action="store_true",
                   help="answer 403 on /-/whoami (a token that may not identify its user)")
    p.add_argument("--forbid-org", action="store_true",
                   help="authenticated user is not an org member: 403 on /-/org and /-/team")
    p.add_argument("--latency-ms", type=float, default=0, help="sleep this long in every request")
    p.add_argument("--seed", type=int, default=1, help="seed of the fault RNG (default 1)")
    p.add_argument("--fault-rate", type=float, default=0.0, metavar="P",
                   help="probability 0..1 that a request gets a fault from --faults")
    p.add_argument("--faults", default="", metavar="LIST",
                   help="comma list of: 429,500,503,reset,truncate,slow")
    p.add_argument("--retry-after", type=int, default=1, metavar="N",
                   help="Retry-After of injected 429s, in seconds (default 1)")
    p.add_argument("--retry-after-date", action="store_true",
                   help="send Retry-After as an HTTP-date (now + N s) instead of seconds")
    p.add_argument("--slow-ms", type=float, default=5000, help="delay of the 'slow' fault (default 5000)")
    p.add_argument("--fail-path", action="append", metavar="PATH",
                   help="always answer 500 for this request target (repeatable); matched "
                        "against the raw target and its percent-decoded form; a PATH "
                        "without '?' also matches that path with any query")
    p.add_argument("--not-found-path", action="append", metavar="PATH",
                   help="always answer 404 for this request target (repeatable; matched like "
                        "--fail-path): an endpoint that has nothing for us")
    p.add_argument("--slow-path", action="append", metavar="PATH",
                   help="answer this request target only after --slow-ms (repeatable; "
                        "matched like --fail-path): a stall at a chosen point of a run")
    p.add_argument("--fail-advisory", action="append", metavar="PKG",
                   help="answer 500 to every bulk advisory request whose body asks for PKG "
                        "(repeatable): fails the one batch holding PKG")
    p.add_argument("--tokens-per-page", type=int, default=0, metavar="N",
                   help="page /-/npm/v1/tokens N tokens at a time, linked by urls.next "
                        "(default 0: all on one page)")
    p.add_argument("--max-requests", type=int, default=0, metavar="N",
                   help="after N requests, answer 503 to everything")
    p.add_argument("--log", metavar="FILE", help="append one JSON line per request")
    p.add_argument("--cache-mb", type=int, default=2048,
                   help="memory for cached package documents (default 2048)")
    p.add_argument("--echo-auth", action="store_true",
                   help="echo the request's Authorization header in every body (a JSON "
                        "object gets an \"echo\" member, other text a line) and in etags, "
                        "as a careless proxy or error page does")
    p.add_argument("--bump", action="append", default=[], metavar="PKG",
                   help="serve PKG's document with a new version (999.0.0) published, so its "
                        "etag and last-modified change (a second run sees it changed)")
    p.add_argument("--bump-every", type=int, default=0, metavar="N",
                   help="--bump every Nth package of the fixture (sorted by name)")
    p.add_argument("--spurious-304", action="append", metavar="PKG",
                   help="answer the first request for PKG's document 304, whatever it asked "
                        "(a test switch: a cache that answers 304 to what it should not)")
    p.add_argument("--preload", action="store_true",
                   help="read and gzip all package documents before listening")
    args = p.parse_args(argv)

    known = {"429", "500", "503", "reset", "truncate", "slow"}
    bad = [f for f in args.faults.split(",") if f.strip() and f.strip() not in known]
    if bad:
        p.error("unknown fault(s): %s (known: %s)" % (",".join(bad), ",".join(sorted(known))))
    if not 0.0 <= args.fault_rate <= 1.0:
        p.error("--fault-rate must be within 0..1")

    try:
        fixture = Fixture(args.fixture, args.cache_mb << 20, args.bump)
        if args.bump_every > 0:
            fixture.bump.update(sorted(fixture.files)[::args.bump_every])
    except (OSError, ValueError, KeyError) as e:
        print("fake_registry: cannot load fixture %s: %s" % (args.fixture, e), file=sys.stderr)
        return 2
    Handler.cfg = Config(args, fixture)
    if args.preload:
        t0 = time.time()
        fixture.preload()
        print("preloaded %d package documents in %.1f s" % (len(fixture.files), time.time() - t0),
              file=sys.stderr, flush=True)

    serve(Server(("127.0.0.1", args.port), Handler), args.port_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
