#!/usr/bin/env bash
# The artifacts of a failed seed, checked with the tools people read them
# with: tcpdump decodes the capture files, and a headless Chromium loads the
# timeline, whose DOM must hold one lane per host and one arrow per
# delivered packet. Leaves a screenshot in target/simnet/ci/timeline.png.
#
# Installs chromium and tcpdump from Debian's packages when they are
# missing (as root, like CI). Costs about 10 s once they are installed
# (the release build of `scenarios` comes from the main job), plus the
# download on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null || ! command -v tcpdump >/dev/null; then
    echo "== installing chromium and tcpdump (Debian packages)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium tcpdump >/dev/null
fi

out=target/simnet/ci
rm -rf "$out"
mkdir -p "$out"
echo "== scenarios run partition-heal --seed 3 --artifacts $out"
cargo run --release -q -p scenarios -- run partition-heal --seed 3 --artifacts "$out"
seed_dir="$out/partition-heal/3"
for f in trace.jsonl packets.pcapng dropped.pcapng timeline.html; do
    test -s "$seed_dir/$f" || { echo "missing or empty: $seed_dir/$f"; exit 1; }
done

fail() { echo "check-artifacts: $*" >&2; exit 1; }
count() { grep -c "\"kind\":\"$1\"" "$seed_dir/trace.jsonl" || true; }

echo "== tcpdump -r packets.pcapng / dropped.pcapng"
sent=$(count packet-sent)
dropped=$(count packet-dropped)
delivered=$(count packet-delivered)
TZ=UTC tcpdump -nn -r "$seed_dir/packets.pcapng" > "$out/packets.txt" 2>"$out/tcpdump.err" \
    || fail "tcpdump cannot read packets.pcapng: $(cat "$out/tcpdump.err")"
TZ=UTC tcpdump -nn -r "$seed_dir/dropped.pcapng" > "$out/dropped.txt" 2>>"$out/tcpdump.err" \
    || fail "tcpdump cannot read dropped.pcapng: $(cat "$out/tcpdump.err")"
head -4 "$out/packets.txt"
head -2 "$out/dropped.txt"
[ "$(wc -l < "$out/packets.txt")" -eq "$sent" ] || fail "tcpdump shows $(wc -l < "$out/packets.txt") packets, the journal $sent sent"
[ "$(wc -l < "$out/dropped.txt")" -eq "$dropped" ] || fail "tcpdump shows $(wc -l < "$out/dropped.txt") drops, the journal $dropped"
[ "$dropped" -gt 0 ] || fail "the partition dropped nothing"
grep -q "Flags \[S\]" "$out/packets.txt" || fail "no SYN decoded"
grep -q "options \[mss" "$out/packets.txt" || fail "no TCP options decoded"
if grep -q "bad cksum\|truncated" "$out/packets.txt"; then fail "tcpdump reports a malformed packet"; fi
# -vv makes tcpdump verify every IP and TCP checksum.
TZ=UTC tcpdump -nn -vv -r "$seed_dir/packets.pcapng" > "$out/packets-vv.txt" 2>/dev/null
good=$(grep -c "cksum 0x[0-9a-f]* (correct)" "$out/packets-vv.txt" || true)
[ "$good" -eq "$sent" ] || fail "tcpdump finds $good correct TCP checksums in $sent packets"
if grep -q "incorrect\|bad cksum" "$out/packets-vv.txt"; then fail "tcpdump finds a wrong checksum"; fi
echo "tcpdump: $sent packets, $dropped dropped"

echo "== headless chromium: timeline.html"
page="file://$(pwd)/$seed_dir/timeline.html"
chrome=(chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$out/chrome-profile")
timeout 120 "${chrome[@]}" --dump-dom "$page" > "$out/dom.html" 2>"$out/chromium.err" \
    || fail "chromium could not load the timeline: $(tail -5 "$out/chromium.err")"
hosts=$(head -1 "$seed_dir/trace.jsonl" | grep -o '"hosts":\[[^]]*\]' | grep -o '"[^"]*"' | grep -vc '"hosts"' || true)
lanes=$(grep -o 'class="lane"' "$out/dom.html" | wc -l)
arrows=$(grep -o 'class="arrow delivered[^"]*"' "$out/dom.html" | wc -l)
bands=$(grep -o 'class="band fault"' "$out/dom.html" | wc -l)
[ "$lanes" -eq "$hosts" ] || fail "$lanes lanes for $hosts hosts"
[ "$arrows" -eq "$delivered" ] || fail "$arrows arrows for $delivered delivered packets"
[ "$bands" -eq 1 ] || fail "$bands partition bands, expected 1"
timeout 120 "${chrome[@]}" --window-size=1400,520 --screenshot="$out/timeline.png" "$page" 2>>"$out/chromium.err" \
    || fail "chromium could not take a screenshot: $(tail -5 "$out/chromium.err")"
test -s "$out/timeline.png" || fail "no screenshot"
echo "timeline: $lanes lanes, $arrows arrows, $bands partition band; screenshot $out/timeline.png"
