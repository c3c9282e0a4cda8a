//go:build !amd64 && !arm64

package runtime

// compilerArch: wazero's compiler engine does not support this architecture.
const compilerArch = false
