#!/usr/bin/env bash
# The two_hosts overlay across two network namespaces joined by a veth pair:
# host1 = {A, B, D}, host2 = {C, E, F}, each host its own network stack and
# address, as on two machines. Needs root and iproute2; otherwise it exits
# 77 (skipped). Traffic stays inside the namespaces this test makes; they,
# the processes and the temp files are removed on any exit.
#   netns_two_hosts_test.sh BIN_DIR REPO_ROOT
set -euo pipefail
bin="${1:?bin dir}"
repo="${2:?repo root}"

if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null 2>&1; then
  echo "SKIP: needs root and iproute2 (ip netns)"; exit 77
fi
tag="ovl$$"
ns1="$tag-h1"; ns2="$tag-h2"
if ! ip netns add "$ns1" 2>/dev/null; then
  echo "SKIP: cannot create network namespaces here"; exit 77
fi
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$ns1" 2>/dev/null || true
  ip netns del "$ns2" 2>/dev/null || true
  # Killed nodes leave their shared cache segments behind.
  rm -f "/dev/shm/overlay-$tag-host1" "/dev/shm/overlay-$tag-host2"
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns2"
ip link add "$tag-a" type veth peer name "$tag-b"
ip link set "$tag-a" netns "$ns1"
ip link set "$tag-b" netns "$ns2"
# A /30 of our own, only inside these two namespaces.
ip -n "$ns1" addr add 10.213.77.1/30 dev "$tag-a"
ip -n "$ns2" addr add 10.213.77.2/30 dev "$tag-b"
for ns in "$ns1" "$ns2"; do
  ip -n "$ns" link set lo up
done
ip -n "$ns1" link set "$tag-a" up
ip -n "$ns2" link set "$tag-b" up

rows=$("$bin/gen_dataset" --out "$work/data" --sites 80 --scale 0.05 | sed -E 's/.* ([0-9]+) rows.*/\1/')
/usr/bin/python3 - "$repo/configs/two_hosts.json" "$work/config.json" "$work/data" "$tag" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
config["data_root"] = sys.argv[3]
config["name"] = sys.argv[4]  # segments of its own: overlay-<tag>-host<n>
hosts = {"host1": "10.213.77.1", "host2": "10.213.77.2"}
for p in config["processes"]:
    p["host"] = hosts[p["host_group"]]
json.dump(config, open(sys.argv[2], "w"), indent=1)
PY
config="$work/config.json"
# One peer secret for both hosts, as an operator copies it (see
# scripts/start_two_hosts.sh): every Execute crossing the veth carries it.
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/peer_secret")
declare -A ns_of=([host1]="$ns1" [host2]="$ns2")
while read -r id addr; do
  group=host1; [[ "$addr" == 10.213.77.2:* ]] && group=host2
  ip netns exec "${ns_of[$group]}" "$bin/overlay_node" --config "$config" --id "$id" \
    --peer-secret-file "$work/peer_secret" >"$work/$id.log" 2>&1 &
  pids+=($!)
  echo "$id $addr ${ns_of[$group]}" >>"$work/nodes"
done < <("$bin/overlay_client" --config "$config" processes)
# Each node is asked for its health from the other host: the veth works.
while read -r id addr ns; do
  other="$ns1"; [ "$ns" = "$ns1" ] && other="$ns2"
  for _ in $(seq 1 200); do
    ip netns exec "$other" "$bin/overlay_client" --target "$addr" --timeout 1 health >/dev/null 2>&1 && break
    sleep 0.05
  done
  ip netns exec "$other" "$bin/overlay_client" --target "$addr" --timeout 2 health \
    || { echo "FAIL: $id not healthy"; tail -5 "$work/$id.log"; exit 1; }
done <"$work/nodes"

portal="10.213.77.1:60051"
first=$(ip netns exec "$ns1" "$bin/overlay_client" --target "$portal" --json get_all --chunk-size 700 | head -1)
echo "$first"
total=$(echo "$first" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["total_records"], d["records_received"], len(d["shares"]), len(d["failures"]))')
[ "$total" = "$rows $rows 6 0" ] || { echo "FAIL: got '$total', want '$rows $rows 6 0'"; exit 1; }
# The same answer from the second host's side of the overlay's data.
pm=$(ip netns exec "$ns1" "$bin/overlay_client" --target "$portal" --json query PM2.5 5 35 | head -1 |
  /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["total_records"] == d["records_received"] and d["total_records"] > 0)')
[ "$pm" = "True" ] || { echo "FAIL: PM2.5 query"; exit 1; }
# A host2 node dies: a strict query fails naming its share; with
# --allow-partial the rest still answers, marked incomplete (exit 3).
kill -TERM "${pids[5]}"; wait "${pids[5]}" || true
set +e
strict=$(ip netns exec "$ns1" "$bin/overlay_client" --target "$portal" --timeout 10 get_all 2>&1)
strict_code=$?
out=$(ip netns exec "$ns1" "$bin/overlay_client" --target "$portal" --timeout 10 --json get_all --allow-partial)
partial_code=$?
set -e
[ "$strict_code" = 1 ] && echo "$strict" | grep -q "F (2020-09-13..2020-09-24)" ||
  { echo "FAIL: strict query after F stopped: exit $strict_code: $strict"; exit 1; }
partial=$(echo "$out" | head -1 | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["shares"]), d["records_received"] == d["total_records"], d["complete"], [m["node_id"] for m in d["missing"]])')
[ "$partial_code" = 3 ] && [ "$partial" = "5 True False ['F']" ] ||
  { echo "FAIL: after F stopped got exit $partial_code '$partial'"; exit 1; }
echo "1 passed, 0 failed"
