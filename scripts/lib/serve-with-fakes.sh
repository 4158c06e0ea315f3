# Sourced by scripts that need a running serve: starts the fake Twilio and Infinity
# (build/infinity-sms-bench fakes) and build/infinity-sms serve wired to them, in a temporary
# directory removed on exit. Sets: dir, bin, port (webhook listener), admin (admin listener),
# token (server.adminToken), twilio_token (the fake account's auth token), serve_pid.
bin=build/infinity-sms
dir=$(mktemp -d)
serve_pid=""
stop_serve_with_fakes() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  exec 3>&- 2>/dev/null || true  # the fakes stop when their standard input closes
  rm -rf "$dir"
}
trap stop_serve_with_fakes EXIT

mkfifo "$dir/hold"
build/infinity-sms-bench fakes <"$dir/hold" >"$dir/config.json" 2>"$dir/fakes.log" &
exec 3>"$dir/hold"
for _ in $(seq 1 100); do [ -s "$dir/config.json" ] && break; sleep 0.1; done
"$bin" --config "$dir/config.json" ${SERVE_LOG_LEVEL:+--log-level "$SERVE_LOG_LEVEL"} serve --port 0 --admin-port 0 \
  --data-dir "$dir/data" >"$dir/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 100); do grep -q "^admin listening" "$dir/serve.log" && break; sleep 0.1; done
port=$(grep -m1 "^listening on" "$dir/serve.log" | sed 's/.*://')
admin=$(grep -m1 "^admin listening on" "$dir/serve.log" | sed 's/.*://')
revealed=$("$bin" --config "$dir/config.json" config show --reveal)
token=$(sed -n 's/^server.adminToken = "\([^"]*\)".*/\1/p' <<<"$revealed")
twilio_token=$(sed -n 's/^twilio.account.authToken = "\([^"]*\)".*/\1/p' <<<"$revealed")
