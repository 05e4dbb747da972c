-- What `cargo xtask bench` reads of a wrk run: one line of key=value, in
-- whole requests and microseconds, instead of wrk's rounded human units.
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    errors.connect + errors.read + errors.write + errors.status + errors.timeout))
end
