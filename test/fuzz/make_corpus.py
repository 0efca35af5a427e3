#!/usr/bin/python3
"""Writes the seed corpus of the fuzz targets into test/fuzz/corpus/.

    test/fuzz/make_corpus.py [STUBS_DIR]   # default build/python (Debian python3-protobuf)

Needs the generated Python stubs (built with the project). The seeds are
small, valid-looking inputs, one file each, so every fuzzer starts from
the shapes the nodes really see; the corpus is committed, this script only
regenerates it after a protocol change.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "python"))
from protos import overlay_pb2 as pb  # noqa: E402

CORPUS = os.path.join(ROOT, "test", "fuzz", "corpus")

# request_fuzzer: byte 0 picks the type (its index here), byte 1 the slice size.
REQUEST_TYPES = ["QueryRequest", "ChunkRequest", "ReleaseRequest", "MetricsRequest",
                 "ShutdownRequest", "ExecuteRequest", "FetchRequest", "ReleaseResultRequest"]


def write(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data)


def request(name, message, slice_size=7):
    kind = REQUEST_TYPES.index(type(message).__name__)
    write("request_fuzzer", name, bytes([kind, slice_size]) + message.SerializeToString())


def filters():
    f = pb.Filter(parameters=[pb.PM25, pb.OZONE], min_concentration=5, max_concentration=35,
                  min_aqi=10, max_aqi=150, categories=[1, 2], from_utc_seconds=1597017600,
                  to_utc_seconds=1597622399, prefix="Cres")
    f.bbox.min_latitude, f.bbox.min_longitude = 32, -125
    f.bbox.max_latitude, f.bbox.max_longitude = 42, -114
    keys = pb.Filter(site_keys=["060371103", "840060150007", "060150007"])
    return f, keys


def requests():
    f, keys = filters()
    request("query_full", pb.QueryRequest(filter=f, limit=500, chunk_size=100, client_id="alice",
                                          inline_first_chunk=True, allow_partial=True, fresh=True))
    request("query_keys", pb.QueryRequest(filter=keys, limit=5), slice_size=1)
    request("query_empty", pb.QueryRequest())
    request("chunk", pb.ChunkRequest(query_id="A-00112233445566778899aabbccddeeff", chunk_index=3))
    request("release", pb.ReleaseRequest(query_id="A-00112233445566778899aabbccddeeff"))
    request("metrics", pb.MetricsRequest())
    request("shutdown", pb.ShutdownRequest(token="s3cret"))
    request("execute", pb.ExecuteRequest(
        query_id="A-1", filter=f, limit=100, path=["A", "B"], hops_left=14,
        request_class=pb.RequestClass(team="green", client="alice"), chunk_size=500))
    request("fetch", pb.FetchRequest(query_id="A-1", route=["B", "D"], offset=4000, count=500,
                                     request_class=pb.RequestClass(team="pink", client="bob")))
    request("release_result_flood", pb.ReleaseResultRequest(
        query_id="A-1", flood=True, path=["A"], hops_left=15))
    request("release_result_route", pb.ReleaseResultRequest(query_id="A-1", route=["B", "E"]))


def chunks():
    c = pb.RecordChunk(parameter_names=["OZONE", "PM2.5", "PM10", "NO2", "SO2", "CO", "BC"],
                       unit_names=["PPB", "UG/M3"])
    c.sites.add(latitude=41.75613, longitude=-124.20347, site_name="Crescent City",
                agency="North Coast Unified AQMD", aqs_id="840060150007",
                full_aqs_id="840060150007")
    c.sites.add(latitude=45.4965, longitude=-122.6034, site_name="Portland, SE Lafayette",
                agency="Oregon DEQ", aqs_id="410510080", full_aqs_id="840410510080")
    rows = [(0, 1597021200, 1, 17.3, 1, 18.0, 62, 2, 0),
            (1, 1597021200, 0, 21, 0, 21.0, 20, 1, 0),
            (1, 1597024800, 6, 0, 1, 0, 0, 0, 15)]
    for site, utc, param, conc, unit, raw, aqi, cat, missing in rows:
        c.site.append(site)
        c.utc_seconds.append(utc)
        c.parameter.append(param)
        c.concentration.append(conc)
        c.unit.append(unit)
        c.raw_concentration.append(raw)
        c.aqi.append(aqi)
        c.category.append(cat)
        c.missing.append(missing)
    write("chunk_fuzzer", "three_records", c.SerializeToString())
    write("chunk_fuzzer", "empty", b"")


def words():
    for name, line in [
            ("query", "query\nPM2.5\n5\n35\n--limit\n5"),
            ("query_flags", "query\n--param\nOZONE,PM10\n--min=60\n--aqi-max\n200\n--category\n1,2"
                            "\n--from\n2020-09-01T00:00\n--to\n2020-09-01\n--bbox\n32,-125,42,-114"),
            ("get_all", "get_all\n--chunk-size\n700\n--client-id\nme\n--allow-partial\n--no-cache"),
            ("get_by_key", "get_by_key\n840060150007\n060150007"),
            ("get_by_prefix", "get_by_prefix\nCrescent\n--limit\n3")]:
        write("query_words_fuzzer", name, line.encode())


def csv():
    data = os.path.join(ROOT, "test", "data", "store_root", "20200810")
    for name in sorted(os.listdir(data)):
        with open(os.path.join(data, name), "rb") as f:
            write("csv_fuzzer", name, f.read())
    write("csv_fuzzer", "odd_rows.csv",
          b'\xef\xbb\xbf"1","2","2020-08-10T01:00","PM2.5","-999","UG/M3","","","",'
          b'"a ""quoted"", name","b","c","d"\r\n'
          b'"1","2","2020-08-10T01:00","X"\n\n'
          b'"41.7","-124.2","2020-08-10 01:00:00Z","ozone","+1e2","PPB","62.0","62","7",'
          b'"n","a","i","f",\n')


# node_handlers_fuzzer: byte 0 the RPC (index here), byte 1 the flags
# (1: the peer secret, 2: append a live query id, (n << 2): node n of one_host).
NODE_METHODS = ["Query", "GetChunk", "Release", "GetMetrics", "Shutdown", "Execute",
                "Fetch", "ReleaseResult", "HealthCheck"]


def node_call(name, method, message, secret=False, live=False, node=0):
    flags = (1 if secret else 0) | (2 if live else 0) | (node << 2)
    payload = message if isinstance(message, bytes) else message.SerializeToString()
    write("node_handlers_fuzzer", name, bytes([NODE_METHODS.index(method), flags]) + payload)


def node_handlers():
    f = pb.Filter(parameters=[pb.PM25], min_concentration=10, max_concentration=50)
    node_call("query", "Query", pb.QueryRequest(filter=f, limit=500, chunk_size=50,
                                                 client_id="c", inline_first_chunk=True))
    node_call("query_keys", "Query", pb.QueryRequest(
        filter=pb.Filter(site_keys=["060371103", "840060371103"], prefix="06"), chunk_size=3))
    node_call("chunk_live", "GetChunk", pb.ChunkRequest(chunk_index=1), live=True)
    node_call("chunk_past_end", "GetChunk", pb.ChunkRequest(chunk_index=2**31 - 1), live=True)
    node_call("release_live", "Release", pb.ReleaseRequest(), live=True)
    node_call("metrics", "GetMetrics", pb.MetricsRequest(), node=3)
    node_call("shutdown", "Shutdown", pb.ShutdownRequest(token="nope"))
    node_call("execute", "Execute", pb.ExecuteRequest(
        query_id="A-fuzz", filter=f, limit=10, path=["A"], hops_left=4, chunk_size=100,
        request_class=pb.RequestClass(team="t", client="c")), secret=True, node=4)
    node_call("execute_no_secret", "Execute", pb.ExecuteRequest(query_id="A-fuzz", path=["A"]),
              node=1)
    node_call("fetch_live", "Fetch", pb.FetchRequest(offset=0, count=20), secret=True, live=True)
    node_call("fetch_far", "Fetch", pb.FetchRequest(offset=2**40, count=20000), secret=True,
              live=True)
    node_call("fetch_route", "Fetch", pb.FetchRequest(route=["E", "F"], offset=1, count=5),
              secret=True, live=True)
    node_call("release_result_flood", "ReleaseResult", pb.ReleaseResultRequest(
        flood=True, path=["A"], hops_left=3), secret=True, live=True)
    node_call("health", "HealthCheck", b"", node=5)
    node_call("health_unknown", "HealthCheck", b"\x0a\x04nope")


if __name__ == "__main__":
    node_handlers()
    requests()
    chunks()
    words()
    csv()
