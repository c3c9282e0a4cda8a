//go:build !amd64

package kernels

// fastKernel is the portable Go kernel where no assembly kernel exists yet.
var fastKernel = kernelGo

// fastKernels lists every kernel this build can run, for the differential tests.
func fastKernels() map[string]microKernel { return map[string]microKernel{"go": kernelGo} }

func kernelName() string { return "go-4x4" }
