#!/bin/sh
# The GPU check of the CUDA backend, prepared for a session that has the device machine.
# Two halves, because the device machine may have no Go toolchain:
#
#	sh cuda/device-check.sh build     here: vet, then build cuda/devcheck/cuda.test
#	sh cuda/device-check.sh run       on the GPU machine: tests, benchmarks, PyTorch
#
# The build output is git-ignored (*.test), so the run call must carry it, e.g. with the
# device tool: command "sh cuda/device-check.sh run", carry ["cuda/devcheck/cuda.test"],
# timeout_s 330. The run half stays under five minutes, every part hard-limited:
#
#	tests       ≤ 120 s  kernel parity, the session's parity on the tutorial models and
#	                     its gradient checks (TestSession*)
#	kernels     ≤  60 s  the kernel benchmarks, 1 s each
#	session     ≤  60 s  BenchmarkEpoch (107 steps of 8 + validation over 214 windows per
#	                     tutorial model), BenchmarkLarge (B 256, T 256, F 512, H 512),
#	                     BenchmarkGemm4096; 5 iterations each
#	torch       ≤  50 s  torch_cuda_epoch.py: the same jobs with PyTorch, cuDNN, cuBLAS
#
# It writes $OUT/cuda-report.txt (summary and the Go-against-PyTorch table first), plus
# the full logs tests.txt, bench-kernels.txt, bench-session.txt and torch.txt. It exits
# non-zero if a test fails or the GPU is unusable (SEQNN_CUDA_REQUIRE=1 turns the
# no-driver skip into a failure); benchmark and PyTorch failures are reported, not fatal.
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
	SEQNN_CUDA_REQUIRE=1 timeout 120 "./$bin" -test.v -test.count=1 -test.timeout=115s \
		> "$out/tests.txt" 2>&1
	prc=$?
	timeout 60 "./$bin" -test.run='^$' -test.benchmem -test.timeout=55s \
		-test.bench='^Benchmark(Gemm512|Adam1M|Conv1D|LSTM|GRU)$' -test.benchtime=1s \
		> "$out/bench-kernels.txt" 2>&1
	krc=$?
	timeout 60 "./$bin" -test.run='^$' -test.timeout=55s \
		-test.bench='^Benchmark(Epoch|Large|Gemm4096)$' -test.benchtime=5x \
		> "$out/bench-session.txt" 2>&1
	src=$?
	timeout 50 python3 torch_cuda_epoch.py --rounds 5 > "$out/torch.txt" 2>&1
	trc=$?
	set -e

	{
		echo "tests: exit $prc; $(grep -c -- '--- PASS' "$out/tests.txt") passed," \
			"$(grep -c -- '--- FAIL' "$out/tests.txt") failed," \
			"$(grep -c -- '--- SKIP' "$out/tests.txt") skipped"
		[ "$prc" = 0 ] || head -3 "$out/tests.txt"
		grep -- '--- FAIL' "$out/tests.txt" || true
		grep -A3 -- '--- FAIL' "$out/tests.txt" | grep -v -- '--- ' | head -40 || true
		grep 'worst normalized errors' "$out/tests.txt" || true
		grep 'U in shared memory' "$out/tests.txt" | sort | uniq -c || true
		echo
		echo "Go (seqnn kernels) against $(grep -m1 '^torch [0-9]' "$out/torch.txt" ||
			echo 'PyTorch (did not run)'), milliseconds:"
		echo "(bench exit $src, torch exit $trc; medians of 5)"
		printf '%-12s %12s %12s %8s\n' job seqnn torch ratio
		# Go: "BenchmarkEpoch/cnn-16  5  ...  12.3 ms/epoch"; torch: "torch epoch/cnn 4.5 4.1".
		awk '
			FILENAME ~ /bench-session/ && /^Benchmark/ {
				name = $1; sub(/^Benchmark/, "", name); sub(/-[0-9]+$/, "", name)
				name = tolower(name)
				for (i = 2; i < NF; i++) if ($(i+1) == "ms/epoch" || $(i+1) == "ms/op") go[name] = $i
			}
			FILENAME ~ /torch/ && $1 == "torch" && NF == 4 { th[$2] = $3 }
			END {
				n = split("epoch/cnn epoch/lstm epoch/gru large/lstm large/gru gemm4096", jobs, " ")
				for (j = 1; j <= n; j++) {
					k = jobs[j]; g = go[k]; t = th[k]
					r = (g != "" && t != "" && t > 0) ? sprintf("%.2f", g / t) : "-"
					printf "%-12s %12s %12s %8s\n", k, (g == "" ? "-" : g), (t == "" ? "-" : t), r
				}
			}' "$out/bench-session.txt" "$out/torch.txt"
		echo "PyTorch above runs in full float32 (TF32 off); with cuDNN's default TF32 on:"
		grep -E '^torch large/(lstm|gru)-tf32 ' "$out/torch.txt" || echo "(not measured)"
		echo
		echo "kernel benchmarks: exit $krc"
		grep -E '^Benchmark|^(ok|FAIL|PASS)' "$out/bench-kernels.txt" || true
		echo "session benchmarks: exit $src"
		grep -E '^Benchmark|^(ok|FAIL|PASS)' "$out/bench-session.txt" || true
		[ "$trc" = 0 ] || { echo "torch: exit $trc"; tail -5 "$out/torch.txt"; }
	} >> "$out/cuda-report.txt"
	cat "$out/cuda-report.txt"
	exit "$prc"
	;;
*)
	echo "usage: sh cuda/device-check.sh build|run" >&2
	exit 2
	;;
esac
