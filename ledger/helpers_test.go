package ledger

import (
	"encoding/base64"
	"fmt"
	"strings"
)

func jsonArray(b [32]byte) string {
	parts := make([]string, len(b))
	for i, v := range b {
		parts[i] = fmt.Sprint(v)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
