#!/bin/sh
# Regenerates ptx/*.ptx from the .cu sources beside it; run by `go generate` (tag cuda).
#
# Flags, and why:
#   -arch=compute_80   PTX for Ampere and later; the driver JIT-compiles it for newer GPUs
#                      (H100/H200 included) at module load.
#   -prec-div=true -prec-sqrt=true -ftz=false
#                      IEEE-rounded division and square root and no flush of denormals, so
#                      float32 results stay within a few ulp of the Go CPU twins.
#   -fmad=false        no fused multiply-add contraction. Go on amd64 rounds a*b+c twice;
#                      keeping the same rounding makes GPU and CPU agree more closely and
#                      makes results independent of what the compiler chose to fuse. The cost
#                      is a little throughput in the matrix product, where speed matters
#                      less here than agreement with the reference.
#   no --use_fast_math: expf, tanhf keep their accurate (few-ulp) library versions.
set -eu
cd "$(dirname "$0")"
mkdir -p ptx
for src in *.cu; do
	nvcc -ptx -arch=compute_80 -prec-div=true -prec-sqrt=true -ftz=false -fmad=false \
		-o "ptx/${src%.cu}.ptx" "$src"
done
