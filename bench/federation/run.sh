#!/usr/bin/env bash
# Federated Cox over three nodes (issue 17): time and bytes exchanged.
# Three simulated centres of N/3 patients each, a hub and three nodes on
# loopback over TLS (a throwaway study CA made with openssl), and
# `netra federate cox` (age, sex, grade, Ki-67; Efron). That the answer
# equals the pooled analysis is tested in crates/netra-cli/tests/federate_cli.rs.
#   bench/federation/run.sh [PATIENTS_TOTAL]   (default 100000)
# Uses target/release/netra (cargo build --release -p netra-cli).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-100000}
NETRA=${NETRA:-target/release/netra}
W=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$W"' EXIT
PER=$((N / 3))
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="https://127.0.0.1:$PORT"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/ca.key" -out "$W/ca.pem" -days 1 \
  -subj "/CN=bench CA" 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout "$W/hub.key" -out "$W/hub.csr" \
  -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$W/ext"
openssl x509 -req -in "$W/hub.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial \
  -out "$W/hub.pem" -days 1 -extfile "$W/ext" 2>/dev/null
chmod 600 "$W/hub.key"

cat > "$W/hub.toml" <<TOML
listen = "127.0.0.1:$PORT"
cert = "$W/hub.pem"
key = "$W/hub.key"
round_timeout_secs = 600
approval_timeout_secs = 600
down_after_secs = 120
poll_wait_secs = 5
TOML
seed=0
for c in a b c; do
  seed=$((seed + 1))
  mkdir -p "$W/$c"
  "$NETRA" simulate --quiet --patients "$PER" --study "c$c" --seed "$seed" --out "$W/$c/bundle"
  "$NETRA" init --db "$W/$c/registry.db" >/dev/null
  "$NETRA" import "$W/$c/bundle" --user bench --db "$W/$c/registry.db" >/dev/null 2>&1
  hash=$("$NETRA" hub new-token "$W/$c/token" | grep token_hash)
  printf '[[node]]\nname = "centre-%s"\n%s\n' "$c" "$hash" >> "$W/hub.toml"
  cat > "$W/$c/node.toml" <<TOML
name = "centre-$c"
hub = "$URL"
trusted_hubs = ["$URL"]
token_file = "$W/$c/token"
ca_file = "$W/ca.pem"
registry = "$W/$c/registry.db"
queue_dir = "$W/$c/queue"
studies = ["bench"]
analyses = ["cox", "survival"]
manual_approval = false
poll_wait_secs = 5
[analysis]
variables = ["*"]
min_cell = 5
TOML
done
hash=$("$NETRA" hub new-token "$W/analyst.token" | grep token_hash)
printf '[[analyst]]\nname = "bench"\n%s\n[[study]]\nname = "bench"\nnodes = ["centre-a", "centre-b", "centre-c"]\nanalysts = ["bench"]\n' "$hash" >> "$W/hub.toml"

"$NETRA" hub --config "$W/hub.toml" 2>"$W/hub.log" &
until (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do sleep 0.2; done
for c in a b c; do "$NETRA" node --config "$W/$c/node.toml" 2>"$W/$c/node.log" & done

echo '{"terms": ["age_at_diagnosis", "sex", "who_grade", "ki67"], "ties": "efron"}' > "$W/cox.json"
echo "== netra federate cox, 3 nodes, $N patients in total (load: $(cut -d' ' -f1-3 /proc/loadavg))"
start=$(date +%s.%N)
"$NETRA" federate cox --hub "$URL" --study bench --token-file "$W/analyst.token" --ca "$W/ca.pem" \
  --request "$W/cox.json" >"$W/federated.json" 2>"$W/federate.err" \
  || { cat "$W/federate.err" "$W/a/node.log"; exit 1; }
end=$(date +%s.%N)
grep "rounds" "$W/federate.err"
echo "federated wall time: $(echo "$end - $start" | bc) s"
