package host

import "errors"

// Status codes returned to the guest by every host function (guest/ABI.md).
const (
	StatusOK          int32 = 0
	StatusBadArgument int32 = -1 // a pointer, length, dtype, shape or attribute is invalid
	StatusBadHandle   int32 = -2 // the handle does not name a live tensor
	StatusQuota       int32 = -3 // a quota would be exceeded
	StatusOperator    int32 = -4 // the operator rejected its operands
	StatusState       int32 = -5 // a state registration or restore does not fit
	StatusNotFound    int32 = -6 // no input or state entry of that name
)

// Errors behind the status codes. Host functions map them to statuses; Go callers test
// them with errors.Is.
var (
	ErrBadArgument = errors.New("bad argument")
	ErrBadHandle   = errors.New("bad handle")
	ErrQuota       = errors.New("quota exceeded")
	ErrOperator    = errors.New("operator failed")
	ErrState       = errors.New("state mismatch")
	ErrNotFound    = errors.New("not found")
)

func statusOf(err error) int32 {
	switch {
	case err == nil:
		return StatusOK
	case errors.Is(err, ErrBadHandle):
		return StatusBadHandle
	case errors.Is(err, ErrQuota):
		return StatusQuota
	case errors.Is(err, ErrOperator):
		return StatusOperator
	case errors.Is(err, ErrState):
		return StatusState
	case errors.Is(err, ErrNotFound):
		return StatusNotFound
	}
	return StatusBadArgument
}

// ErrFuelExhausted says that host work could not be paid for (Session.SetFuel). A host
// function that meets it traps instead of returning a status.
var ErrFuelExhausted = errors.New("fuel exhausted")
