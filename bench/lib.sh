#!/usr/bin/env bash
# Helpers the benchmarks share (sourced, not run): wall-clock seconds, medians, and a module
# run timed with its peak memory.

seconds() {  # the command's wall-clock seconds; its output is dropped
  local start end
  start=$(date +%s.%N); "$@" >/dev/null 2>&1; end=$(date +%s.%N)
  echo "$end - $start" | bc
}

median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }

need_gnu_time() { command -v /usr/bin/time >/dev/null || apt-get install -y -q time >/dev/null; }

timed_module() {  # $1 scratch dir, $2 collections path, $3 module file, $4 its arguments as JSON
  # Prints "seconds peak_kib"; a failed module fails with its output.
  local work=$1 start end
  echo "{\"ANSIBLE_MODULE_ARGS\": $4}" > "$work/args.json"
  start=$(date +%s.%N)
  PYTHONPATH=$2 /usr/bin/time -f '%M' -o "$work/rss" .venv/bin/python "$3" "$work/args.json" > "$work/out.json"
  end=$(date +%s.%N)
  if grep -q '"failed"' "$work/out.json"; then cat "$work/out.json" >&2; return 1; fi
  echo "$(echo "$end - $start" | bc) $(cat "$work/rss")"
}

rotated() {  # $1 rounds, $2 scratch dir, then commands: each round runs every command, starting
  # with a different one each round (no order effect favours one), each after its files are
  # removed and nothing is left dirty in the page cache.
  local rounds=$1 work=$2 round step
  shift 2
  local commands=("$@")
  for ((round = 0; round < rounds; round++)); do
    for ((step = 0; step < ${#commands[@]}; step++)); do
      rm -f "$work"/*.tar* "$work"/*.sha256; sync
      "${commands[$(( (round + step) % ${#commands[@]} ))]}"
    done
  done
}
