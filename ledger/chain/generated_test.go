package chain

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi/abigen"
)

// update rewrites the compiled contract and its bindings: after editing Coordinator.sol,
//
//	(cd ledger/chain/contracts && npm ci) && go test ./ledger/chain -run Generated -update
var update = flag.Bool("update", false, "rebuild contracts/Coordinator.{abi,bin} with solc and coordinator.go with abigen")

// solcInput is the standard-JSON input that compiles the contract: the settings are part
// of what is pinned (with the compiler's version, in contracts/package.json).
func solcInput(t *testing.T) []byte {
	src, err := os.ReadFile("contracts/Coordinator.sol")
	if err != nil {
		t.Fatal(err)
	}
	in, err := json.Marshal(map[string]any{
		"language": "Solidity",
		"sources":  map[string]any{"Coordinator.sol": map[string]any{"content": string(src)}},
		"settings": map[string]any{
			"optimizer":       map[string]any{"enabled": true, "runs": 200},
			"viaIR":           true,
			"evmVersion":      "cancun",
			"outputSelection": map[string]any{"Coordinator.sol": map[string]any{"Coordinator": []string{"abi", "evm.bytecode.object"}}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// solcjs finds the pinned compiler: contracts/node_modules (npm ci there), else PATH.
func solcjs() (string, error) {
	if p, err := filepath.Abs("contracts/node_modules/.bin/solcjs"); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return exec.LookPath("solcjs")
}

// compile runs solc and returns the contract's ABI (indented JSON) and bytecode (hex).
func compile(t *testing.T, solc string) (abiJSON, bin []byte) {
	cmd := exec.Command(solc, "--standard-json")
	cmd.Stdin = bytes.NewReader(solcInput(t))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("solcjs: %v\n%s", err, stderr.String())
	}
	// solcjs may print a note before the JSON.
	if i := bytes.IndexByte(out, '{'); i > 0 {
		out = out[i:]
	}
	var res struct {
		Errors []struct {
			Severity, FormattedMessage string
		}
		Contracts map[string]map[string]struct {
			ABI json.RawMessage
			EVM struct {
				Bytecode struct{ Object string }
			}
		}
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("solcjs output: %v", err)
	}
	var msgs []string
	for _, e := range res.Errors {
		msgs = append(msgs, e.FormattedMessage)
	}
	if len(msgs) > 0 {
		t.Fatalf("solc reports (warnings count too: fix them):\n%s", strings.Join(msgs, "\n"))
	}
	c := res.Contracts["Coordinator.sol"]["Coordinator"]
	var ind bytes.Buffer
	if err := json.Indent(&ind, c.ABI, "", "  "); err != nil {
		t.Fatal(err)
	}
	ind.WriteByte('\n')
	return ind.Bytes(), []byte(c.EVM.Bytecode.Object + "\n")
}

// bindings generates the Go bindings from the committed ABI and bytecode, as
// `abigen --v2 --pkg chain --type Coordinator` does.
func bindings(t *testing.T, abiJSON, bin []byte) []byte {
	code, err := abigen.BindV2([]string{"Coordinator"}, []string{string(abiJSON)}, []string{strings.TrimSpace(string(bin))}, "chain", map[string]string{}, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	return []byte(code)
}

func checkOrWrite(t *testing.T, path string, want []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not what the source builds to: rebuild it (see the update flag in generated_test.go)", path)
	}
}

// TestGeneratedContractIsCurrent compiles Coordinator.sol with the pinned solc and
// compares the ABI and bytecode with the committed ones. It skips where solcjs is absent
// (CI installs it).
func TestGeneratedContractIsCurrent(t *testing.T) {
	solc, err := solcjs()
	if err != nil {
		t.Skip("solcjs not found (cd ledger/chain/contracts && npm ci): the compiled contract is not checked against its source")
	}
	ver, err := exec.Command(solc, "--version").Output()
	if err != nil || !bytes.Contains(ver, []byte("0.8.37+")) {
		t.Fatalf("%s is version %q, not the pinned 0.8.37 (contracts/package.json)", solc, strings.TrimSpace(string(ver)))
	}
	abiJSON, bin := compile(t, solc)
	checkOrWrite(t, "contracts/Coordinator.abi", abiJSON)
	checkOrWrite(t, "contracts/Coordinator.bin", bin)
}

// TestGeneratedBindingsAreCurrent regenerates the Go bindings from the committed ABI and
// bytecode with go-ethereum's abigen (v2) and compares them with coordinator.go.
func TestGeneratedBindingsAreCurrent(t *testing.T) {
	if *update {
		TestGeneratedContractIsCurrent(t) // the bindings come from what it writes
	}
	abiJSON, err := os.ReadFile("contracts/Coordinator.abi")
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile("contracts/Coordinator.bin")
	if err != nil {
		t.Fatal(err)
	}
	checkOrWrite(t, "coordinator.go", bindings(t, abiJSON, bin))
	if CoordinatorMetaData.Bin != "0x"+strings.TrimSpace(string(bin)) {
		t.Errorf("the bindings' bytecode is not contracts/Coordinator.bin")
	}
}
