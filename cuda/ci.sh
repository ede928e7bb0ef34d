#!/bin/sh
# CI for the CUDA backend, on machines with or without a GPU. From the repository root:
#
#	sh cuda/ci.sh
#
# 1. Installs the CUDA headers and the stub libcuda.so (Debian's nvidia-cuda-dev, from
#    non-free) when cuda.h is missing, and g++ when it is missing.
# 2. Vets the tagged packages and compiles and links the cuda test binary, which proves the
#    package builds against the driver API's headers and links against libcuda.
# 3. Runs the tests that need no GPU: the CPU emulation of the kernel sources and the
#    gradient checks of the CPU references. The parity suite in package cuda runs too; it
#    skips (reported as "[no tests to run]") when no driver or device is usable.
# 4. When nvcc is present, regenerates the PTX into a scratch copy and fails if the
#    committed ptx/*.ptx or internal/emu/sources.go differ from it.
set -eu
cd "$(dirname "$0")/.."

pkgs=""
if ! [ -e /usr/include/cuda.h ] && ! [ -e /usr/local/cuda/include/cuda.h ]; then
	pkgs="nvidia-cuda-dev" # cuda.h and the stub libcuda.so, from Debian non-free
fi
if ! command -v g++ >/dev/null 2>&1; then
	pkgs="$pkgs g++" # internal/emu compiles the kernel sources as C++
fi
if [ -n "$pkgs" ]; then
	echo "ci: installing$pkgs"
	export DEBIAN_FRONTEND=noninteractive
	# nvidia-cuda-dev lives in Debian's non-free component: add it through a list of its
	# own, leaving the system's sources as they are.
	if ! grep -rqs 'non-free' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		cat >/etc/apt/sources.list.d/seqnn-nonfree.sources <<-'EOF'
		Types: deb
		URIs: http://deb.debian.org/debian
		Suites: bookworm bookworm-updates
		Components: contrib non-free
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOF
	fi
	# A mirror's passing failure should not fail CI: three tries, a minute apart.
	for try in 1 2 3; do
		if apt-get -o DPkg::Lock::Timeout=900 update -q &&
			apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends $pkgs; then
			break
		fi
		[ "$try" = 3 ] && { echo "ci: could not install$pkgs" >&2; exit 1; }
		sleep 60
	done
fi

# gorgonia.org/cu links -lcuda from the usual library directories; where only the stub
# from nvidia-cuda-dev is installed, let the linker find it there (a real libcuda.so found
# first is used instead; both give the same DT_NEEDED libcuda.so.1).
if [ -e /usr/lib/x86_64-linux-gnu/stubs/libcuda.so ]; then
	export CGO_LDFLAGS="${CGO_LDFLAGS:-} -L/usr/lib/x86_64-linux-gnu/stubs"
fi

echo "ci: go vet -tags cuda ./cuda/... ./cmd/demo"
go vet -tags cuda ./cuda/... ./cmd/demo

echo "ci: compiling and linking the cuda test binary"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go test -c -tags cuda -o "$bin/cuda.test" ./cuda
go build -tags cuda -o "$bin/demo" ./cmd/demo

echo "ci: go test -tags cuda ./cuda/..."
go test -count=1 -tags cuda ./cuda/...

if command -v nvcc >/dev/null 2>&1; then
	echo "ci: checking the committed PTX against $(nvcc --version | tail -1)"
	mkdir -p "$bin/src/internal/emu"
	cp cuda/gen.sh cuda/*.cu cuda/*.cuh "$bin/src/"
	sh "$bin/src/gen.sh"
	for f in "$bin"/src/ptx/*.ptx; do
		if ! cmp -s "$f" "cuda/ptx/$(basename "$f")"; then
			echo "ci: cuda/ptx/$(basename "$f") is stale: run go generate -tags cuda ./cuda" >&2
			exit 1
		fi
	done
	if [ "$(ls "$bin"/src/ptx | wc -l)" != "$(ls cuda/ptx | wc -l)" ]; then
		echo "ci: cuda/ptx holds files gen.sh does not make" >&2
		exit 1
	fi
	cmp -s "$bin/src/internal/emu/sources.go" cuda/internal/emu/sources.go || {
		echo "ci: cuda/internal/emu/sources.go is stale: run go generate -tags cuda ./cuda" >&2
		exit 1
	}
	# Assemble for the H100/H200 (sm_90) as the driver's JIT will: catches PTX the
	# assembler rejects and reports register use and spills (none expected).
	for f in cuda/ptx/*.ptx; do
		ptxas -arch=sm_90 -v -o /dev/null "$f" 2>"$bin/ptxas.txt" || {
			cat "$bin/ptxas.txt" >&2
			exit 1
		}
		if grep -E '[1-9][0-9]* bytes spill' "$bin/ptxas.txt" >&2; then
			echo "ci: $f spills registers on sm_90" >&2
			exit 1
		fi
	done
else
	echo "ci: nvcc not found; the committed PTX was not checked"
fi
echo "ci: ok"
