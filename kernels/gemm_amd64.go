package kernels

import "golang.org/x/sys/cpu"

// kernelAVX is the 6x16 AVX micro-kernel in gemm_amd64.s: VMULPS then VADDPS, never FMA.
var kernelAVX = microKernel{mr: 6, nr: 16, run: kernel6x16}

// fastKernel is chosen once, from what the CPU and OS support.
var fastKernel = func() microKernel {
	if cpu.X86.HasAVX {
		return kernelAVX
	}
	return kernelGo
}()

// fastKernels lists every kernel this machine can run, for the differential tests.
func fastKernels() map[string]microKernel {
	ks := map[string]microKernel{"go": kernelGo}
	if cpu.X86.HasAVX {
		ks["avx"] = kernelAVX
	}
	return ks
}

//go:noescape
func kernel6x16AVX(kc int, a, b, c *float32, ldc int, accumulate bool)

func kernel6x16(kc int, a, b, c []float32, ldc int, accumulate bool) {
	if kc < 1 || len(a) < 6*kc || len(b) < 16*kc || len(c) < 5*ldc+16 {
		panic("BUG: kernels: kernel6x16 called with short panels")
	}
	kernel6x16AVX(kc, &a[0], &b[0], &c[0], ldc, accumulate)
}

func kernelName() string {
	if cpu.X86.HasAVX {
		return "avx-6x16"
	}
	return "go-4x4"
}
