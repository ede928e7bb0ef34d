#!/bin/sh
# The GPU check of the CUDA backend, prepared for a session that has the device machine.
# Two halves, because the device machine may have no Go toolchain:
#
#	sh cuda/device-check.sh build     here: vet, then build cuda/devcheck/cuda.test
#	sh cuda/device-check.sh run       on the GPU machine: parity suite, then benchmarks
#
# The build output is git-ignored (*.test), so the run call must carry it, e.g. with the
# device tool: command "sh cuda/device-check.sh run", carry ["cuda/devcheck/cuda.test"],
# timeout_s 420. The run half takes well under five minutes (parity ≤ 200 s, benchmarks
# ≤ 100 s, both hard-limited) and writes $OUT/cuda-report.txt (summary first), plus the
# full logs parity.txt and bench.txt. It exits non-zero if a parity test fails or the
# GPU is unusable (SEQNN_CUDA_REQUIRE=1 turns the no-driver skip into a failure).
set -eu
cd "$(dirname "$0")"
bin=devcheck/cuda.test

case "${1:-}" in
build)
	go vet -tags cuda ./...
	mkdir -p devcheck
	go test -c -tags cuda -o "$bin" .
	ls -l "$bin"
	;;
run)
	out=${OUT:-$PWD/devcheck/out}
	mkdir -p "$out"
	[ -x "$bin" ] || { echo "device-check: $bin missing: run the build half and carry it" >&2; exit 2; }
	{
		echo "# seqnn cuda device check, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
		nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 ||
			echo "nvidia-smi unavailable"
	} > "$out/cuda-report.txt"

	set +e
	SEQNN_CUDA_REQUIRE=1 timeout 200 "./$bin" -test.v -test.count=1 -test.timeout=190s \
		> "$out/parity.txt" 2>&1
	prc=$?
	timeout 100 "./$bin" -test.run='^$' -test.bench=. -test.benchtime=1s -test.benchmem \
		-test.timeout=95s > "$out/bench.txt" 2>&1
	brc=$?
	set -e

	{
		echo "parity: exit $prc; $(grep -c -- '--- PASS' "$out/parity.txt") passed," \
			"$(grep -c -- '--- FAIL' "$out/parity.txt") failed," \
			"$(grep -c -- '--- SKIP' "$out/parity.txt") skipped"
		[ "$prc" = 0 ] || head -3 "$out/parity.txt"
		grep -- '--- FAIL' "$out/parity.txt" || true
		grep -A3 -- '--- FAIL' "$out/parity.txt" | grep -v -- '--- ' | head -40 || true
		grep 'U in shared memory' "$out/parity.txt" | sort | uniq -c || true
		echo "benchmarks: exit $brc"
		grep -E '^Benchmark|^(ok|FAIL|PASS)' "$out/bench.txt" || true
	} >> "$out/cuda-report.txt"
	cat "$out/cuda-report.txt"
	exit "$prc"
	;;
*)
	echo "usage: sh cuda/device-check.sh build|run" >&2
	exit 2
	;;
esac
