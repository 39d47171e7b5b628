#!/usr/bin/env python3
"""fake_j1.py - a strict fake of the JupiterOne synchronization API for j1-npm's tests.

What it is for
    j1-npm-upload sends graph objects to JupiterOne's persister. Tests cannot
    (and must not) do that, so this server speaks the same protocol on
    127.0.0.1 only, checks every request as strictly as we know the real one
    does, records what it accepted so a test can prove that every object
    arrived exactly once, and misbehaves on purpose (429, 5xx, resets, lost
    answers, 413, persistent 400s) so the uploader's retry, shrink and abort
    logic can be tested. Facts behind it: the official SDK
    (@jupiterone/integration-sdk-runtime 8.41 - 17.4, integration-sdk-cli) and
    JupiterOne's API docs. Where the real behaviour is unknown, the choice made
    here is marked "(chosen)".

Endpoints (all under /persister/synchronization/jobs; answers are JSON)
    POST   /persister/synchronization/jobs            create   -> {"job": {...}}
    GET    /persister/synchronization/jobs/:id        status   -> {"job": {...}}
    POST   .../:id/entities       {"entities": [...]}          -> {"job": {...}}
    POST   .../:id/relationships  {"relationships": [...]}     -> {"job": {...}}
    POST   .../:id/upload         {"entities"?, "relationships"?} -> {"job": {...}}
    POST   .../:id/finalize       {"partialDatasets"?: {"types": [...]}} -> {"job"}
    POST   .../:id/abort          {"reason"?, "terminalStatus"?} -> {"job": {...}}
    POST   .../:id/events         {"events": [{"name", "description"}]} -> {}
    GET    /__fake/state          the record document below; no auth (test aid)

    Create body: {"source", "scope"?, "integrationInstanceId"?,
    "integrationJobId"?, "syncMode"?, "ignoreDuplicates"?}, null = absent.
    source "api" needs "scope" and no instance id; "integration-managed" and
    "integration-external" need "integrationInstanceId" and no scope. syncMode
    DIFF (default) | PATCH (no relationships) | CROSS_SCOPE (no entities) |
    OVERRIDE; CREATE_OR_UPDATE is deprecated upstream and refused here. A given
    integrationJobId becomes the job id; otherwise integration jobs get
    integrationJobId = id and "api" jobs none (so the SDK posts no events).
    Job ids are UUIDs drawn from --seed, so they repeat run to run.

    Job fields: id, source, scope | integrationInstanceId + integrationJobId,
    accountId, syncMode, status, done, startTimestamp, numEntitiesUploaded,
    numEntitiesCreated, numEntitiesUpdated, numEntitiesDeleted, and the same
    four for Relationships. Uploaded counts every accepted object (duplicates
    too); Created = distinct keys, set when the job finishes. Status:
    AWAITING_UPLOADS -> (finalize) FINALIZE_PENDING, which is what the finalize
    answer shows, -> FINISHED after --finalize-delay (default 0: at once), or
    the status --finalize-status names (ERROR_BAD_DATA, say: a job that ends
    in error, counters unset);
    abort -> ABORTED or the given terminalStatus
    (ABORTED_DUE_TO_INVALID_CONFIGURATION). Uploads, finalize and abort need
    AWAITING_UPLOADS, else 400 JOB_NOT_AWAITING_UPLOADS.

Checks, in this order, and what fails
    route        unknown path 404 NOT_FOUND, wrong method 405 METHOD_NOT_ALLOWED
    API key      "Authorization: Bearer <--api-key>"; missing or wrong -> 401
    account      "JupiterOne-Account" (SDK >= 17.1) or "LifeOmic-Account"
                 (older SDKs); missing or a different account -> 403 (chosen:
                 the key is fine, the account is not yours)
    job          unknown id -> 404 JOB_NOT_FOUND
    faults       see below
    body size    received bytes > --body-limit (default 6,000,000; gzip counted
                 compressed, as sent) -> 413. The body is read (and thrown
                 away) first, so a keep-alive client gets the 413.
    encoding     Content-Encoding absent/identity or gzip (one or more
                 members); else 415 UNSUPPORTED_CONTENT_ENCODING; broken gzip
                 400 INVALID_GZIP. The official CLI sends plain JSON; the
                 runtime gzips uploads only with compressUploads. Each
                 request's encoding is recorded.
    type         Content-Type application/json (parameters ignored) on every
                 non-empty body, else 415 UNSUPPORTED_MEDIA_TYPE
    decoded size decoded bytes > --raw-limit -> 413 (default 100,000,000, a
                 decompression-bomb guard; --raw-limit 5500000 models the SDK's
                 own assumption that a batch must stay under ~5.5 MB of JSON)
    JSON         not UTF-8 JSON, NaN/Infinity, or not an object -> 400
                 INVALID_JSON / INVALID_REQUEST_BODY; unknown members 400
    shape        "entities" not an array -> 400 ENTITY_IS_NOT_ARRAY (a real
                 code), "relationships" -> 400 RELATIONSHIP_IS_NOT_ARRAY
    objects      400 INVALID_ENTITY / INVALID_RELATIONSHIP; the message names
                 the array index and the offending _key. Entities: non-empty
                 string _key and _type, _class a non-empty string or non-empty
                 array of them. Relationships: _key, _type, string _class and
                 exactly one of _fromEntityKey+_toEntityKey,
                 _fromEntityId+_toEntityId, or _mapping {relationshipDirection
                 FORWARD|REVERSE, sourceEntityKey, targetFilterKeys (non-empty
                 list of non-empty lists of property names, a bare name is
                 taken as a list of one; each name present in targetEntity),
                 targetEntity (object of property values), skipTargetCreation?}.
                 Property values: string, number, boolean, null, or a
                 homogeneous array of strings, numbers or booleans; nothing
                 nested except _rawData = [{"name": unique non-empty string,
                 "rawData": object or string}]. Properties starting with "_"
                 other than the system ones (_key _type _class _rawData _scope
                 _id, and for relationships _fromEntityKey _toEntityKey
                 _fromEntityId _toEntityId _mapping) are refused, as the docs
                 say (--allow-underscore-props turns that off).
                 --data-model-lengths adds the data-model schema minimums
                 (_key >= 10, _type >= 5, each _class >= 2 characters), which
                 the SDK applies in tests but the API does not.
                 A duplicate JSON member name is not detected (last one wins).
    state        an upload/finalize/abort on a job that is not
                 AWAITING_UPLOADS -> 400 JOB_NOT_AWAITING_UPLOADS

Error bodies: {"error": {"code": CODE, "message": TEXT}} - the shape the SDK
parses (its own examples: ENTITY_IS_NOT_ARRAY, JOB_NOT_AWAITING_UPLOADS). The
401 and 403 bodies carry no code, {"error": {"message": ...}}: the SDK added a
fallback to the HTTP status for 401s because the real answer has none
(chosen; the exact real text is unknown). 413s carry the code
"RequestEntityTooLargeException", the name the SDK checks besides the status.
Codes not known to be real are plain descriptive names.

Duplicate delivery. Every accepted object is recorded per job under its _key
(entities and relationships counted separately). A key accepted twice - say a
batch retried after its answer was lost - is recorded as a duplicate, never
merged away. --duplicates reject instead refuses such a batch whole with 400
DUPLICATE_KEY (the real API errors on duplicate keys unless the job was created
with ignoreDuplicates; when it does so is not documented).

Faults. Each request gets a sequence number n in arrival order and two draws
from one RNG seeded with --seed, so the fault of request n is a pure function of
(seed, n); with concurrent clients the arrival order is up to the scheduler.
Only uploads (entities, relationships, upload) are eligible, all job endpoints
with --fault-all; auth failures and 404s never get a fault. --fault-script
"ok,429,reset-after,..." fixes the faults of the first eligible requests in
order; after it runs out, --fault-rate P picks one of --faults for a fraction P.
    429          status 429 with Retry-After: --retry-after (body read first)
    500, 503     (any other 3-digit status too) before processing
    reset        RST (SO_LINGER 0) before the body is read, no answer
    reset-after  the request is processed and recorded in full, then RST
                 instead of the answer: the lost-answer duplicate maker
--fail-status S [--fail-code C] [--fail-path-suffix /entities] answers S to
every request on a job path ending so (default: entities, relationships,
upload), before processing - the persistent error that should make an uploader
abort. --reject-key-substring S makes a batch answer 413 when any object's _key
contains S and that object still carries _rawData, or whether or not it does
with --reject-even-without-rawdata - so split/strip logic can be tested.

Record. --record FILE is rewritten atomically (temp + rename) after every
change, and each answer is sent only after a write that includes it, so when a
client has its answer the file already shows it. Same document at GET
/__fake/state:
    {"fake": "fake_j1", "version": 1, "options": {...no secrets...},
     "jobs": [{"id", "source", "scope", "integrationInstanceId",
               "integrationJobId", "syncMode", "ignoreDuplicates", "status",
               "accountHeader", "abortReason", "abortTerminalStatus",
               "finalizeBody", "job": <the API view>,
               "entities": [...full objects, arrival order, duplicates kept...],
               "relationships": [...],
               "entityKeys": [distinct keys, first arrival order],
               "relationshipKeys": [...],
               "duplicateEntityKeys": {key: times accepted}, only keys > 1,
               "duplicateRelationshipKeys": {...},
               "events": [...], "requests": [<log entry>, ...]}],
     "otherRequests": [<log entries not tied to a job: 401s, 404s, bad creates>]}
    log entry: {"seq", "t" (s since start), "method", "path", "status" (null
    when reset), "fault", "code" (error code), "correlationId"
    (JupiterOne-Correlation-Id), "contentEncoding" ("gzip"|"identity"|null),
    "accountHeader", "bytes" (as received), "rawBytes" (decoded), "objects"
    (in the body), "accepted", "ms"}
--record-objects none keeps only keys and counts ("entities" and
"relationships" are then absent) for benchmarks with 200,000 objects. Nothing
secret is ever recorded (not the key, not Authorization).

Serving. ThreadingHTTPServer, a daemon thread per connection, HTTP/1.1
keep-alive, Content-Length or chunked request bodies, Expect: 100-continue.
The hot path is one zlib pass, one json.loads and one validation walk per
batch (parse_upload, a pure function); the shared lock is held only to check
the job and count keys. json.loads holds the GIL, so one process tops out near
65,000 small entities/s; --workers N runs parse_upload in N spawned processes
(only keys, or objects with --record-objects all, come back) for benchmarks
that need more. SIGTERM and SIGINT stop it cleanly after a last record write.

A shaped link. --rtt-ms N and --bandwidth-mbit M put the fake behind a link
like a real one (a benchmark aid; loopback has no delay and ~10 GB/s), in
this process, so no root, tc or netem is needed:
    round trip   a new connection waits one RTT before its first request is
                 read (the TCP handshake; TLS, which would add one or two,
                 is not modelled); every request is handled RTT/2 after its
                 headers came in and answered RTT/2 later than it is ready,
                 so each request/answer costs one full RTT.
    bandwidth    every byte read from a client (request lines, headers,
                 bodies) is paid for in one token bucket shared by all
                 connections: that bucket is the link, upstream; answers
                 pay in a second bucket (downstream, full duplex). Bytes are
                 read as they come and paid right after, so a slow client
                 does not hold the link, and the schedule is absolute, so
                 oversleeping does not add up. Burst: 16 KiB.
    window       the listening socket's receive buffer is set to the
                 bandwidth-delay product (at least 64 KiB), which turns off
                 the kernel's autotuning (up to 32 MB on loopback): a client
                 can have about one BDP in flight, not a whole batch parked
                 in the kernel while the clock for it has not started.
TCP slow start and loss are not modelled. The link figures are in the
record's "options".
"""

import argparse
import json
import os
import random
import re
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
import zlib
from http.server import BaseHTTPRequestHandler

import loopback

JOBS = "/persister/synchronization/jobs"
ROUTE_RE = re.compile(r"^/persister/synchronization/jobs(?:/([^/]+)(?:/([a-z]+))?)?/?$")
JOB_ACTIONS = ("entities", "relationships", "upload", "finalize", "abort", "events")
UPLOAD_ACTIONS = ("entities", "relationships", "upload")

SOURCES = ("api", "integration-managed", "integration-external")
SYNC_MODES = ("DIFF", "PATCH", "CROSS_SCOPE", "OVERRIDE")
ABORT_STATUSES = ("ABORTED", "ABORTED_DUE_TO_INVALID_CONFIGURATION")
ENTITY_SYSTEM = frozenset(("_key", "_type", "_class", "_rawData", "_scope", "_id"))
REL_SYSTEM = ENTITY_SYSTEM | frozenset(("_fromEntityKey", "_toEntityKey", "_fromEntityId",
                                        "_toEntityId", "_mapping"))
MAPPING_KEYS = frozenset(("relationshipDirection", "sourceEntityKey", "targetFilterKeys",
                          "targetEntity", "skipTargetCreation"))
DRAIN_CAP = 256 << 20      # read and drop at most this much of a refused body
NUMBER = (int, float)


class ApiError(Exception):
    """An answer other than 200, raised from anywhere in request handling."""

    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or []

    def __reduce__(self):  # crosses the --workers process boundary
        return (ApiError, (self.status, self.code, self.message, self.headers))

    def body(self):
        err = {"message": self.message}
        if self.code is not None:
            err = {"code": self.code, "message": self.message}
        return {"error": err}


def bad(code, message):
    return ApiError(400, code, message)


def too_large(message):
    return ApiError(413, "RequestEntityTooLargeException", message)


# -- graph object validation ---------------------------------------------------
#
# One pass per object, no allocation on the happy path. Each check returns
# None when fine or a short reason; the caller adds index and _key.

def value_problem(name, v):
    t = type(v)
    if t is str or t is int or t is float or t is bool or v is None:
        return None
    if t is list:
        if not v:
            return None
        t0 = type(v[0])
        if t0 is str:
            ok = all(type(x) is str for x in v)
        elif t0 is bool:
            ok = all(type(x) is bool for x in v)
        elif t0 is int or t0 is float:
            ok = all(type(x) in NUMBER for x in v)
        else:
            return 'property "%s" is an array holding %s values; only strings, numbers ' \
                   "or booleans may be in an array" % (name, json_type(v[0]))
        if not ok:
            return 'property "%s" is a mixed-type array; an array must hold only ' \
                   "strings, only numbers or only booleans" % name
        return None
    return 'property "%s" is %s; allowed are string, number, boolean, null or an ' \
           "array of one of those" % (name, json_type(v))


def json_type(v):
    if v is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            int: "a number", float: "a number"}.get(type(v), type(v).__name__)


def raw_data_problem(v):
    if type(v) is not list:
        return "_rawData is %s, must be an array of {name, rawData}" % json_type(v)
    names = set()
    for i, e in enumerate(v):
        if type(e) is not dict:
            return "_rawData[%d] is %s, must be an object {name, rawData}" % (i, json_type(e))
        extra = set(e) - {"name", "rawData"}
        if extra:
            return "_rawData[%d] has unknown member(s) %s" % (i, ", ".join(sorted(extra)))
        n = e.get("name")
        if type(n) is not str or not n:
            return "_rawData[%d].name must be a non-empty string" % i
        if n in names:
            return '_rawData[%d].name "%s" repeats; names must be unique in an object' % (i, n)
        names.add(n)
        if "rawData" not in e:
            return "_rawData[%d] has no rawData" % i
        rt = type(e["rawData"])
        if rt is not dict and rt is not str:
            return "_rawData[%d].rawData is %s, must be an object or a string" % (
                i, json_type(e["rawData"]))
    return None


def class_problem(c, allow_list, min_len):
    if type(c) is str:
        if not c:
            return "_class is empty"
        if len(c) < min_len:
            return '_class "%s" is shorter than %d characters' % (c, min_len)
        return None
    if allow_list and type(c) is list:
        if not c:
            return "_class is an empty array"
        for x in c:
            if type(x) is not str or not x:
                return "_class array must hold non-empty strings"
            if len(x) < min_len:
                return '_class "%s" is shorter than %d characters' % (x, min_len)
        return None
    if allow_list:
        return "_class is %s, must be a string or an array of strings" % json_type(c)
    return "_class is %s, must be a string" % json_type(c)


def mapping_problem(m):
    if type(m) is not dict:
        return "_mapping is %s, must be an object" % json_type(m)
    extra = set(m) - MAPPING_KEYS
    if extra:
        return "_mapping has unknown member(s) %s" % ", ".join(sorted(extra))
    if m.get("relationshipDirection") not in ("FORWARD", "REVERSE"):
        return '_mapping.relationshipDirection must be "FORWARD" or "REVERSE"'
    sk = m.get("sourceEntityKey")
    if type(sk) is not str or not sk:
        return "_mapping.sourceEntityKey must be a non-empty string"
    te = m.get("targetEntity")
    if type(te) is not dict:
        return "_mapping.targetEntity must be an object"
    for k, v in te.items():
        p = value_problem(k, v)
        if p:
            return "_mapping.targetEntity " + p
    tfk = m.get("targetFilterKeys")
    if type(tfk) is not list or not tfk:
        return "_mapping.targetFilterKeys must be a non-empty array of arrays of property names"
    for i, f in enumerate(tfk):
        names = [f] if type(f) is str else f
        if type(names) is not list or not names:
            return "_mapping.targetFilterKeys[%d] must be a non-empty array of property names" % i
        for n in names:
            if type(n) is not str or not n:
                return "_mapping.targetFilterKeys[%d] must hold non-empty strings" % i
            if n not in te:
                return '_mapping.targetFilterKeys[%d] names "%s", which targetEntity lacks' % (i, n)
    stc = m.get("skipTargetCreation")
    if stc is not None and type(stc) is not bool:
        return "_mapping.skipTargetCreation must be a boolean"
    return None


class Validator:
    def __init__(self, allow_underscore, data_model_lengths):
        self.allow_underscore = allow_underscore
        if data_model_lengths:
            self.min_key, self.min_type, self.min_class = 10, 5, 2
        else:
            self.min_key, self.min_type, self.min_class = 1, 1, 1

    def problem(self, o, relationship):
        """None when o is a valid graph object of its kind, else the reason."""
        if type(o) is not dict:
            return "is %s, not an object" % json_type(o)
        k = o.get("_key")
        if type(k) is not str or not k:
            return "_key must be a non-empty string"
        if len(k) < self.min_key:
            return "_key is shorter than %d characters" % self.min_key
        t = o.get("_type")
        if type(t) is not str or not t:
            return "_type must be a non-empty string"
        if len(t) < self.min_type:
            return '_type "%s" is shorter than %d characters' % (t, self.min_type)
        if "_class" not in o:
            return "_class is missing"
        p = class_problem(o["_class"], not relationship, self.min_class)
        if p:
            return p
        system = REL_SYSTEM if relationship else ENTITY_SYSTEM
        for name, v in o.items():
            if name[:1] == "_":
                if name not in system:
                    if not self.allow_underscore:
                        return 'property "%s" starts with "_", which is reserved for ' \
                               "system properties" % name
                elif name == "_rawData":
                    p = raw_data_problem(v)
                    if p:
                        return p
                    continue
                elif name == "_mapping" or name == "_class":
                    continue
            p = value_problem(name, v)
            if p:
                return p
        if relationship:
            return self.endpoints_problem(o)
        return None

    @staticmethod
    def endpoints_problem(o):
        forms = []
        for a, b in (("_fromEntityKey", "_toEntityKey"), ("_fromEntityId", "_toEntityId")):
            has_a, has_b = a in o, b in o
            if has_a or has_b:
                if not (has_a and has_b):
                    return "%s needs %s too" % (a if has_a else b, b if has_a else a)
                for n in (a, b):
                    if type(o[n]) is not str or not o[n]:
                        return "%s must be a non-empty string" % n
                forms.append(a + "+" + b)
        if "_mapping" in o:
            p = mapping_problem(o["_mapping"])
            if p:
                return p
            forms.append("_mapping")
        if not forms:
            return "needs _fromEntityKey and _toEntityKey, or a _mapping"
        if len(forms) > 1:
            return "has both %s; use exactly one" % " and ".join(forms)
        return None


# -- body decoding: pure functions, run inline or in a --workers process -----------

def decode_json(data, enc, raw_limit):
    """(object, decoded length) of a request body; ApiError when it is not one."""
    if enc == "gzip":
        raw = gunzip(data, raw_limit)
    else:
        raw = data
        if len(raw) > raw_limit:
            raise too_large("Request Entity Too Large: %d bytes of JSON is over the %d byte "
                            "limit" % (len(raw), raw_limit))
    try:
        obj = json.loads(raw, parse_constant=reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise bad("INVALID_JSON", "request body is not valid JSON: %s" % e)
    if type(obj) is not dict:
        raise bad("INVALID_REQUEST_BODY", "request body must be a JSON object, got %s"
                  % json_type(obj))
    return obj, len(raw)


_validators = {}

# --bench-accept: one "_key" member an object (true of generated benchmark data).
_KEY_RE = re.compile(rb'"_key"\s*:\s*"((?:[^"\\]|\\.)*)"')


def bench_parse(data, enc, raw_limit, action):
    """The benchmark's cheap path: headers and gzip are checked as always,
    but objects are only counted (by their "_key" members), not parsed,
    validated or remembered, so that the fake's own CPU does not decide an
    uploader benchmark run on the same machine. Returns (decoded length,
    object count)."""
    raw = gunzip(data, raw_limit) if enc == "gzip" else data
    head = raw[:40].lstrip()
    if action == "upload" or not head.startswith(b'{"%s"' % action.encode()):
        raise bad("INVALID_REQUEST_BODY", 'the body must be {"%s": [...]}' % action)
    n = raw.count(b'"_key":')  # compact JSON, as both uploaders send it
    if n == 0 and b'"_key"' in raw:
        n = len(_KEY_RE.findall(raw))
    return len(raw), n


def parse_upload(data, enc, raw_limit, action, sync_mode, settings):
    """Decode and check one upload body.

    Returns (decoded length, {"entities"|"relationships": (keys, objects or
    None)}); objects come back only when settings say to keep them. Raises
    ApiError. Pure, so --workers can run it in another process."""
    allow_underscore, dm_lengths, reject_sub, reject_even, keep = settings
    v = _validators.get((allow_underscore, dm_lengths))
    if v is None:
        v = _validators[(allow_underscore, dm_lengths)] = Validator(allow_underscore, dm_lengths)
    body, raw_len = decode_json(data, enc, raw_limit)
    if action == "upload":
        extra = set(body) - {"entities", "relationships"}
        if extra:
            raise bad("INVALID_REQUEST_BODY", "unknown member(s) %s; this fake takes "
                      "entities and relationships only" % ", ".join(sorted(extra)))
        kinds = [k for k in ("entities", "relationships") if k in body]
        if not kinds:
            raise bad("INVALID_REQUEST_BODY", "body has neither entities nor relationships")
    else:
        extra = set(body) - {action}
        if extra:
            raise bad("INVALID_REQUEST_BODY", "unknown member(s) %s; the body must be "
                      '{"%s": [...]}' % (", ".join(sorted(extra)), action))
        kinds = [action]
    out = {}
    for kind in kinds:
        arr = body.get(kind)
        if type(arr) is not list:
            code = "ENTITY_IS_NOT_ARRAY" if kind == "entities" else "RELATIONSHIP_IS_NOT_ARRAY"
            raise bad(code, '"%s" should be an array' % kind)
        if kind == "relationships" and sync_mode == "PATCH":
            raise bad("INVALID_SYNC_MODE", "PATCH sync jobs cannot take relationships")
        if kind == "entities" and sync_mode == "CROSS_SCOPE":
            raise bad("INVALID_SYNC_MODE", "CROSS_SCOPE sync jobs cannot take entities")
        rel = kind == "relationships"
        problem = v.problem
        for i, o in enumerate(arr):
            p = problem(o, rel)
            if p:
                key = o.get("_key") if type(o) is dict else None
                who = ('_key "%s"' % key) if type(key) is str and key else "no _key"
                raise bad("INVALID_RELATIONSHIP" if rel else "INVALID_ENTITY",
                          "%s[%d] (%s): %s" % (kind, i, who, p))
            if reject_sub and reject_sub in o["_key"] and ("_rawData" in o or reject_even):
                raise too_large('Request Entity Too Large (injected: _key "%s" contains %r%s)'
                                % (o["_key"], reject_sub, " and carries _rawData"
                                   if "_rawData" in o else ""))
        out[kind] = ([o["_key"] for o in arr], arr if keep else None)
    return raw_len, out


def worker_init():
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# -- state ----------------------------------------------------------------------

class Job:
    def __init__(self, jid, body, account, account_header, keep_objects):
        self.id = jid
        self.source = body["source"]
        self.scope = body.get("scope")
        self.instance_id = body.get("integrationInstanceId")
        self.integration_job_id = None
        if self.source != "api":
            self.integration_job_id = body.get("integrationJobId") or jid
        self.sync_mode = body.get("syncMode") or "DIFF"
        self.ignore_duplicates = bool(body.get("ignoreDuplicates"))
        self.account = account
        self.account_header = account_header
        self.status = "AWAITING_UPLOADS"
        self.start = int(time.time() * 1000)
        self.abort_reason = None
        self.abort_terminal = None
        self.finalize_body = None
        self.keep_objects = keep_objects
        self.objects = {"entities": [], "relationships": []}
        self.key_counts = {"entities": {}, "relationships": {}}
        self.uploaded = {"entities": 0, "relationships": 0}
        self.created = {"entities": 0, "relationships": 0}
        self.events = []
        self.requests = []

    def view(self):
        j = {"id": self.id, "source": self.source}
        if self.source == "api":
            j["scope"] = self.scope
        else:
            j["integrationInstanceId"] = self.instance_id
            j["integrationJobId"] = self.integration_job_id
        j.update({
            "accountId": self.account, "syncMode": self.sync_mode, "status": self.status,
            "done": self.status not in ("AWAITING_UPLOADS", "FINALIZE_PENDING"),
            "startTimestamp": self.start,
            "numEntitiesUploaded": self.uploaded["entities"],
            "numEntitiesCreated": self.created["entities"],
            "numEntitiesUpdated": 0, "numEntitiesDeleted": 0,
            "numRelationshipsUploaded": self.uploaded["relationships"],
            "numRelationshipsCreated": self.created["relationships"],
            "numRelationshipsUpdated": 0, "numRelationshipsDeleted": 0,
        })
        return j

    def finish(self, status="FINISHED"):
        self.status = status
        if status != "FINISHED":
            return
        for kind in ("entities", "relationships"):
            self.created[kind] = len(self.key_counts[kind])

    def record(self):
        """A snapshot for the record file; call under the state lock. Lists are
        copied; accepted objects and log entries are never changed later, so
        they are shared and the snapshot can be serialized outside the lock."""
        ek, rk = self.key_counts["entities"], self.key_counts["relationships"]
        r = {"id": self.id, "source": self.source, "scope": self.scope,
             "integrationInstanceId": self.instance_id,
             "integrationJobId": self.integration_job_id, "syncMode": self.sync_mode,
             "ignoreDuplicates": self.ignore_duplicates, "status": self.status,
             "accountHeader": self.account_header, "abortReason": self.abort_reason,
             "abortTerminalStatus": self.abort_terminal, "finalizeBody": self.finalize_body,
             "job": self.view()}
        if self.keep_objects:
            r["entities"] = list(self.objects["entities"])
            r["relationships"] = list(self.objects["relationships"])
        r["entityKeys"] = list(ek)
        r["relationshipKeys"] = list(rk)
        r["duplicateEntityKeys"] = {k: n for k, n in ek.items() if n > 1}
        r["duplicateRelationshipKeys"] = {k: n for k, n in rk.items() if n > 1}
        r["events"] = list(self.events)
        r["requests"] = list(self.requests)
        return r


class State:
    """Jobs, request log, fault draws. One lock guards all of it."""

    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.jobs = {}
        self.other_requests = []
        self.seq = 0
        self.t0 = time.time()
        self.fault_rng = random.Random(args.seed)
        self.id_rng = random.Random("job-ids:%d" % args.seed)
        self.script = list(args.fault_script)
        self.faults = list(args.faults)
        self.recorder = None
        self.pool = None

    def next_request(self):
        with self.lock:
            self.seq += 1
            return self.seq, self.fault_rng.random(), self.fault_rng.random()

    def pick_fault(self, r1, r2):
        """Fault of one eligible request: script first, then the random draw."""
        with self.lock:
            if self.script:
                f = self.script.pop(0)
                return None if f == "ok" else f
        if self.faults and self.args.fault_rate > 0 and r1 < self.args.fault_rate:
            return self.faults[min(int(r2 * len(self.faults)), len(self.faults) - 1)]
        return None

    def new_job_id(self):
        return str(uuid.UUID(int=self.id_rng.getrandbits(128), version=4))

    def document(self):
        a = self.args
        opts = {"bodyLimit": a.body_limit, "rawLimit": a.raw_limit, "seed": a.seed,
                "faultRate": a.fault_rate, "faults": a.faults,
                "faultScript": a.fault_script, "faultAll": a.fault_all,
                "retryAfter": a.retry_after, "failStatus": a.fail_status,
                "failCode": a.fail_code, "failPathSuffix": a.fail_path_suffix,
                "rejectKeySubstring": a.reject_key_substring,
                "rejectEvenWithoutRawdata": a.reject_even_without_rawdata,
                "duplicates": a.duplicates, "recordObjects": a.record_objects,
                "finalizeDelay": a.finalize_delay, "finalizeStatus": a.finalize_status, "account": a.account,
                "dataModelLengths": a.data_model_lengths,
                "allowUnderscoreProps": a.allow_underscore_props,
                "rttMs": a.rtt_ms, "bandwidthMbit": a.bandwidth_mbit,
                "receiveBuffer": a.receive_buffer}
        with self.lock:
            doc = {"fake": "fake_j1", "version": 1, "options": opts,
                   "jobs": [j.record() for j in self.jobs.values()],
                   "otherRequests": list(self.other_requests)}
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)

    def changed(self):
        if self.recorder:
            return self.recorder.changed()
        return 0

    def wait_recorded(self, gen):
        if self.recorder and gen:
            self.recorder.wait(gen)


class Recorder:
    """Rewrites the record file after changes, coalescing bursts.

    Requests bump a generation number; one writer thread snapshots the state
    and writes it; a request waits until a write at or past its generation is
    on disk before answering. Under load one write covers many requests."""

    def __init__(self, path, state):
        self.path = path
        self.state = state
        self.cv = threading.Condition()
        self.gen = 0
        self.written = 0
        self.stopping = False
        self.error = None
        self.thread = threading.Thread(target=self.run, name="recorder", daemon=True)

    def start(self):
        self.write()
        self.thread.start()

    def changed(self):
        with self.cv:
            self.gen += 1
            self.cv.notify_all()
            return self.gen

    def wait(self, gen):
        with self.cv:
            while self.written < gen and self.error is None and not self.stopping:
                self.cv.wait(1.0)

    def write(self):
        text = self.state.document()
        d = os.path.dirname(os.path.abspath(self.path))
        tmp = os.path.join(d, ".%s.%d.tmp" % (os.path.basename(self.path), os.getpid()))
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, self.path)

    def run(self):
        while True:
            with self.cv:
                while self.written >= self.gen and not self.stopping:
                    self.cv.wait()
                if self.stopping:
                    return
                target = self.gen
            try:
                self.write()
            except OSError as e:
                print("fake_j1: cannot write record %s: %s" % (self.path, e), file=sys.stderr)
                with self.cv:
                    self.error = e
                    self.cv.notify_all()
                return
            with self.cv:
                self.written = target
                self.cv.notify_all()

    def stop(self):
        with self.cv:
            self.stopping = True
            self.cv.notify_all()
        self.thread.join(5)
        if self.error is None:
            self.write()


# -- HTTP ----------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-j1"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 300
    state = None      # set by main()
    up = down = None  # the shaped link's Links, set by main()
    half_rtt = 0.0    # seconds

    def setup(self):
        super().setup()
        if self.up is not None:
            self.rfile = PacedReader(self.rfile, self.up)
        if self.half_rtt:
            time.sleep(2 * self.half_rtt)   # the TCP handshake's round trip

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.serve("GET")

    def do_POST(self):
        self.serve("POST")

    def do_PUT(self):
        self.serve("PUT")

    def do_DELETE(self):
        self.serve("DELETE")

    def do_PATCH(self):
        self.serve("PATCH")

    # -- one request ----------------------------------------------------------

    def serve(self, method):
        st = self.state
        a = st.args
        if urllib.parse.urlsplit(self.path).path == "/__fake/state":
            self.fake_state(method)
            return
        if self.half_rtt:
            time.sleep(self.half_rtt)   # the request's way in
        t0 = time.time()
        seq, r1, r2 = st.next_request()
        self.entry = {"seq": seq, "t": round(t0 - st.t0, 6), "method": method,
                      "path": self.path, "status": None, "fault": None, "code": None,
                      "correlationId": self.headers.get("JupiterOne-Correlation-Id"),
                      "contentEncoding": None, "accountHeader": None, "bytes": 0,
                      "rawBytes": 0, "objects": None, "accepted": None, "ms": None}
        self.body_read = False
        self.job = None
        status, payload, headers, reset = 200, None, [], False
        try:
            try:
                status, payload, reset = self.route(method, r1, r2)
            except ApiError as e:
                status, payload, headers = e.status, e.body(), e.headers
                self.entry["code"] = e.code
                reset = self.entry["fault"] == "reset-after"
                if not self.body_read and not self.drain():
                    self.close_connection = True
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                raise
            except Exception:  # a bug here must not look like a network fault
                traceback.print_exc()
                status, payload = 500, {"error": {"code": "FAKE_SERVER_BUG",
                                                  "message": "fake_j1 failed; see its stderr"}}
                self.entry["code"] = "FAKE_SERVER_BUG"
                self.close_connection = True
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True
            status, reset = None, True
            self.entry["fault"] = self.entry["fault"] or "client-gone"
        self.entry["status"] = None if reset else status
        self.entry["ms"] = round((time.time() - t0) * 1000, 3)
        with st.lock:
            (self.job.requests if self.job else st.other_requests).append(self.entry)
        st.wait_recorded(st.changed())
        if a.verbose:
            print("fake_j1: %d %s %s -> %s %s" % (seq, method, self.path, self.entry["status"],
                                                   self.entry["fault"] or self.entry["code"] or ""),
                  file=sys.stderr, flush=True)
        if reset:
            self.reset()
            return
        try:
            self.send_json(status, payload, headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def fake_state(self, method):
        """GET /__fake/state: the record document. Not numbered, not logged,
        no auth, no faults, so polling it changes nothing."""
        self.entry = {}
        if method != "GET":
            self.body_read = False
            if not self.drain():
                self.close_connection = True
            e = ApiError(405, "METHOD_NOT_ALLOWED", "GET only", [("Allow", "GET")])
            self.send_json(e.status, e.body(), e.headers)
            return
        self.send_json(200, RawJson(self.state.document()), [])

    def route(self, method, r1, r2):
        """(status, payload, reset) of a request; errors are raised."""
        st = self.state
        a = st.args
        path = urllib.parse.urlsplit(self.path).path
        m = ROUTE_RE.match(path)
        if not m or (m.group(2) and m.group(2) not in JOB_ACTIONS):
            raise ApiError(404, "NOT_FOUND", "no such endpoint: %s" % path)
        jid, action = m.group(1), m.group(2)
        if jid is None:
            allowed = "POST"
        elif action is None:
            allowed = "GET"
        else:
            allowed = "POST"
        if method != allowed:
            raise ApiError(405, "METHOD_NOT_ALLOWED", "%s %s is not supported; use %s"
                           % (method, path, allowed), [("Allow", allowed)])
        self.check_auth()
        job = None
        if jid is not None:
            with st.lock:
                job = st.jobs.get(jid)
            if job is None:
                raise ApiError(404, "JOB_NOT_FOUND", "synchronization job %s does not exist" % jid)
            self.job = job

        kind = action or ("create" if jid is None else "status")
        eligible = kind in UPLOAD_ACTIONS or a.fault_all
        fault = st.pick_fault(r1, r2) if eligible else None
        self.entry["fault"] = fault
        if fault == "reset":
            return None, None, True
        if fault and fault != "reset-after":
            status = int(fault)
            hdrs = [("Retry-After", str(a.retry_after))] if status == 429 else []
            code = {429: "RATE_LIMIT_EXCEEDED", 500: "INTERNAL_SERVER_ERROR",
                    502: "BAD_GATEWAY", 503: "SERVICE_UNAVAILABLE",
                    504: "GATEWAY_TIMEOUT"}.get(status, "INJECTED_FAULT")
            raise ApiError(status, code, "injected fault %d" % status, hdrs)
        if a.fail_status and jid is not None and self.fail_path_matches(path):
            self.entry["fault"] = "fail-status"
            raise ApiError(a.fail_status, a.fail_code,
                           "injected persistent failure (--fail-status %d)" % a.fail_status)

        if kind == "status":
            with st.lock:
                payload = {"job": job.view()}
        elif kind in UPLOAD_ACTIONS:
            payload = self.upload(job, kind)
        elif kind == "create":
            payload = self.create(self.read_json())
        else:
            handler = {"finalize": self.finalize, "abort": self.abort, "events": self.events}
            payload = handler[kind](job, self.read_json())
        status = 200
        return status, payload, fault == "reset-after"

    def fail_path_matches(self, path):
        suffixes = self.state.args.fail_path_suffix or ["/" + x for x in UPLOAD_ACTIONS]
        return any(path.endswith(s) for s in suffixes)

    def check_auth(self):
        a = self.state.args
        h = self.headers.get("Authorization")
        if h is None:
            raise ApiError(401, None, "Unauthorized: no Authorization header; send "
                           "\"Authorization: Bearer <API key>\"")
        scheme, _, tok = h.strip().partition(" ")
        if scheme.lower() != "bearer" or tok.strip() != a.api_key:
            raise ApiError(401, None, "Unauthorized: the API key is not valid")
        for name in ("JupiterOne-Account", "LifeOmic-Account"):
            v = self.headers.get(name)
            if v is not None:
                self.entry["accountHeader"] = name
                if v.strip() != a.account:
                    raise ApiError(403, None, "Forbidden: the API key does not give access "
                                   "to account %s" % v.strip())
                return
        raise ApiError(403, None, "Forbidden: no JupiterOne-Account header")

    # -- bodies ---------------------------------------------------------------------

    def drain(self):
        """Read and drop an unread request body; False when the connection must close."""
        self.body_read = True
        if self.command not in ("POST", "PUT", "PATCH", "DELETE"):
            return True
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        try:
            if "chunked" in te:
                self.read_chunked(DRAIN_CAP, drop=True)
                return True
            n = int(self.headers.get("Content-Length") or 0)
            if n > DRAIN_CAP:
                return False
            while n > 0:
                got = self.rfile.read(min(n, 1 << 20))
                if not got:
                    return False
                n -= len(got)
            return True
        except (ValueError, OSError, ApiError):
            return False

    def read_chunked(self, limit, drop=False):
        parts, total = [], 0
        while True:
            line = self.rfile.readline(65537)
            if not line:
                raise bad("INCOMPLETE_BODY", "chunked body ended early")
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise bad("BAD_CHUNK", "malformed chunk size line")
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                break
            total += size
            if total > DRAIN_CAP:
                raise ApiError(413, "RequestEntityTooLargeException", "body too large")
            data = self.rfile.read(size)
            if len(data) != size:
                raise bad("INCOMPLETE_BODY", "chunked body ended early")
            self.rfile.read(2)
            if not drop and total <= limit:
                parts.append(data)
        return b"".join(parts), total

    def read_body(self):
        """The request body as (bytes, "gzip"|"identity"), sizes, encoding and
        type checked; (None, None) when it is empty."""
        a = self.state.args
        self.body_read = True
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            try:
                data, n = self.read_chunked(a.body_limit)
            except ApiError:
                self.close_connection = True
                raise
        else:
            cl = self.headers.get("Content-Length")
            if cl is None:
                self.close_connection = True
                raise ApiError(411, "LENGTH_REQUIRED", "a POST needs Content-Length or chunked")
            try:
                n = int(cl)
                if n < 0:
                    raise ValueError
            except ValueError:
                self.close_connection = True
                raise bad("BAD_CONTENT_LENGTH", "Content-Length is not a number")
            if n > a.body_limit:
                self.body_read = False
                self.entry["bytes"] = n
                raise too_large("Request Entity Too Large: body of %d bytes is over the "
                                "%d byte limit" % (n, a.body_limit))
            data = self.rfile.read(n)
            if len(data) != n:
                self.close_connection = True
                raise bad("INCOMPLETE_BODY", "body ended after %d of %d bytes" % (len(data), n))
        self.entry["bytes"] = n
        if n > a.body_limit:
            raise too_large("Request Entity Too Large: body of %d bytes is over the %d byte "
                            "limit" % (n, a.body_limit))

        enc = (self.headers.get("Content-Encoding") or "identity").strip().lower()
        if enc == "x-gzip":
            enc = "gzip"
        if not n:
            return None, None
        self.entry["contentEncoding"] = enc
        if enc not in ("gzip", "identity"):
            raise ApiError(415, "UNSUPPORTED_CONTENT_ENCODING",
                           "Content-Encoding %r is not supported; use gzip or none" % enc)
        ctype = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if ctype != "application/json":
            raise ApiError(415, "UNSUPPORTED_MEDIA_TYPE",
                           "Content-Type must be application/json, got %r" % (ctype or None))
        return data, enc

    def read_json(self):
        """The request body as a JSON object; {} when there is none."""
        data, enc = self.read_body()
        if data is None:
            return {}
        obj, self.entry["rawBytes"] = decode_json(data, enc, self.state.args.raw_limit)
        return obj

    def send_json(self, status, payload, headers):
        if isinstance(payload, RawJson):
            body = payload.text.encode("utf-8")
        else:
            body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        reason = self.responses.get(status, ("",))[0]
        lines = ["HTTP/1.1 %d %s" % (status, reason), "Date: %s" % self.date_time_string(),
                 "Content-Type: application/json", "Content-Length: %d" % len(body)]
        for k, v in headers:
            lines.append("%s: %s" % (k, v))
        lines.append("Connection: %s" % ("close" if self.close_connection else "keep-alive"))
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if self.entry:   # not for /__fake/state, a test aid off the link
            if self.half_rtt:
                time.sleep(self.half_rtt)   # the answer's way out
            if self.down is not None:
                self.down.pay(len(head) + len(body))
        self.wfile.write(head + body)

    def reset(self):
        """Drop the connection with an RST and no answer."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            self.connection.close()
        except OSError:
            pass

    # -- endpoints ---------------------------------------------------------------------

    def create(self, body):
        st = self.state
        allowed = {"source", "scope", "integrationInstanceId", "integrationJobId", "syncMode",
                   "ignoreDuplicates"}
        extra = set(body) - allowed
        if extra:
            raise bad("INVALID_JOB_CONFIGURATION", "unknown member(s) %s; allowed: %s"
                      % (", ".join(sorted(extra)), ", ".join(sorted(allowed))))
        body = {k: v for k, v in body.items() if v is not None}
        src = body.get("source")
        if src not in SOURCES:
            raise bad("INVALID_JOB_CONFIGURATION", "source must be one of %s, got %s"
                      % (", ".join(SOURCES), json.dumps(src)))
        for k in ("scope", "integrationInstanceId", "integrationJobId", "syncMode"):
            if k in body and (type(body[k]) is not str or not body[k]):
                raise bad("INVALID_JOB_CONFIGURATION", "%s must be a non-empty string" % k)
        if "ignoreDuplicates" in body and type(body["ignoreDuplicates"]) is not bool:
            raise bad("INVALID_JOB_CONFIGURATION", "ignoreDuplicates must be a boolean")
        if src == "api":
            if "scope" not in body:
                raise bad("INVALID_JOB_CONFIGURATION", 'source "api" requires a scope')
            for k in ("integrationInstanceId", "integrationJobId"):
                if k in body:
                    raise bad("INVALID_JOB_CONFIGURATION", 'source "api" cannot have %s' % k)
        else:
            if "integrationInstanceId" not in body:
                raise bad("INVALID_JOB_CONFIGURATION", 'source "%s" requires '
                          "integrationInstanceId" % src)
            if "scope" in body:
                raise bad("INVALID_JOB_CONFIGURATION", "scope can only be used with source "
                          '"api"')
        mode = body.get("syncMode", "DIFF")
        if mode == "CREATE_OR_UPDATE":
            raise bad("INVALID_JOB_CONFIGURATION", "syncMode CREATE_OR_UPDATE is deprecated "
                      "and no longer functions")
        if mode not in SYNC_MODES:
            raise bad("INVALID_JOB_CONFIGURATION",
                      "syncMode must be one of %s" % ", ".join(SYNC_MODES))
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        if q.get("ignoreDuplicates") == ["true"]:
            body["ignoreDuplicates"] = True
        with st.lock:
            jid = body.get("integrationJobId") or st.new_job_id()
            if jid in st.jobs:
                raise bad("JOB_ALREADY_EXISTS", "a synchronization job %s already exists" % jid)
            job = Job(jid, body, st.args.account, self.entry["accountHeader"],
                      st.args.record_objects == "all")
            st.jobs[jid] = job
            self.job = job
            return {"job": job.view()}

    def upload(self, job, action):
        st = self.state
        a = st.args
        with st.lock:
            if job.status != "AWAITING_UPLOADS":
                raise not_awaiting(job)
        data, enc = self.read_body()
        if data is None:
            raise bad("INVALID_REQUEST_BODY", "an upload needs a JSON body")
        settings = (a.allow_underscore_props, a.data_model_lengths, a.reject_key_substring,
                    a.reject_even_without_rawdata, a.record_objects == "all")
        if a.bench_accept:
            raw_len, n = bench_parse(data, enc, a.raw_limit, action)
            self.entry["rawBytes"] = raw_len
            self.entry["objects"] = self.entry["accepted"] = n
            with st.lock:
                if job.status != "AWAITING_UPLOADS":
                    raise not_awaiting(job)
                job.uploaded[action] += n
                return {"job": job.view()}
        if st.pool is not None:
            raw_len, batches = st.pool.submit(parse_upload, data, enc, a.raw_limit, action,
                                              job.sync_mode, settings).result()
        else:
            raw_len, batches = parse_upload(data, enc, a.raw_limit, action, job.sync_mode,
                                            settings)
        self.entry["rawBytes"] = raw_len
        total = sum(len(keys) for keys, _ in batches.values())
        self.entry["objects"] = total

        with st.lock:
            if job.status != "AWAITING_UPLOADS":
                raise not_awaiting(job)
            if a.duplicates == "reject" and not job.ignore_duplicates:
                for kind, (keys, _) in batches.items():
                    counts = job.key_counts[kind]
                    seen = set()
                    for key in keys:
                        if key in counts or key in seen:
                            raise bad("DUPLICATE_KEY", '%s _key "%s" was already uploaded to '
                                      "this job" % ("entity" if kind == "entities" else
                                                    "relationship", key))
                        seen.add(key)
            for kind, (keys, objects) in batches.items():
                counts = job.key_counts[kind]
                get = counts.get
                for key in keys:
                    counts[key] = get(key, 0) + 1
                if job.keep_objects:
                    job.objects[kind].extend(objects)
                job.uploaded[kind] += len(keys)
            self.entry["accepted"] = total
            return {"job": job.view()}

    def finalize(self, job, body):
        st = self.state
        extra = set(body) - {"partialDatasets"}
        if extra:
            raise bad("INVALID_REQUEST_BODY", "unknown member(s) %s; finalize takes "
                      "partialDatasets only" % ", ".join(sorted(extra)))
        pd = body.get("partialDatasets")
        if pd is not None:
            types = pd.get("types", []) if type(pd) is dict else None
            if (type(types) is not list or set(pd) - {"types"}
                    or not all(type(t) is str and t for t in types)):
                raise bad("INVALID_REQUEST_BODY",
                          'partialDatasets must be {"types": [string, ...]}')
        with st.lock:
            if job.status != "AWAITING_UPLOADS":
                raise not_awaiting(job)
            job.finalize_body = body
            job.status = "FINALIZE_PENDING"
            view = job.view()
            if st.args.finalize_delay <= 0:
                job.finish(st.args.finalize_status)
            else:
                t = threading.Timer(st.args.finalize_delay, self.finish_later, (job,))
                t.daemon = True
                t.start()
            return {"job": view}

    def finish_later(self, job):
        st = self.state
        with st.lock:
            if job.status == "FINALIZE_PENDING":
                job.finish(st.args.finalize_status)
        st.changed()

    def abort(self, job, body):
        st = self.state
        extra = set(body) - {"reason", "terminalStatus"}
        if extra:
            raise bad("INVALID_REQUEST_BODY", "unknown member(s) %s; abort takes reason and "
                      "terminalStatus" % ", ".join(sorted(extra)))
        reason = body.get("reason")
        if reason is not None and type(reason) is not str:
            raise bad("INVALID_REQUEST_BODY", "reason must be a string")
        ts = body.get("terminalStatus")
        if ts is not None and ts not in ABORT_STATUSES:
            raise bad("INVALID_REQUEST_BODY", "terminalStatus must be one of %s"
                      % ", ".join(ABORT_STATUSES))
        with st.lock:
            if job.status != "AWAITING_UPLOADS":
                raise not_awaiting(job)
            job.status = ts or "ABORTED"
            job.abort_reason = reason
            job.abort_terminal = ts
            return {"job": job.view()}

    def events(self, job, body):
        st = self.state
        evs = body.get("events")
        if set(body) - {"events"} or type(evs) is not list:
            raise bad("INVALID_REQUEST_BODY", 'body must be {"events": [{"name", "description"}]}')
        for e in evs:
            if type(e) is not dict or set(e) - {"name", "description", "level"} \
                    or type(e.get("name")) is not str or type(e.get("description")) is not str:
                raise bad("INVALID_REQUEST_BODY", "each event needs string name and description")
        with st.lock:
            job.events.extend(evs)
        return {}


class RawJson:
    """A payload that is already JSON text."""

    def __init__(self, text):
        self.text = text


def not_awaiting(job):
    return bad("JOB_NOT_AWAITING_UPLOADS", "synchronization job %s is %s, not AWAITING_UPLOADS"
               % (job.id, job.status))


def reject_constant(name):
    raise ValueError("%s is not JSON" % name)


def gunzip(data, limit):
    """Decode one or more gzip members, refusing more than limit output bytes."""
    out = []
    total = 0
    rest = data
    try:
        while True:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            chunk = d.decompress(rest, limit + 1 - total)
            total += len(chunk)
            if total > limit:
                raise too_large("Request Entity Too Large: gzip body decodes to more than "
                                "%d bytes" % limit)
            out.append(chunk)
            if not d.eof:
                raise bad("INVALID_GZIP", "gzip body is truncated")
            rest = d.unused_data
            if not rest:
                break
    except zlib.error as e:
        raise bad("INVALID_GZIP", "gzip body cannot be decoded: %s" % e)
    return out[0] if len(out) == 1 else b"".join(out)


class Server(loopback.Server):
    rcvbuf = 0          # set by main() for a shaped link

    def server_bind(self):
        # Accepted sockets inherit it; it must be set before listen() to
        # bound the window the client is offered.
        if self.rcvbuf:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        super().server_bind()


# -- the shaped link -----------------------------------------------------------------

LINK_CHUNK = 64 << 10     # bytes read from a socket before paying for them
LINK_BURST = 16 << 10


class Link:
    """One direction of the link: a token bucket shared by every connection.
    pay(n) books n bytes on the link's schedule and sleeps until they have
    gone through it; concurrent payers are served in the order they pay."""

    def __init__(self, mbit):
        self.rate = mbit * 1e6 / 8          # bytes a second
        self.burst = LINK_BURST / self.rate
        self.lock = threading.Lock()
        self.free_at = 0.0                  # time.monotonic() the link is idle from

    def pay(self, n):
        if n <= 0:
            return
        with self.lock:
            start = max(self.free_at, time.monotonic() - self.burst)
            self.free_at = until = start + n / self.rate
        d = until - time.monotonic()
        if d > 0:
            time.sleep(d)


class PacedReader:
    """A request's rfile behind the upstream Link: what http.server and the
    body readers call (read, read1, readline) pays for every byte read."""

    def __init__(self, raw, link):
        self.raw = raw
        self.link = link

    def read(self, n=-1):
        if n is None or n < 0:
            parts = []
            while True:
                b = self.read1(LINK_CHUNK)
                if not b:
                    return b"".join(parts)
                parts.append(b)
        parts = []
        while n > 0:
            b = self.read1(min(n, LINK_CHUNK))
            if not b:
                break
            parts.append(b)
            n -= len(b)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def read1(self, n=-1):
        b = self.raw.read1(LINK_CHUNK if n is None or n < 0 else min(n, LINK_CHUNK))
        self.link.pay(len(b))
        return b

    def readline(self, limit=-1):
        line = self.raw.readline(limit)
        self.link.pay(len(line))
        return line

    def __getattr__(self, name):
        return getattr(self.raw, name)


def parse_faults(text, allow_ok):
    out = []
    for f in (x.strip() for x in text.split(",")):
        if not f:
            continue
        if f in ("reset", "reset-after") or (allow_ok and f == "ok"):
            out.append(f)
        elif re.fullmatch(r"[1-5][0-9][0-9]", f) and int(f) >= 400:
            out.append(f)
        else:
            raise ValueError(f)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Strict fake of the JupiterOne synchronization API (127.0.0.1 only). "
                    "See the comment at the top of this file for the protocol, the checks, "
                    "the faults and the record format.")
    p.add_argument("--port", type=int, default=0, help="TCP port (default 0: a free one)")
    p.add_argument("--port-file", metavar="FILE",
                   help="once listening, write the port + newline here (atomically)")
    p.add_argument("--api-key", metavar="KEY", help="the accepted API key (Bearer token)")
    p.add_argument("--api-key-file", metavar="FILE",
                   help="read the accepted API key from the first line of FILE instead")
    p.add_argument("--account", required=True, metavar="ID",
                   help="the accepted JupiterOne account id")
    p.add_argument("--body-limit", type=int, default=6_000_000, metavar="BYTES",
                   help="413 above this many received body bytes, gzip counted compressed "
                        "(default 6000000)")
    p.add_argument("--raw-limit", type=int, default=100_000_000, metavar="BYTES",
                   help="413 above this many decoded (gunzipped) bytes (default 100000000)")
    p.add_argument("--record", metavar="FILE",
                   help="rewrite this JSON file atomically after every change")
    p.add_argument("--bench-accept", action="store_true",
                   help="benchmarks only: count upload objects by their _key members "
                        "instead of parsing, validating and recording them (the job's "
                        "counters are kept; key lists stay empty)")
    p.add_argument("--record-objects", choices=("all", "none"), default="all",
                   help="all: keep every accepted object; none: keys and counts only")
    p.add_argument("--duplicates", choices=("record", "reject"), default="record",
                   help="record: accept and count keys seen twice (default); reject: 400 "
                        "DUPLICATE_KEY unless the job has ignoreDuplicates")
    p.add_argument("--finalize-delay", type=float, default=0.0, metavar="S",
                   help="seconds from FINALIZE_PENDING to FINISHED (default 0)")
    p.add_argument("--finalize-status", default="FINISHED", metavar="S",
                   help="the status a finalized job ends in (default FINISHED; e.g. "
                   "ERROR_BAD_DATA for a job that ends in error)")
    p.add_argument("--seed", type=int, default=1, help="seed of fault draws and job ids (default 1)")
    p.add_argument("--fault-rate", type=float, default=0.0, metavar="P",
                   help="probability 0..1 that an eligible request gets a fault from --faults")
    p.add_argument("--faults", default="", metavar="LIST",
                   help="comma list of: 429,500,503 (any status >= 400),reset,reset-after")
    p.add_argument("--fault-script", default="", metavar="LIST",
                   help="faults of the first eligible requests in order, 'ok' for none, "
                        "e.g. 'reset-after,ok,429'")
    p.add_argument("--fault-all", action="store_true",
                   help="faults apply to create/status/finalize/abort/events too, not only uploads")
    p.add_argument("--retry-after", type=int, default=1, metavar="N",
                   help="Retry-After seconds on injected 429s (default 1)")
    p.add_argument("--fail-status", type=int, default=0, metavar="S",
                   help="answer S to every request on a job path matching --fail-path-suffix")
    p.add_argument("--fail-code", default="INJECTED_FAILURE", metavar="CODE",
                   help="error code of --fail-status answers (default INJECTED_FAILURE)")
    p.add_argument("--fail-path-suffix", action="append", metavar="SUFFIX",
                   help="path suffix for --fail-status (repeatable; default /entities, "
                        "/relationships, /upload)")
    p.add_argument("--reject-key-substring", default="", metavar="S",
                   help="413 for a batch holding an object whose _key contains S and that "
                        "carries _rawData")
    p.add_argument("--reject-even-without-rawdata", action="store_true",
                   help="with --reject-key-substring: 413 even when _rawData was stripped")
    p.add_argument("--data-model-lengths", action="store_true",
                   help="also require _key >= 10, _type >= 5, _class >= 2 characters")
    p.add_argument("--allow-underscore-props", action="store_true",
                   help="accept non-system properties whose names start with '_'")
    p.add_argument("--workers", type=int, default=0, metavar="N",
                   help="decode and check upload bodies in N worker processes (default 0: in "
                        "the request thread); for benchmarks, where one Python thread is the "
                        "bottleneck")
    p.add_argument("--rtt-ms", type=float, default=0.0, metavar="N",
                   help="shaped link: round-trip time in ms added to every request and new "
                        "connection (default 0: none)")
    p.add_argument("--bandwidth-mbit", type=float, default=0.0, metavar="M",
                   help="shaped link: Mbit/s each way, shared by all connections; the socket "
                        "receive buffer is set to the bandwidth-delay product (default 0: "
                        "unlimited)")
    p.add_argument("-v", "--verbose", action="store_true", help="one stderr line per request")
    args = p.parse_args(argv)
    if args.rtt_ms < 0 or args.bandwidth_mbit < 0:
        p.error("--rtt-ms and --bandwidth-mbit must be >= 0")
    args.receive_buffer = None
    if args.bandwidth_mbit:
        bdp = int(args.bandwidth_mbit * 1e6 / 8 * max(args.rtt_ms, 1.0) / 1000)
        args.receive_buffer = max(bdp, 64 << 10)
    if args.bench_accept:
        args.record_objects = "none"

    if args.api_key_file:
        try:
            with open(args.api_key_file, encoding="utf-8") as f:
                args.api_key = f.readline().strip()
        except OSError as e:
            p.error("cannot read --api-key-file: %s" % e)
    if not args.api_key:
        p.error("an API key is required: --api-key KEY or --api-key-file FILE")
    try:
        args.faults = parse_faults(args.faults, allow_ok=False)
        args.fault_script = parse_faults(args.fault_script, allow_ok=True)
    except ValueError as e:
        p.error("unknown fault %r (known: 429, 500, 503 or any status >= 400, reset, "
                "reset-after; 'ok' in --fault-script)" % str(e))
    if not 0.0 <= args.fault_rate <= 1.0:
        p.error("--fault-rate must be within 0..1")
    if args.fail_status and not 400 <= args.fail_status <= 599:
        p.error("--fail-status must be 400..599")
    if args.body_limit <= 0 or args.raw_limit <= 0:
        p.error("--body-limit and --raw-limit must be positive")

    if args.workers < 0:
        p.error("--workers must be >= 0")

    state = State(args)
    if args.workers:
        import concurrent.futures
        import multiprocessing
        state.pool = concurrent.futures.ProcessPoolExecutor(
            args.workers, mp_context=multiprocessing.get_context("spawn"), initializer=worker_init)
        list(state.pool.map(abs, range(args.workers)))   # start them before we listen
    Handler.state = state
    Handler.half_rtt = args.rtt_ms / 2000.0
    if args.bandwidth_mbit:
        Handler.up = Link(args.bandwidth_mbit)
        Handler.down = Link(args.bandwidth_mbit)
        Server.rcvbuf = args.receive_buffer
    if args.record:
        state.recorder = Recorder(args.record, state)
        try:
            state.recorder.start()
        except OSError as e:
            print("fake_j1: cannot write record %s: %s" % (args.record, e), file=sys.stderr)
            return 2

    try:
        server = Server(("127.0.0.1", args.port), Handler)
    except OSError as e:
        print("fake_j1: cannot listen on 127.0.0.1:%d: %s" % (args.port, e), file=sys.stderr)
        return 2
    link = ""
    if args.rtt_ms or args.bandwidth_mbit:
        link = " behind a shaped link: RTT %g ms, %s, receive buffer %s" % (
            args.rtt_ms, "%g Mbit/s" % args.bandwidth_mbit if args.bandwidth_mbit else "no "
            "bandwidth limit", server.socket.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
            if args.bandwidth_mbit else "autotuned")
    loopback.serve(server, args.port_file, link)
    if state.recorder:
        state.recorder.stop()
    if state.pool:
        state.pool.shutdown(wait=True, cancel_futures=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
