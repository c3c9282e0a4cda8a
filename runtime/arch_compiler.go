//go:build amd64 || arm64

package runtime

// compilerArch: wazero's compiler engine supports this architecture.
const compilerArch = true
