//go:build !linux

package runtime

import "errors"

func limitAddressSpace(uint64) error {
	return errors.New("address-space limits are set only on Linux")
}
