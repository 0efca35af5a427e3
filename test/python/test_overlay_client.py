#!/usr/bin/python3
# Copyright 2026 The overlay Authors.
"""Tests of tools/overlay_client.py against an in-process fake
QueryService: the client runs as a subprocess, as a user would run it.

  /usr/bin/python3 test/python/test_overlay_client.py [STUBS_DIR] [ARGS...]

STUBS_DIR (or $OVERLAY_PY_STUBS) holds protos/overlay_pb2.py, built by the
proto_python target. When the C++ client is found ($OVERLAY_CPP_CLIENT, else
<stubs>/../bin/overlay_client) the two clients' outputs are also compared.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from concurrent import futures

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CLIENT = os.path.join(REPO, "tools", "overlay_client.py")

if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
    STUBS = os.path.abspath(sys.argv.pop(1))
else:
    STUBS = os.path.abspath(os.environ.get(
        "OVERLAY_PY_STUBS", os.path.join(REPO, "build", "python")))
if not os.path.isfile(os.path.join(STUBS, "protos", "overlay_pb2.py")):
    sys.stderr.write("no stubs in %s: build the proto_python target and pass "
                     "the dir as argv[1] or $OVERLAY_PY_STUBS\n" % STUBS)
    sys.exit(1)
sys.path.insert(0, STUBS)
sys.path.insert(0, os.path.join(REPO, "tools"))

import grpc  # noqa: E402
from protos import overlay_pb2 as pb  # noqa: E402
from protos import overlay_pb2_grpc as pb_grpc  # noqa: E402
import overlay_client  # noqa: E402

CPP_CLIENT = os.environ.get(
    "OVERLAY_CPP_CLIENT",
    os.path.join(os.path.dirname(STUBS), "bin", "overlay_client"))

RECORD_KEYS = ["latitude", "longitude", "utc", "parameter", "concentration",
               "unit", "raw_concentration", "aqi", "category", "site_name",
               "agency", "aqs_id", "full_aqs_id"]

TRICKY_NAME = 'Big Bend, Fire ""Lookout"" Tower'
CHUNK_SIZE = 3
T0 = 1597021200  # 2020-08-10T01:00

SITES = [
    dict(latitude=41.75613, longitude=-124.20347, site_name="Crescent City",
         agency="North Coast Unified AQMD", aqs_id="060150007",
         full_aqs_id="840060150007"),
    dict(latitude=29.30278, longitude=-103.17778, site_name=TRICKY_NAME,
         agency="Agencia Ñandú \\ Parks", aqs_id="480430101",
         full_aqs_id="840480430101"),
    dict(latitude=40.0, longitude=-120.5, site_name="Plain Site",
         agency="Test Agency", aqs_id="000000001",
         full_aqs_id="840000000001"),
]


def make_records(count):
    """`count` deterministic records (dicts with the client's JSON keys);
    some values are missing (None)."""
    params = [("PM2.5", "UG/M3"), ("OZONE", "PPB"), ("CO", "PPM"),
              ("PM10", "UG/M3")]
    records = []
    for i in range(count):
        site = SITES[i % len(SITES)]
        param, unit = params[i % len(params)]
        conc = [17.3, 62.0, 0.0001, 1e6, 5.5, -0.5, 12.25][i % 7]
        record = dict(site)
        record.update(
            utc=T0 + 3600 * i, parameter=param, unit=unit,
            concentration=None if i % 5 == 1 else conc,
            raw_concentration=None if i % 4 == 2 else conc + 0.7,
            aqi=None if i % 3 == 2 else 10 * i + 2,
            category=None if i % 3 == 2 else 1 + i % 6)
        records.append(record)
    return records


def encode_chunk(records):
    """A RecordChunk with chunk-local dictionaries, in first-use order."""
    chunk = pb.RecordChunk()
    site_index, param_index, unit_index = {}, {}, {}

    def index_of(table, key, add):
        if key not in table:
            table[key] = len(table)
            add(key)
        return table[key]

    for r in records:
        site_key = tuple(r[k] for k in ("latitude", "longitude", "site_name",
                                        "agency", "aqs_id", "full_aqs_id"))
        s = index_of(site_index, site_key,
                     lambda k: chunk.sites.add(**dict(zip(
                         ("latitude", "longitude", "site_name", "agency",
                          "aqs_id", "full_aqs_id"), k))))
        p = index_of(param_index, r["parameter"], chunk.parameter_names.append)
        u = index_of(unit_index, r["unit"], chunk.unit_names.append)
        missing = 0
        if r["concentration"] is None:
            missing |= pb.RecordChunk.MISSING_CONCENTRATION
        if r["raw_concentration"] is None:
            missing |= pb.RecordChunk.MISSING_RAW_CONCENTRATION
        if r["aqi"] is None:
            missing |= pb.RecordChunk.MISSING_AQI
        if r["category"] is None:
            missing |= pb.RecordChunk.MISSING_CATEGORY
        chunk.site.append(s)
        chunk.utc_seconds.append(r["utc"])
        chunk.parameter.append(p)
        chunk.concentration.append(r["concentration"] or 0.0)
        chunk.unit.append(u)
        chunk.raw_concentration.append(r["raw_concentration"] or 0.0)
        chunk.aqi.append(r["aqi"] or 0)
        chunk.category.append(r["category"] or 0)
        chunk.missing.append(missing)
    return chunk


MISSING_SHARE = dict(node_id="F", share="2020-09-13..2020-09-24",
                     reason="DEADLINE_EXCEEDED",
                     message='no answer from "F" within 1000 ms')
SLOW_QUERY_S = 0.6  # the "slow" client's Query and chunk 0 take this long
WINDOW = 3          # the "window3" client's GetChunk barrier
BUSY_HINT_MS = 50   # the retry hint of the "busyN" client's refusals


class FakeQueryService(pb_grpc.QueryServiceServicer):
    """Answers every query with `make_records(7)` in chunks of 3 (25 records
    when the client id contains "many"), marked complete. Special client ids
    (substrings, so they combine): "short" claims one record more than it
    sends; "corrupt" sends a chunk 1 with a short column; "expire" fails
    GetChunk with NOT_FOUND; "fail2" fails chunk 2 with NOT_FOUND;
    "partial" answers incomplete, missing MISSING_SHARE; "oldnode" answers
    complete=false and names nothing missing (a node older than the field);
    "oddreason" names a missing share with a reason these stubs do not
    know; "slow" takes SLOW_QUERY_S to answer Query and as long again for
    chunk 0; "stall" holds GetChunk
    of chunk 1 until the call ends (its deadline); "window3" holds the first
    GetChunk calls until WINDOW of them are in the handler at once, and then
    answers the lowest of them last; "busyN" has its first N Queries
    refused as admission refuses them, RESOURCE_EXHAUSTED (UNAVAILABLE with
    "unavail") with a grpc-retry-pushback-ms hint of BUSY_HINT_MS (5000
    with "longhint", none with "nohint"). Keys "nope" -> NOT_FOUND. Records
    the arrival time of every Query, and the
    time remaining of every call's deadline and the most GetChunk calls in
    the handler at once."""

    def __init__(self):
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.inline = False  # honour inline_first_chunk
        self.reset()

    def reset(self):
        with self.lock:
            self.queries = []
            self.chunk_calls = []
            self.releases = []
            self.shutdowns = 0
            self.results = {}
            self.next_id = 1
            self.remaining = []  # (rpc, seconds left or None)
            self.in_chunk = 0
            self.max_in_chunk = 0
            self.first_wave = []      # window3: indices held by the barrier
            self.first_wave_done = 0  # window3: of them, answered
            self.barrier_timed_out = False
            self.query_times = []  # time.monotonic() of every Query
            self.refused = {}      # client id -> Queries refused so far

    def _note_deadline(self, rpc, context):
        with self.lock:
            self.remaining.append((rpc, context.time_remaining()))

    def Query(self, request, context):
        self._note_deadline("Query", context)
        with self.lock:
            self.query_times.append(time.monotonic())
        if "nope" in request.filter.site_keys:
            context.abort(grpc.StatusCode.NOT_FOUND, "no site 'nope'")
        client = request.client_id
        busy = re.search(r"busy(\d+)", client)
        if busy:
            with self.lock:
                refused = self.refused.get(client, 0)
                refuse = refused < int(busy.group(1))
                if refuse:
                    self.refused[client] = refused + 1
            if refuse:
                hint = (None if "nohint" in client else
                        5000 if "longhint" in client else BUSY_HINT_MS)
                if hint is not None:
                    context.set_trailing_metadata(
                        (("grpc-retry-pushback-ms", str(hint)),))
                context.abort(grpc.StatusCode.UNAVAILABLE if "unavail" in client
                              else grpc.StatusCode.RESOURCE_EXHAUSTED,
                              "admission: busy")
        if "slow" in client:
            time.sleep(SLOW_QUERY_S)
        with self.lock:
            self.queries.append(request)
            query_id = "q-%d" % self.next_id
            self.next_id += 1
            records = make_records(
                25 if "many" in client else 2 if "small" in client else 7)
            chunks = [encode_chunk(records[i:i + CHUNK_SIZE])
                      for i in range(0, len(records), CHUNK_SIZE)]
            if "corrupt" in client:
                del chunks[1].aqi[-1]
            self.results[query_id] = (client, chunks)
        response = pb.QueryResponse(
            query_id=query_id,
            total_records=len(records) + ("short" in client),
            total_chunks=len(chunks), chunk_size=CHUNK_SIZE,
            expires_in_ms=300000, complete=True)
        response.shares.add(node_id="A", share="2020-08-10..2020-08-13",
                            records=4, first_chunk=0, chunks=2)
        response.shares.add(node_id="B", share="2020-08-14..2020-08-17",
                            records=len(records) - 4, first_chunk=1,
                            chunks=len(chunks) - 1)
        response.failures.add(node_id="E", code=14, message='down "E"')
        if "partial" in client:
            response.complete = False
            response.missing.add(
                node_id=MISSING_SHARE["node_id"],
                share=MISSING_SHARE["share"],
                reason=pb.MissingShare.Reason.Value(MISSING_SHARE["reason"]),
                message=MISSING_SHARE["message"])
        if "oldnode" in client:
            response.complete = False
        if "oddreason" in client:
            response.complete = False
            response.missing.add(node_id="G", share="2020-10-01..2020-10-02",
                                 reason=7, message="")
        if self.inline and request.inline_first_chunk:
            response.first_chunk.CopyFrom(self._chunk(query_id, 0, chunks))
        # As the portal: an answer carrying the whole result holds nothing.
        response.whole = len(chunks) == 0 or (
            len(chunks) == 1 and response.HasField("first_chunk"))
        return response

    def _chunk(self, query_id, index, chunks):
        return pb.ChunkResponse(
            query_id=query_id, chunk_index=index, total_chunks=len(chunks),
            first_record=index * CHUNK_SIZE, records=chunks[index])

    def _hold_first_wave(self, index):
        """window3: wait until WINDOW calls are in the handler at once, then
        let the lowest index answer after the others."""
        with self.lock:
            if len(self.first_wave) >= WINDOW:
                return
            self.first_wave.append(index)
            if not self.changed.wait_for(
                    lambda: len(self.first_wave) >= WINDOW, timeout=20):
                self.barrier_timed_out = True
                return
            self.changed.notify_all()
            if index == min(self.first_wave):
                self.changed.wait_for(
                    lambda: self.first_wave_done >= WINDOW - 1, timeout=5)
            else:
                self.first_wave_done += 1
                self.changed.notify_all()

    def GetChunk(self, request, context):
        self._note_deadline("GetChunk", context)
        with self.lock:
            self.chunk_calls.append((request.query_id, request.chunk_index))
            result = self.results.get(request.query_id)
            self.in_chunk += 1
            self.max_in_chunk = max(self.max_in_chunk, self.in_chunk)
        try:
            if result is None or "expire" in result[0]:
                context.abort(grpc.StatusCode.NOT_FOUND,
                              "no result '%s'" % request.query_id)
            client, chunks = result
            if not 0 <= request.chunk_index < len(chunks):
                context.abort(grpc.StatusCode.OUT_OF_RANGE, "bad chunk index")
            if "fail2" in client and request.chunk_index == 2:
                context.abort(grpc.StatusCode.NOT_FOUND, "chunk 2 is gone")
            if "slow" in client and request.chunk_index == 0:
                time.sleep(SLOW_QUERY_S)
            if "stall" in client and request.chunk_index == 1:
                ended = threading.Event()
                context.add_callback(ended.set)
                ended.wait(30)
            if "window3" in client:
                self._hold_first_wave(request.chunk_index)
            return self._chunk(request.query_id, request.chunk_index, chunks)
        finally:
            with self.lock:
                self.in_chunk -= 1

    def Release(self, request, context):
        self._note_deadline("Release", context)
        with self.lock:
            self.releases.append(request.query_id)
        return pb.ReleaseResponse(released=True)

    def GetMetrics(self, request, context):
        m = pb.MetricsResponse(
            node_id="A", role="leader", team="green", host_group="host1",
            address="127.0.0.1:60051", pid=4242, uptime_s=12.0,
            rows_loaded=108117, files_loaded=47, share="2020-08-10..2020-08-13",
            queries_received=5, queries_executed=6, in_flight=1,
            rss_bytes=52428800, cpu_s=1.25, load_s=0.5)
        m.latency.add(rpc="GetChunk", count=3, p50_ms=0.1, p90_ms=0.2,
                      p99_ms=0.3, max_ms=0.4)
        m.latency.add(rpc="Query", count=5, p50_ms=1.0, p90_ms=2.5,
                      p99_ms=7.125, max_ms=9.0)
        m.neighbors.add(node_id="B", address="127.0.0.1:60052",
                        connected=True, calls=3)
        query = m.admission.add(
            pool="Query", strategy="weighted", limit=8, in_flight=2, queued=1,
            admitted=40, rejected=3, queue_wait_p99_ms=0.25)
        query.rejected_by_reason.add(reason="client_queue_full", count=2)
        query.rejected_by_reason.add(reason="overloaded", count=1)
        query.queue_wait.bounds_us.extend([0, 100])
        query.queue_wait.counts.extend([30, 9, 1])
        row = query.classes.add(team="default", client="heavy", admitted=30,
                                rejected=3, queued=1, queue_wait_p99_ms=0.25)
        row.rejected_by_reason.add(reason="client_queue_full", count=2)
        row.rejected_by_reason.add(reason="overloaded", count=1)
        query.classes.add(team="default", client="idle")
        m.admission.add(pool="Execute", strategy="weighted", limit=4)
        m.queue_depth = 1
        m.admitted = 40
        m.rejected = 3
        m.admission_limit = 8
        m.scan_admission_limit = 4
        return m

    def Shutdown(self, request, context):
        with self.lock:
            self.shutdowns += 1
        return pb.ShutdownResponse(accepted=True)


def fake_health():
    """grpc.health.v1.Health/Check answering SERVING (HealthCheckResponse
    {status: 1}), as raw bytes: no generated health stubs."""
    check = grpc.unary_unary_rpc_method_handler(lambda request, context: b"\x08\x01")
    return grpc.method_handlers_generic_handler("grpc.health.v1.Health",
                                                {"Check": check})


def expected_json_line(r):
    """The JSON line of a record as the C++ RecordToJson prints it."""
    fd = overlay_client.format_double
    parts = []
    for key in RECORD_KEYS:
        v = r[key]
        if key == "utc":
            v = overlay_client.format_utc(v)
        if v is None:
            text = "null"
        elif isinstance(v, float):
            text = fd(v)
        elif isinstance(v, int):
            text = str(v)
        else:
            text = json.dumps(v, ensure_ascii=False)
        parts.append('"%s":%s' % (key, text))
    return "{" + ",".join(parts) + "}"


class OverlayClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.service = FakeQueryService()
        cls.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        pb_grpc.add_QueryServiceServicer_to_server(cls.service, cls.server)
        cls.server.add_generic_rpc_handlers((fake_health(),))
        cls.port = cls.server.add_insecure_port("127.0.0.1:0")
        cls.server.start()
        cls.target = "127.0.0.1:%d" % cls.port
        cls.tmp = tempfile.TemporaryDirectory(prefix="overlay_client_test_")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop(None).wait()
        cls.tmp.cleanup()

    def setUp(self):
        self.service.reset()
        self.service.inline = False

    def run_client(self, *args, target=True, client=None):
        command = ([client] if client else [sys.executable, CLIENT])
        if target:
            command += ["--target", self.target]
        command += list(args)
        env = dict(os.environ, OVERLAY_PY_STUBS=STUBS)
        return subprocess.run(command, capture_output=True, text=True,
                              env=env, timeout=120)

    def clients(self):
        """The clients to run a behaviour test with: the Python one, and the
        C++ one when it is built."""
        found = [None]
        if os.access(CPP_CLIENT, os.X_OK):
            found.append(CPP_CLIENT)
        return found

    def ok(self, *args, **kwargs):
        result = self.run_client(*args, **kwargs)
        self.assertEqual(result.returncode, 0,
                         "%s\nstdout:\n%s\nstderr:\n%s" %
                         (args, result.stdout, result.stderr))
        return result.stdout

    def write_config(self, name, processes, portal="A"):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            json.dump({"name": "test", "portal": portal,
                       "processes": processes}, f)
        return path

    # ---- queries ----

    def check_json_records(self, out, count, partial=False):
        lines = out.splitlines()
        head = json.loads(lines[0])
        for key in ("query_id", "total_records", "total_chunks", "chunk_size",
                    "shares", "failures", "records_received", "elapsed_ms",
                    "complete", "missing"):
            self.assertIn(key, head)
        self.assertEqual(head["total_records"], count)
        self.assertEqual(head["records_received"], count)
        self.assertEqual(head["total_chunks"], -(-count // CHUNK_SIZE))
        self.assertEqual(head["chunk_size"], CHUNK_SIZE)
        self.assertEqual(
            head["shares"],
            [{"node_id": "A", "share": "2020-08-10..2020-08-13",
              "records": 4, "chunks": 2},
             {"node_id": "B", "share": "2020-08-14..2020-08-17",
              "records": count - 4, "chunks": head["total_chunks"] - 1}])
        self.assertEqual(head["failures"],
                         [{"node_id": "E", "code": 14, "message": 'down "E"'}])
        self.assertIs(head["complete"], not partial)
        self.assertEqual(head["missing"], [MISSING_SHARE] if partial else [])
        # The header's keys in the documented order (both clients).
        self.assertEqual(list(head), [
            "query_id", "total_records", "total_chunks", "chunk_size",
            "records_received", "elapsed_ms", "shares", "failures",
            "complete", "missing"])
        expected = make_records(count)
        self.assertEqual(len(lines), 1 + count)
        for line, want in zip(lines[1:], expected):
            record = json.loads(line)
            self.assertEqual(list(record), RECORD_KEYS)
            self.assertEqual(line, expected_json_line(want))
            want = dict(want, utc=overlay_client.format_utc(want["utc"]))
            self.assertEqual(record, want)
        return head

    def test_positional_query_json_records(self):
        out = self.ok("--json", "--records", "query", "PM2.5", "5", "35")
        head = self.check_json_records(out, 7)
        records = [json.loads(line) for line in out.splitlines()[1:]]
        self.assertIsNone(records[1]["concentration"])
        self.assertIsNone(records[2]["raw_concentration"])
        self.assertIsNone(records[2]["aqi"])
        self.assertIsNone(records[2]["category"])
        self.assertEqual(records[1]["site_name"], TRICKY_NAME)
        self.assertEqual(records[0]["utc"], "2020-08-10T01:00")
        # Integer-valued doubles print like std::to_chars: 62, not 62.0.
        self.assertIn('"raw_concentration":62.7', out.splitlines()[2])
        self.assertIn('"concentration":1e+06', out.splitlines()[4])
        (request,) = self.service.queries
        self.assertEqual(list(request.filter.parameters), [pb.PM25])
        self.assertTrue(request.filter.HasField("min_concentration"))
        self.assertEqual(request.filter.min_concentration, 5.0)
        self.assertEqual(request.filter.max_concentration, 35.0)
        self.assertFalse(request.filter.HasField("min_aqi"))
        self.assertFalse(request.filter.HasField("from_utc_seconds"))
        self.assertTrue(request.inline_first_chunk)
        self.assertEqual(self.service.chunk_calls,
                         [(head["query_id"], i) for i in range(3)])
        self.assertEqual(self.service.releases, [head["query_id"]])

    def test_inline_first_chunk_is_used(self):
        self.service.inline = True
        out = self.ok("query", "--json", "--records")  # options after command
        head = self.check_json_records(out, 7)
        self.assertEqual(self.service.chunk_calls,
                         [(head["query_id"], 1), (head["query_id"], 2)])

    def test_a_whole_answer_is_not_released(self):
        self.service.inline = True
        for client in self.clients():
            with self.subTest(client=client or "python"):
                self.service.reset()
                out = self.ok("query", "--json", "--records",
                              "--client-id", "small", client=client)
                self.check_json_records(out, 2)
                self.assertEqual(self.service.chunk_calls, [])
                self.assertEqual(self.service.releases, [])

    def test_json_without_records_is_one_line(self):
        out = self.ok("--json", "get_all")
        self.assertEqual(len(out.splitlines()), 1)
        head = json.loads(out)
        self.assertEqual(head["total_records"], 7)
        self.assertEqual(len(self.service.chunk_calls), 3)

    def test_query_flags(self):
        self.ok("--json", "query", "--param", "pm10,Ozone", "--min", "1.5",
                "--max=20", "--aqi-min", "3", "--aqi-max", "99",
                "--category", "1,2", "--from", "2020-08-18T00:00",
                "--to", "2020-08-18", "--bbox", "42,-120,40,-124",
                "--limit", "5", "--chunk-size", "2", "--client-id", "me")
        (request,) = self.service.queries
        f = request.filter
        self.assertEqual(list(f.parameters), [pb.PM10, pb.OZONE])
        self.assertEqual((f.min_concentration, f.max_concentration),
                         (1.5, 20.0))
        self.assertEqual((f.min_aqi, f.max_aqi), (3, 99))
        self.assertEqual(list(f.categories), [1, 2])
        self.assertEqual(f.from_utc_seconds, 1597708800)
        self.assertEqual(f.to_utc_seconds, 1597708800 + 86399)
        self.assertEqual((f.bbox.min_latitude, f.bbox.max_latitude,
                          f.bbox.min_longitude, f.bbox.max_longitude),
                         (40.0, 42.0, -124.0, -120.0))
        self.assertEqual((request.limit, request.chunk_size,
                          request.client_id), (5, 2, "me"))

    def test_times_and_bare_days(self):
        self.ok("--json", "query", "--from", "2020-08-10", "--to",
                "2020-08-10T01:30")
        f = self.service.queries[0].filter
        self.assertEqual(f.from_utc_seconds, T0 - 3600)
        self.assertEqual(f.to_utc_seconds, T0 + 1800)

    def test_get_commands(self):
        self.ok("--json", "get_all", "--limit", "3")
        self.ok("--json", "get_by_key", "840060150007", "060150007")
        self.ok("--json", "get_by_prefix", "Cres")
        all_request, key_request, prefix_request = self.service.queries
        self.assertEqual(all_request.filter, pb.Filter())
        self.assertEqual(all_request.limit, 3)
        self.assertEqual(list(key_request.filter.site_keys),
                         ["840060150007", "060150007"])
        self.assertEqual(prefix_request.filter.prefix, "Cres")
        self.assertTrue(prefix_request.filter.HasField("prefix"))
        self.assertEqual(len(self.service.releases), 3)

    def test_readable_output(self):
        out = self.ok("query", "PM2.5")
        lines = out.splitlines()
        self.assertEqual(lines[0], "query q-1: 7 records in 3 chunks of 3")
        self.assertEqual(lines[1],
                         "  share A 2020-08-10..2020-08-13: 4 records")
        self.assertEqual(lines[2],
                         "  share B 2020-08-14..2020-08-17: 3 records")
        self.assertEqual(lines[3], '  FAILED E: code 14: down "E"')
        self.assertEqual(lines[4].split(),
                         ["utc", "param", "conc", "raw", "unit", "aqi", "cat",
                          "lat", "lon", "full_aqs_id", "site"])
        self.assertEqual(
            lines[5],
            "2020-08-10T01:00 PM2.5       17.3        18 UG/M3    "
            "2   1   41.75613  -124.20347 840060150007 Crescent City")
        self.assertEqual(
            lines[6],
            "2020-08-10T02:00 OZONE          -      62.7 PPB     "
            "12   2   29.30278  -103.17778 840480430101 " + TRICKY_NAME)
        self.assertIn(" 1e-04         - PPM      -   -   40.00000 ", lines[7])
        self.assertEqual(len(lines), 5 + 7 + 1)
        self.assertRegex(lines[-1], r"^received 7 records in \d+\.\d ms$")

    def test_readable_shows_ten_records_unless_records(self):
        out = self.ok("get_all", "--client-id", "many")
        lines = out.splitlines()
        self.assertEqual(len(lines), 5 + 10 + 2)
        self.assertEqual(lines[-2], "... 15 more (use --records for all)")
        self.assertEqual(len(self.service.chunk_calls), 9)  # still pulls all
        out = self.ok("--records", "get_all", "--client-id", "many")
        self.assertEqual(len(out.splitlines()), 5 + 25 + 1)
        out = self.ok("--json", "--records", "get_all", "--client-id", "many")
        self.check_json_records(out, 25)


    # ---- complete / partial answers ----

    def test_allow_partial_and_no_cache_words_are_sent(self):
        for client in self.clients():
            with self.subTest(client=client or "python"):
                self.service.reset()
                self.ok("--json", "get_all", "--allow-partial", "--no-cache",
                        client=client)
                self.ok("--json", "query", "PM2.5", client=client)
                with_words, without = self.service.queries
                self.assertTrue(with_words.allow_partial)
                self.assertTrue(with_words.fresh)
                self.assertFalse(without.allow_partial)
                self.assertFalse(without.fresh)

    def test_incomplete_answer_with_allow_partial_exits_3(self):
        for client in self.clients():
            with self.subTest(client=client or "python"):
                self.service.reset()
                result = self.run_client(
                    "--json", "--records", "get_all", "--client-id",
                    "partial", "--allow-partial", client=client)
                self.assertEqual(result.returncode, 3, result.stderr)
                self.assertEqual(result.stderr, "")
                head = self.check_json_records(result.stdout, 7,
                                               partial=True)
                self.assertFalse(head["complete"])
                self.assertEqual(self.service.releases, [head["query_id"]])

                result = self.run_client("get_all", "--client-id", "partial",
                                         "--allow-partial", client=client)
                self.assertEqual(result.returncode, 3, result.stderr)
                lines = result.stdout.splitlines()
                self.assertEqual(lines[3], '  FAILED E: code 14: down "E"')
                self.assertEqual(
                    lines[4],
                    "  MISSING F 2020-09-13..2020-09-24: DEADLINE_EXCEEDED: "
                    'no answer from "F" within 1000 ms')
                self.assertRegex(lines[-2],
                                 r"^received 7 records in \d+\.\d ms$")
                self.assertEqual(
                    lines[-1],
                    "INCOMPLETE: 1 of 3 shares missing: "
                    "F 2020-09-13..2020-09-24 (DEADLINE_EXCEEDED)")

    def test_complete_answer_says_nothing_about_missing(self):
        out = self.ok("get_all", "--allow-partial")
        self.assertNotIn("MISSING", out)
        self.assertNotIn("INCOMPLETE", out)

    def test_incomplete_answer_without_allow_partial_exits_1(self):
        for client in self.clients():
            for client_id, text in (
                    ("partial", "1 of 3 shares missing: "
                                "F 2020-09-13..2020-09-24 (DEADLINE_EXCEEDED)"),
                    ("oldnode", "0 of 2 shares missing")):
                with self.subTest(client=client or "python", id=client_id):
                    self.service.reset()
                    result = self.run_client("--json", "get_all",
                                             "--client-id", client_id,
                                             client=client)
                    self.assertEqual(result.returncode, 1)
                    self.assertEqual(result.stdout, "")
                    self.assertEqual(
                        result.stderr,
                        "error: incomplete answer (%s); pass --allow-partial "
                        "to accept it\n" % text)
                    # Nothing pulled, and the result is released.
                    self.assertEqual(self.service.chunk_calls, [])
                    self.assertEqual(self.service.releases, ["q-1"])

    def test_unknown_reason_prints_its_number(self):
        for client in self.clients():
            with self.subTest(client=client or "python"):
                result = self.run_client("--json", "get_all", "--client-id",
                                         "oddreason", "--allow-partial",
                                         client=client)
                self.assertEqual(result.returncode, 3, result.stderr)
                head = json.loads(result.stdout.splitlines()[0])
                self.assertEqual(head["missing"], [
                    {"node_id": "G", "share": "2020-10-01..2020-10-02",
                     "reason": "7", "message": ""}])

    # ---- deadlines ----

    def test_timeout_is_sent_with_every_call(self):
        for client in self.clients():
            with self.subTest(client=client or "python"):
                self.service.reset()
                self.ok("--timeout", "20", "--json", "get_all", client=client)
                remaining = self.service.remaining
                self.assertEqual([rpc for rpc, _ in remaining],
                                 ["Query"] + ["GetChunk"] * 3 + ["Release"])
                for rpc, left in remaining:
                    # Loose bound: gRPC's server clock may lag a little.
                    self.assertIsNotNone(left, rpc)
                    self.assertLess(left, 21, rpc)

    def test_timeout_is_one_deadline_for_the_whole_query(self):
        # Query and the first GetChunk of "slow" each take SLOW_QUERY_S,
        # less than the timeout: a deadline per RPC would let the query
        # through, one deadline for the whole query cannot.
        self.assertLess(SLOW_QUERY_S, 1.0)
        self.assertGreater(2 * SLOW_QUERY_S, 1.0)
        for client in self.clients():
            for parallel in ("1", "2"):
                with self.subTest(client=client or "python",
                                  parallel=parallel):
                    self.service.reset()
                    result = self.run_client(
                        "--timeout", "1", "--parallel", parallel, "--json",
                        "get_all", "--client-id", "slow", client=client)
                    self.assertEqual(result.returncode, 1, result.stdout)
                    self.assertTrue(
                        result.stderr.startswith("error: DEADLINE_EXCEEDED"),
                        result.stderr)
                    self.assertEqual(result.stdout, "")
                    self.assertEqual(len(self.service.queries), 1)

    def test_timeout_expires_while_pulling(self):
        for client in self.clients():
            for parallel in ("1", "3"):
                with self.subTest(client=client or "python",
                                  parallel=parallel):
                    self.service.reset()
                    result = self.run_client(
                        "--timeout", "1", "--parallel", parallel, "--json",
                        "get_all", "--client-id", "stall", client=client)
                    self.assertEqual(result.returncode, 1, result.stdout)
                    self.assertTrue(
                        result.stderr.startswith("error: DEADLINE_EXCEEDED"),
                        result.stderr)
                    self.assertEqual(result.stdout, "")

    def test_timeout_and_parallel_may_follow_the_command(self):
        for client in self.clients():
            with self.subTest(client=client or "python"):
                self.service.reset()
                out = self.ok("get_all", "--client-id", "many-window3",
                              "--timeout=30", "--parallel", "3", "--json",
                              "--records", client=client)
                self.check_json_records(out, 25)
                self.assertEqual(self.service.max_in_chunk, WINDOW)

    # ---- parallel chunk pulls ----

    def test_parallel_pulls_a_window_and_prints_in_order(self):
        for client in self.clients():
            for inline in (False, True):
                with self.subTest(client=client or "python", inline=inline):
                    self.service.reset()
                    self.service.inline = inline
                    out = self.ok("--parallel", str(WINDOW), "--json",
                                  "--records", "get_all", "--client-id",
                                  "many-window3", client=client)
                    self.check_json_records(out, 25)
                    self.assertFalse(self.service.barrier_timed_out)
                    # WINDOW calls in flight at once, never more.
                    self.assertEqual(self.service.max_in_chunk, WINDOW)
                    first = 1 if inline else 0
                    self.assertEqual(
                        sorted(i for _, i in self.service.chunk_calls),
                        list(range(first, 9)))
                    # The lowest chunk of the first wave was answered last,
                    # yet the readable output is the sequential one.
                    self.service.reset()
                    readable = self.ok("--parallel", str(WINDOW), "--records",
                                       "get_all", "--client-id",
                                       "many-window3", client=client)
                    self.service.reset()
                    sequential = self.ok("--records", "get_all",
                                         "--client-id", "many",
                                         client=client)
                    self.assertEqual(self.strip_timing(readable),
                                     self.strip_timing(sequential))

    def test_parallel_one_is_sequential(self):
        for client in self.clients():
            with self.subTest(client=client or "python"):
                self.service.reset()
                self.ok("--json", "get_all", "--client-id", "many",
                        client=client)
                self.assertEqual(self.service.max_in_chunk, 1)
                self.assertEqual([i for _, i in self.service.chunk_calls],
                                 list(range(9)))

    def test_parallel_chunk_error_comes_in_order(self):
        for client in self.clients():
            with self.subTest(client=client or "python"):
                outputs = []
                for parallel in ("1", "4"):
                    self.service.reset()
                    result = self.run_client(
                        "--parallel", parallel, "--records", "get_all",
                        "--client-id", "many-fail2", client=client)
                    self.assertEqual(result.returncode, 1)
                    self.assertEqual(result.stderr,
                                     "error: NOT_FOUND: chunk 2 is gone\n")
                    # Released although the pull failed.
                    self.assertEqual(self.service.releases, ["q-1"])
                    outputs.append(self.strip_timing(result.stdout))
                # Chunks 0 and 1 printed, then the error: the same either way.
                self.assertEqual(outputs[0], outputs[1])
                self.assertEqual(len(outputs[0].splitlines()), 4 + 1 + 6)

    # ---- errors ----

    # ---- refusals with a retry hint ----

    def test_a_refusal_with_a_hint_is_retried_after_it(self):
        for client in self.clients():
            with self.subTest(client=client or "python"):
                self.service.reset()
                result = self.run_client("--json", "get_all", "--client-id",
                                         "busy2", client=client)
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(json.loads(
                    result.stdout.splitlines()[0])["total_records"], 7)
                times = self.service.query_times
                self.assertEqual(len(times), 3)  # refused twice, then answered
                for before, after in zip(times, times[1:]):
                    self.assertGreaterEqual(after - before,
                                            BUSY_HINT_MS / 1000.0)
                self.assertEqual(
                    result.stderr,
                    "overlay_client: RESOURCE_EXHAUSTED: admission: busy; "
                    "retrying in 50 ms (retry 1 of 2)\n"
                    "overlay_client: RESOURCE_EXHAUSTED: admission: busy; "
                    "retrying in 50 ms (retry 2 of 2)\n")

    def test_retries_are_bounded_and_can_be_turned_off(self):
        for client in self.clients():
            for retries in ("0", "1"):
                with self.subTest(client=client or "python", retries=retries):
                    self.service.reset()
                    result = self.run_client("--retries", retries, "get_all",
                                             "--client-id", "busy9",
                                             client=client)
                    self.assertEqual(result.returncode, 1)
                    self.assertEqual(self.service.queries, [])  # none answered
                    self.assertEqual(len(self.service.query_times),
                                     1 + int(retries))
                    self.assertTrue(result.stderr.endswith(
                        "error: RESOURCE_EXHAUSTED: admission: busy\n"),
                        result.stderr)

    def test_only_a_busy_refusal_with_time_for_its_hint_is_retried(self):
        for client in self.clients():
            with self.subTest(client=client or "python"):
                # UNAVAILABLE with a hint: the node as a whole was busy.
                self.service.reset()
                result = self.run_client("get_all", "--client-id",
                                         "busy1unavail", client=client)
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(len(self.service.query_times), 2)
                # No hint: not a refusal to wait out.
                self.service.reset()
                result = self.run_client("get_all", "--client-id",
                                         "busy1nohint", client=client)
                self.assertEqual(result.returncode, 1)
                self.assertEqual(len(self.service.query_times), 1)
                self.assertEqual(result.stderr,
                                 "error: RESOURCE_EXHAUSTED: admission: busy\n")
                # A hint past the deadline: fail now rather than at it.
                self.service.reset()
                result = self.run_client("--timeout", "3", "get_all",
                                         "--client-id", "busy1longhint",
                                         client=client)
                self.assertEqual(result.returncode, 1)
                self.assertEqual(len(self.service.query_times), 1)
                self.assertEqual(
                    result.stderr,
                    "overlay_client: retry hint 5000 ms is past the deadline; "
                    "not retrying\n"
                    "error: RESOURCE_EXHAUSTED: admission: busy\n")

    def test_not_found_exits_1(self):
        result = self.run_client("get_by_key", "nope")
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stderr, "error: NOT_FOUND: no site 'nope'\n")
        self.assertEqual(result.stdout, "")

    def test_chunk_error_exits_1(self):
        result = self.run_client("--json", "get_all", "--client-id", "expire")
        self.assertEqual(result.returncode, 1)
        self.assertTrue(result.stderr.startswith("error: NOT_FOUND: no result"),
                        result.stderr)

    def test_count_mismatch_exits_1(self):
        result = self.run_client("--json", "get_all", "--client-id", "short")
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stderr,
                         "error: received 7 records, expected 8\n")

    def test_corrupt_chunk_exits_1(self):
        result = self.run_client("--json", "--records", "get_all",
                                 "--client-id", "corrupt")
        self.assertEqual(result.returncode, 1)
        self.assertEqual(
            result.stderr,
            "error: chunk 1: corrupt chunk: columns have different lengths\n")

    def test_unreachable_target_exits_1(self):
        result = self.run_client("--target", "127.0.0.1:1", "--timeout", "5",
                                 "get_all", target=False)
        self.assertEqual(result.returncode, 1)
        self.assertTrue(result.stderr.startswith("error: UNAVAILABLE: "),
                        result.stderr)

    def test_bad_arguments_exit_2(self):
        cases = [
            [],
            ["frobnicate"],
            ["query", "PM7"],
            ["query", "--min", "abc"],
            ["query", "PM2.5", "1", "2", "3"],
            ["query", "--from", "2020-13-01"],
            ["query", "--to", "2020-08-18T25:00"],
            ["query", "--bbox", "1,2,3"],
            ["query", "--aqi-min", "3000000000"],
            ["query", "--min"],
            ["get_all", "extra"],
            ["get_all", "--param", "PM10"],
            ["get_by_key"],
            ["get_by_prefix"],
            ["get_by_prefix", "a", "b"],
            ["get_all", "--chunk-size", "-1"],
            ["get_all", "--limit", "1_0"],
            ["--timeout"],
            ["--timeout", "x", "get_all"],
            ["--timeout", "0", "get_all"],
            ["--timeout", "-1", "get_all"],
            ["--timeout", "inf", "get_all"],
            ["--timeout=", "get_all"],
            ["get_all", "--timeout"],
            ["get_all", "--timeout", "nan"],
            ["--parallel", "0", "get_all"],
            ["--parallel", "65", "get_all"],
            ["--parallel", "2.5", "get_all"],
            ["--parallel=x", "get_all"],
            ["--retries", "-1", "get_all"],
            ["--retries", "11", "get_all"],
            ["get_all", "--retries", "1.5"],
            ["get_all", "--parallel"],
            ["get_all", "--allow-partial=true"],
            ["query", "--no-cache=1"],
            ["metrics", "--all"],  # needs --config
            ["processes"],         # needs --config
        ]
        for client in self.clients():
            for args in cases:
                with self.subTest(client=client or "python", args=args):
                    result = self.run_client(*args, client=client)
                    self.assertEqual(result.returncode, 2, result.stderr)
                    self.assertEqual(result.stdout, "")
                    self.assertNotEqual(result.stderr, "")
        self.assertEqual(self.service.queries, [])
        result = self.run_client("query", "--min", "abc")
        self.assertIn("--min: not a number: 'abc'", result.stderr)
        self.assertIn("usage:", result.stderr)

    def test_missing_stubs_exit_2(self):
        env = dict(os.environ, OVERLAY_PY_STUBS=self.tmp.name)
        result = subprocess.run([sys.executable, CLIENT, "--target",
                                 self.target, "get_all"], capture_output=True,
                                text=True, env=env, timeout=120)
        self.assertEqual(result.returncode, 2)
        self.assertIn("no Python stubs", result.stderr)
        # --stubs wins over the environment.
        result = subprocess.run([sys.executable, CLIENT, "--stubs", STUBS,
                                 "--target", self.target, "--json", "get_all"],
                                capture_output=True, text=True, env=env,
                                timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)

    # ---- config, metrics, health, shutdown ----

    def test_config_chooses_the_portal(self):
        path = self.write_config("portal.json", [
            {"id": "A", "role": "leader", "host": "127.0.0.1", "port": 1},
            {"id": "B", "role": "worker", "host": "127.0.0.1",
             "port": self.port}], portal="B")
        out = self.ok("--config", path, "--json", "get_all", target=False)
        self.assertEqual(json.loads(out)["total_records"], 7)
        out = self.ok("--config", path, "processes", target=False)
        self.assertEqual(out, "A 127.0.0.1:1\nB %s\n" % self.target)
        result = self.run_client("--config", os.path.join(self.tmp.name, "x"),
                                 "get_all", target=False)
        self.assertEqual(result.returncode, 2)

    def test_metrics(self):
        out = self.ok("metrics")
        self.assertTrue(out.startswith('node_id: "A"\nrole: "leader"\n'), out)
        self.assertIn("uptime_s: 12\n", out)
        self.assertIn('latency {\n  rpc: "Query"\n  count: 5\n', out)
        self.assertIn("  connected: true\n", out)
        out = self.ok("--json", "metrics")
        m = json.loads(out)
        self.assertEqual(m["nodeId"], "A")
        self.assertEqual(m["rowsLoaded"], "108117")
        self.assertEqual(m["latency"][1]["p99Ms"], 7.125)
        self.assertIn('"uptimeS":12,', out)

    def test_metrics_all(self):
        path = self.write_config("all.json", [
            {"id": "A", "role": "leader", "team": "green",
             "host": "127.0.0.1", "port": self.port},
            {"id": "B", "role": "worker", "team": "pink",
             "host": "127.0.0.1", "port": 1}])
        result = self.run_client("--config", path, "metrics", "--all",
                                 target=False)
        self.assertEqual(result.returncode, 1)  # B is down
        lines = result.stdout.splitlines()
        self.assertEqual(lines[0].split(),
                         ["id", "role", "team", "address", "state", "rows",
                          "queries", "executed", "inflt", "rss_mb", "cpu_s",
                          "q_p99_ms"])
        self.assertEqual(lines[1].split(),
                         ["A", "leader", "green", self.target, "up", "108117",
                          "5", "6", "1", "50.0", "1.25", "7.125"])
        self.assertEqual(lines[2].split(),
                         ["B", "worker", "pink", "127.0.0.1:1", "down"])
        self.assertEqual(lines[4], "admission (since start; admitted "
                         "includes follow-ups):")
        self.assertEqual(lines[6].split(),
                         ["A", "Query", "8", "2", "1", "40", "3", "0.250",
                          "client_queue_full=2", "overloaded=1"])
        self.assertEqual(lines[7].split(),
                         ["A", "Execute", "4", "0", "0", "0", "0", "0.000",
                          "-"])
        self.assertEqual(lines[9], "admission classes:")
        self.assertEqual(lines[11].split(),
                         ["A", "Query", "default", "heavy", "30", "3", "1",
                          "0.250", "client_queue_full=2", "overloaded=1"])
        self.assertEqual(len(lines), 12)  # the idle class is left out
        if os.access(CPP_CLIENT, os.X_OK):
            cpp = self.run_client("--config", path, "metrics", "--all",
                                  target=False, client=CPP_CLIENT)
            self.assertEqual(cpp.returncode, result.returncode)
            self.assertEqual(cpp.stdout, result.stdout)

    def test_health(self):
        self.assertEqual(self.ok("health"), "%s SERVING\n" % self.target)

    def test_shutdown(self):
        self.assertEqual(self.ok("shutdown"),
                         "shutdown accepted by %s\n" % self.target)
        self.assertEqual(self.service.shutdowns, 1)

    # ---- formatting ----

    def test_format_double_matches_to_chars(self):
        fd = overlay_client.format_double
        cases = [(62.0, "62"), (17.3, "17.3"), (-124.20347, "-124.20347"),
                 (0.0, "0"), (-0.0, "-0"), (1e6, "1e+06"), (1e5, "1e+05"),
                 (1e4, "10000"), (0.001, "0.001"), (0.0001, "1e-04"),
                 (0.00012, "0.00012"), (1.5e-5, "1.5e-05"),
                 (2.0 ** 60, "1152921504606846976"), (1e22, "1e+22"),
                 (float("nan"), "null"), (float("inf"), "null")]
        for value, text in cases:
            self.assertEqual(fd(value), text, value)
        self.assertEqual(overlay_client.simple_dtoa(0.1), "0.1")
        self.assertEqual(overlay_client.simple_dtoa(12.0), "12")

    # ---- parity with the C++ client ----

    @staticmethod
    def strip_timing(text):
        """Query ids and elapsed times differ between runs; the rest must
        match byte for byte."""
        text = re.sub(r'"query_id":"q-\d+"', "", text)
        text = re.sub(r'"elapsed_ms":[^,]*,', "", text)
        text = re.sub(r"(?m)^query q-\d+:", "query:", text)
        return re.sub(r"(?m)^received (\d+) records in .*$", r"\1", text)

    @unittest.skipUnless(os.access(CPP_CLIENT, os.X_OK),
                         "C++ overlay_client not built")
    def test_same_output_as_cpp_client(self):
        strip_timing = self.strip_timing
        for args in (["--json", "--records", "query", "PM2.5", "5", "35"],
                     ["--json", "get_all", "--client-id", "many"],
                     ["--records", "get_all", "--client-id", "many"],
                     ["--parallel", "4", "--json", "--records", "get_all",
                      "--client-id", "many"],
                     ["--json", "--records", "get_all", "--client-id",
                      "partial", "--allow-partial"],
                     ["get_all", "--client-id", "partial", "--allow-partial"],
                     ["get_all", "--client-id", "partial"],
                     ["get_by_prefix", "C"],
                     ["metrics"], ["--json", "metrics"], ["shutdown"]):
            for inline in (False, True):
                with self.subTest(args=args, inline=inline):
                    self.service.inline = inline
                    py = self.run_client(*args)
                    cpp = self.run_client(*args, client=CPP_CLIENT)
                    self.assertEqual(py.returncode, cpp.returncode)
                    self.assertEqual(strip_timing(py.stdout),
                                     strip_timing(cpp.stdout))


if __name__ == "__main__":
    unittest.main(verbosity=2)
