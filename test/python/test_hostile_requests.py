#!/usr/bin/python3
# Copyright 2026 The overlay Authors.
"""Hostile requests to every RPC of a real overlay (configs/one_host.json as
overlay_node processes on loopback, a small generated data set, a peer
secret in a 0600 file), sent as raw bytes the way an attacker would: huge
and overflowing offsets and counts, negative and huge chunk indexes,
non-UTF-8 strings, 10,001 site keys, a 300-byte prefix, oversized
messages, guessed and foreign query ids, PeerService calls without (or
with a wrong) secret, Shutdown without the secret. Checks the exact codes,
that none is INTERNAL/UNKNOWN, that the nodes log no line per hostile
message, and that they keep serving correct answers throughout.

  /usr/bin/python3 test/python/test_hostile_requests.py [STUBS_DIR]

STUBS_DIR (or $OVERLAY_PY_STUBS) holds protos/overlay_pb2.py; the binaries
are found in $OVERLAY_BIN (default <stubs>/../bin).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
    STUBS = os.path.abspath(sys.argv.pop(1))
else:
    STUBS = os.path.abspath(os.environ.get(
        "OVERLAY_PY_STUBS", os.path.join(REPO, "build", "python")))
sys.path.insert(0, STUBS)
BIN = os.environ.get("OVERLAY_BIN", os.path.join(os.path.dirname(STUBS), "bin"))

import grpc  # noqa: E402
from protos import overlay_pb2 as pb  # noqa: E402

SECRET_KEY = "overlay-peer-secret"
SECRET = "hostile-test-secret-0123456789abcdef"
QUERY_CAP = 256 << 10          # kMaxQueryRequestBytes
ANY_CAP = QUERY_CAP + (16 << 10)  # kMaxAnyRequestBytes
Q = "/overlay.v1.QueryService/"
P = "/overlay.v1.PeerService/"
HEALTH = "/grpc.health.v1.Health/"
FORBIDDEN = (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN)


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def with_field(message, placeholder, raw):
    """The serialized message with `placeholder` (a string field's value)
    replaced by `raw` bytes of the same length: non-UTF-8 on the wire."""
    wire = message.SerializeToString()
    assert len(placeholder) == len(raw) and placeholder in wire
    return wire.replace(placeholder, raw, 1)


def pm25(client_id="", chunk_size=100, **kw):
    f = pb.Filter(parameters=[pb.PM25], min_concentration=10, max_concentration=50)
    return pb.QueryRequest(filter=f, chunk_size=chunk_size, client_id=client_id, **kw)


class HostileRequestsTest(unittest.TestCase):
    tally = {}  # status code name -> hostile (and checking) calls that got it

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="overlay-hostile-")
        cls.procs = []
        try:
            cls._start()
        except Exception:
            cls._stop()
            raise

    @classmethod
    def _start(cls):
        data = os.path.join(cls.work, "data")
        subprocess.run([os.path.join(BIN, "gen_dataset"), "--out", data,
                        "--sites", "60", "--scale", "0.03"],
                       check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(REPO, "configs", "one_host.json")) as f:
            config = json.load(f)
        config["data_root"] = data
        # Its own shared cache segment, removed by _stop even after a kill.
        config["name"] = "hostile-%d" % os.getpid()
        cls.segment = "/dev/shm/overlay-%s-host1" % config["name"]
        ports = free_ports(len(config["processes"]))
        cls.addr = {}
        for p, port in zip(config["processes"], ports):
            p["host"], p["port"] = "127.0.0.1", port
            cls.addr[p["id"]] = "127.0.0.1:%d" % port
        secret_file = os.path.join(cls.work, "peer_secret")
        with open(os.open(secret_file, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(SECRET + "\n")
        config["peer_secret_file"] = secret_file
        cls.config = os.path.join(cls.work, "config.json")
        with open(cls.config, "w") as f:
            json.dump(config, f)
        cls.logs = {}
        for p in config["processes"]:
            log = os.path.join(cls.work, p["id"] + ".log")
            cls.logs[p["id"]] = log
            with open(log, "w") as out:
                cls.procs.append(subprocess.Popen(
                    [os.path.join(BIN, "overlay_node"), "--config", cls.config,
                     "--id", p["id"], "--data", data, "--reflection=false"],
                    stdout=out, stderr=subprocess.STDOUT))
        opts = [("grpc.max_send_message_length", 64 << 20),
                ("grpc.max_receive_message_length", 64 << 20)]
        cls.channels = {i: grpc.insecure_channel(a, options=opts)
                        for i, a in cls.addr.items()}
        deadline = time.time() + 60
        for i in cls.addr:
            while True:
                try:
                    cls.call_on(i, HEALTH + "Check", b"", timeout=1)
                    break
                except grpc.RpcError:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.05)
        cls.reference = cls.count_pm25()

    @classmethod
    def _stop(cls):
        for channel in getattr(cls, "channels", {}).values():
            channel.close()
        for proc in cls.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in cls.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(cls.work, ignore_errors=True)
        if hasattr(cls, "segment") and os.path.exists(cls.segment):
            os.unlink(cls.segment)

    @classmethod
    def tearDownClass(cls):
        # Every node is still alive after all of it.
        alive = [p.poll() is None for p in cls.procs]
        sys.stderr.write("hostile calls by status: %s (%d in all); nodes alive: %d of %d\n" % (
            ", ".join("%s %d" % kv for kv in sorted(cls.tally.items())),
            sum(cls.tally.values()), sum(alive), len(alive)))
        cls._stop()
        assert all(alive), "a node died during the test"

    @classmethod
    def call_on(cls, node, method, request, metadata=(), timeout=30):
        return cls.channels[node].unary_unary(method)(
            request, metadata=metadata, timeout=timeout)

    @classmethod
    def count_pm25(cls):
        reply = pb.QueryResponse.FromString(cls.call_on(
            "A", Q + "Query", pm25("ref").SerializeToString()))
        total = 0
        for i in range(reply.total_chunks):
            chunk = pb.ChunkResponse.FromString(cls.call_on("A", Q + "GetChunk", pb.ChunkRequest(
                query_id=reply.query_id, chunk_index=i, client_id="ref").SerializeToString()))
            total += len(chunk.records.utc_seconds)
        assert total == reply.total_records
        cls.call_on("A", Q + "Release", pb.ReleaseRequest(
            query_id=reply.query_id, client_id="ref").SerializeToString())
        return total

    # ---- helpers

    def code(self, node, method, request, metadata=(), expect=None, text=None):
        try:
            self.call_on(node, method, request, metadata)
            code, details = grpc.StatusCode.OK, ""
        except grpc.RpcError as e:
            code, details = e.code(), e.details()
        HostileRequestsTest.tally[code.name] = HostileRequestsTest.tally.get(code.name, 0) + 1
        self.assertNotIn(code, FORBIDDEN, "%s: %s" % (method, details))
        if expect is not None:
            self.assertEqual(code, expect, "%s: %s" % (method, details))
        if text is not None:
            self.assertIn(text, details, method)
        return code, details

    def secret(self):
        return ((SECRET_KEY, SECRET),)

    def assert_still_serving(self):
        self.assertEqual(self.count_pm25(), self.reference)

    def log_lines(self):
        total = 0
        for path in self.logs.values():
            with open(path, "rb") as f:
                total += f.read().count(b"\n")
        return total

    def metrics(self, node):
        return pb.MetricsResponse.FromString(self.call_on(node, Q + "GetMetrics", b""))

    def query(self, client_id, **kw):
        reply = pb.QueryResponse.FromString(self.call_on(
            "A", Q + "Query",
            pm25(client_id, chunk_size=20, **kw).SerializeToString()))
        self.assertGreater(reply.total_chunks, 1)
        return reply

    # ---- the tests

    def test_non_utf8_in_every_rpc(self):
        lines = self.log_lines()
        cases = [
            (Q + "Query", with_field(pb.QueryRequest(client_id="@@"), b"@@", b"\xc3\x28"),
             "QueryRequest.client_id"),
            (Q + "Query", with_field(pb.QueryRequest(filter=pb.Filter(prefix="@@@")),
                                     b"@@@", b"\xed\xa0\x80"), "QueryRequest.filter.prefix"),
            (Q + "GetChunk", with_field(pb.ChunkRequest(query_id="@@"), b"@@", b"\xff\xfe"),
             "ChunkRequest.query_id"),
            (Q + "Release", with_field(pb.ReleaseRequest(query_id="@@"), b"@@", b"\x80\x80"),
             "ReleaseRequest.query_id"),
            (Q + "Shutdown", with_field(pb.ShutdownRequest(token="@@"), b"@@", b"\xc0\xaf"),
             "ShutdownRequest.token"),
            (P + "Execute", with_field(pb.ExecuteRequest(query_id="@@"), b"@@", b"\xf8\x88"),
             "ExecuteRequest.query_id"),
            (P + "Fetch", with_field(pb.FetchRequest(query_id="q", route=["@@"]), b"@@",
                                     b"\xe2\x28"), "FetchRequest.route[0]"),
            (P + "ReleaseResult", with_field(pb.ReleaseResultRequest(query_id="@@"), b"@@",
                                             b"\xc3\x28"), "ReleaseResultRequest.query_id"),
            (HEALTH + "Check", b"\x0a\x02\xc3\x28", "HealthCheckRequest.service"),
        ]
        for _ in range(20):  # many times: no log line per message
            for method, request, field in cases:
                self.code("A", method, request, self.secret(),
                          grpc.StatusCode.INVALID_ARGUMENT, field + " is not valid UTF-8")
        self.code("A", Q + "GetMetrics", b"\x0a\x09short", (),
                  grpc.StatusCode.INVALID_ARGUMENT, "MetricsRequest")
        self.assertLessEqual(self.log_lines() - lines, 2,
                             "the nodes logged hostile messages")
        self.assert_still_serving()

    def test_limits(self):
        keys = pm25()
        keys.filter.site_keys.extend(str(60000000 + i) for i in range(10001))
        self.code("A", Q + "Query", keys.SerializeToString(), (),
                  grpc.StatusCode.INVALID_ARGUMENT, "10001 entries; the limit is 10000")
        del keys.filter.site_keys[-1]
        self.code("A", Q + "Query", keys.SerializeToString(), (), grpc.StatusCode.OK)
        self.code("A", Q + "Query",
                  pb.QueryRequest(filter=pb.Filter(prefix="p" * 300)).SerializeToString(),
                  (), grpc.StatusCode.INVALID_ARGUMENT, "prefix is 300 bytes; the limit is 256")
        self.code("A", Q + "Query", pb.QueryRequest(limit=-1).SerializeToString(), (),
                  grpc.StatusCode.INVALID_ARGUMENT, "limit")
        self.code("A", Q + "Query", pb.QueryRequest(chunk_size=2**31 - 1).SerializeToString(),
                  (), grpc.StatusCode.INVALID_ARGUMENT, "chunk_size")
        self.code("A", Q + "Query", pb.QueryRequest(
            filter=pb.Filter(from_utc_seconds=-2**63)).SerializeToString(), (),
            grpc.StatusCode.INVALID_ARGUMENT, "from_utc_seconds")
        big = pb.QueryRequest(filter=pb.Filter(site_keys=["k" * 30] * 8500))
        self.assertGreater(big.ByteSize(), QUERY_CAP)
        self.assertLess(big.ByteSize(), ANY_CAP)
        self.code("A", Q + "Query", big.SerializeToString(), (),
                  grpc.StatusCode.RESOURCE_EXHAUSTED, "-byte limit")
        for method in (Q + "Query", Q + "GetChunk", P + "Execute", HEALTH + "Check"):
            self.code("A", method, b"\x0a\xff\xff\x7f" + b"x" * (8 << 20),
                      self.secret(), grpc.StatusCode.RESOURCE_EXHAUSTED, str(ANY_CAP))
        self.code("A", Q + "GetChunk", pb.ChunkRequest(query_id="q" * 5000).SerializeToString(),
                  (), grpc.StatusCode.RESOURCE_EXHAUSTED, "4096-byte limit")
        self.code("A", Q + "GetMetrics", b"\x08\x01" * 2000, (),
                  grpc.StatusCode.RESOURCE_EXHAUSTED, "1024-byte limit")
        self.assert_still_serving()

    def test_offsets_counts_and_indexes(self):
        # Fresh: the owners hold their rows for Fetch (otherwise co-located
        # shares are read from the shared cache and nobody holds any).
        reply = self.query("carol", fresh=True)
        qid = reply.query_id
        for index in (-1, -2**31, reply.total_chunks, 2**31 - 1):
            expect = (grpc.StatusCode.INVALID_ARGUMENT if index < 0
                      else grpc.StatusCode.OUT_OF_RANGE)
            self.code("A", Q + "GetChunk", pb.ChunkRequest(
                query_id=qid, chunk_index=index, client_id="carol").SerializeToString(),
                (), expect)
        # Fetch at the portal's own rows: offsets near 2^63, negative counts.
        for offset, count, expect in [
                (2**63 - 1, 1, grpc.StatusCode.INVALID_ARGUMENT),
                (2**63 - 20000, 20000, grpc.StatusCode.INVALID_ARGUMENT),
                (-1, 10, grpc.StatusCode.INVALID_ARGUMENT),
                (0, -1, grpc.StatusCode.INVALID_ARGUMENT),
                (0, 2**31 - 1, grpc.StatusCode.INVALID_ARGUMENT),
                (2**40, 20000, grpc.StatusCode.OUT_OF_RANGE),
                (2**40 - 1, 1, grpc.StatusCode.OUT_OF_RANGE)]:
            self.code("A", P + "Fetch", pb.FetchRequest(
                query_id=qid, offset=offset, count=count).SerializeToString(),
                self.secret(), expect)
        self.code("B", P + "Fetch", pb.FetchRequest(
            query_id=qid, route=["A", "C", "ZZ"], offset=0, count=5).SerializeToString(),
            self.secret())
        self.code("A", P + "Execute", pb.ExecuteRequest(
            query_id="A-x", path=["A"] * 70).SerializeToString(), self.secret(),
            grpc.StatusCode.INVALID_ARGUMENT, "path")
        self.code("A", P + "ReleaseResult", pb.ReleaseResultRequest(
            query_id="A-x", flood=True, hops_left=-5).SerializeToString(), self.secret(),
            grpc.StatusCode.INVALID_ARGUMENT, "hops_left")
        # The owner still pulls every chunk.
        for i in range(reply.total_chunks):
            self.code("A", Q + "GetChunk", pb.ChunkRequest(
                query_id=qid, chunk_index=i, client_id="carol").SerializeToString(),
                (), grpc.StatusCode.OK)
        self.code("A", Q + "Release", pb.ReleaseRequest(
            query_id=qid, client_id="carol").SerializeToString(), (), grpc.StatusCode.OK)
        self.assert_still_serving()

    def test_guessed_and_foreign_ids(self):
        reply = self.query("alice")
        qid = reply.query_id
        unknown = "A-" + "0" * 32

        def chunk(query_id, client):
            return pb.ChunkRequest(query_id=query_id, chunk_index=0,
                                   client_id=client).SerializeToString()

        _, never = self.code("A", Q + "GetChunk", chunk(unknown, "alice"), (),
                             grpc.StatusCode.NOT_FOUND)
        guess = qid[:-1] + ("1" if qid[-1] == "0" else "0")
        for query_id, client in ((qid, "mallory"), (qid, ""), (guess, "alice")):
            _, details = self.code("A", Q + "GetChunk", chunk(query_id, client), (),
                                   grpc.StatusCode.NOT_FOUND)
            self.assertEqual(details, never.replace(unknown, query_id))
            _, details = self.code("A", Q + "Release", pb.ReleaseRequest(
                query_id=query_id, client_id=client).SerializeToString(), (),
                grpc.StatusCode.NOT_FOUND)
        self.code("A", Q + "GetChunk", chunk(qid, "alice"), (), grpc.StatusCode.OK)
        self.code("A", Q + "Release", pb.ReleaseRequest(
            query_id=qid, client_id="alice").SerializeToString(), (), grpc.StatusCode.OK)

    def test_peer_service_without_the_secret(self):
        executed = self.metrics("E").queries_executed
        execute = pb.ExecuteRequest(query_id="A-spoof", path=["A"], hops_left=5,
                                    filter=pm25().filter).SerializeToString()
        for node in ("A", "E", "F"):
            for metadata in ((), ((SECRET_KEY, "x" * len(SECRET)),),
                             ((SECRET_KEY, SECRET[:-1]),)):
                for method, request in ((P + "Execute", execute),
                                        (P + "Fetch", pb.FetchRequest(
                                            query_id="A-spoof", count=5).SerializeToString()),
                                        (P + "ReleaseResult", pb.ReleaseResultRequest(
                                            query_id="A-spoof", flood=True,
                                            hops_left=3).SerializeToString())):
                    self.code(node, method, request, metadata,
                              grpc.StatusCode.UNAUTHENTICATED, "peer credential")
        metrics = self.metrics("E")
        self.assertGreaterEqual(metrics.peer_calls_refused, 9)
        self.assertEqual(metrics.queries_executed, executed, "a spoofed call did work")
        self.assert_still_serving()

    def test_shutdown_needs_the_secret(self):
        for node in self.addr:
            self.code(node, Q + "Shutdown", pb.ShutdownRequest().SerializeToString(), (),
                      grpc.StatusCode.PERMISSION_DENIED)
            self.code(node, Q + "Shutdown", pb.ShutdownRequest(token="guess")
                      .SerializeToString(), (), grpc.StatusCode.PERMISSION_DENIED)
        self.assert_still_serving()

    def test_garbage_bytes_everywhere(self):
        methods = [Q + m for m in ("Query", "GetChunk", "Release", "GetMetrics",
                                   "Shutdown")] + \
                  [P + m for m in ("Execute", "Fetch", "ReleaseResult")] + [HEALTH + "Check"]
        blobs = [b"\xff" * 7, b"\x0a\xff\xff\xff\xff\x0f", b"\x12\x05ab", b"\x08" * 11,
                 bytes(range(256)), b"\x0a\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01"]
        for method in methods:
            for blob in blobs:
                self.code("A", method, blob, self.secret())
        self.assert_still_serving()


if __name__ == "__main__":
    unittest.main(verbosity=2)
