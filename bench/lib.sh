# Shared helpers for accord's benchmark scripts (sourced, not run).
# Measures a process's CPU from /proc (all its threads, nanoseconds from schedstat) and runs wrk.

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi

# Installs Debian packages that are missing.
bench_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# Total CPU time in nanoseconds of the given PIDs and all their threads.
cpu_ns() {
  local total=0 pid t
  for pid in "$@"; do
    for t in /proc/"$pid"/task/*/schedstat; do
      [ -r "$t" ] || continue
      total=$((total + $(cut -d' ' -f1 "$t")))
    done
  done
  echo "$total"
}

# CPU time in nanoseconds of the threads of PID whose name is NAME (e.g. accord-ledger).
thread_cpu_ns() {
  local pid=$1 name=$2 total=0 t
  for t in /proc/"$pid"/task/*; do
    [ "$(cat "$t/comm" 2>/dev/null)" = "$name" ] || continue
    total=$((total + $(cut -d' ' -f1 "$t/schedstat")))
  done
  echo "$total"
}

# Busy CPU time (ns) of the whole machine, from /proc/stat (user+nice+system+irq+softirq).
machine_cpu_ns() {
  awk -v hz="$(getconf CLK_TCK)" '/^cpu /{printf "%.0f", ($2+$3+$4+$7+$8) * 1e9 / hz}' /proc/stat
}

# Waits until a TCP port answers (bounded).
wait_port() {
  local port=$1 i
  for i in $(seq 1 200); do
    (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "port $port did not open" >&2
  return 1
}

# Converts wrk's latency figure ("1.23ms", "850.00us", "1.02s") to microseconds.
to_us() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.0f", v }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.0f", v * 1000 }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.0f", v * 1000000 }
    else printf "%s", v }'
}

# run_wrk CORE URL SECONDS CONNECTIONS SCRIPT
#   → prints "requests rps p50_us p99_us non2xx errors wrk_cpu_ns"
run_wrk() {
  local core=$1 url=$2 secs=$3 conns=$4 script=$5 out cpu
  local TIMEFORMAT='%3U %3S'
  { time taskset -c "$core" wrk -t1 -c"$conns" -d"${secs}s" --timeout 10s --latency -s "$script" "$url" \
      >"$BENCH_TMP/wrk.out" 2>&1; } 2>"$BENCH_TMP/wrk.time"
  out=$(cat "$BENCH_TMP/wrk.out")
  cpu=$(awk '{printf "%.0f", ($1 + $2) * 1e9}' "$BENCH_TMP/wrk.time")
  local reqs rps p50 p99 non2xx errors
  reqs=$(echo "$out" | awk '/requests in/ {print $1}')
  rps=$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')
  p50=$(to_us "$(echo "$out" | awk '$1=="50%" {print $2}')")
  p99=$(to_us "$(echo "$out" | awk '$1=="99%" {print $2}')")
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  errors=$(echo "$out" | awk '/Socket errors/ {gsub(",", ""); print $4+$6+$8+$10}')
  echo "${reqs:-0} ${rps:-0} ${p50:-0} ${p99:-0} ${non2xx:-0} ${errors:-0} ${cpu:-0}"
}

# The median of the numbers on stdin (whitespace-separated).
median() {
  tr ' ' '\n' | sort -n | awk 'NF {a[++n]=$1} END {print (n%2 ? a[(n+1)/2] : (a[n/2]+a[n/2+1])/2)}'
}
