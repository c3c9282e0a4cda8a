package kernels

import (
	"errors"
	"fmt"
)

// Sentinel errors, wrapped by every *OpError so callers can test the kind of failure.
var (
	// ErrShape: a shape is invalid or the shapes of the operands do not fit together.
	ErrShape = errors.New("shape mismatch")
	// ErrDType: an operand has the wrong element type.
	ErrDType = errors.New("wrong dtype")
	// ErrRange: an index, label or axis lies outside its valid range.
	ErrRange = errors.New("out of range")
	// ErrArgument: a scalar argument (a probability, a learning rate, a size) is invalid.
	ErrArgument = errors.New("invalid argument")
)

// OpError is the error every operator returns: the operator's name and what was wrong.
type OpError struct {
	Op  string
	Err error
}

func (e *OpError) Error() string { return "kernels: " + e.Op + ": " + e.Err.Error() }
func (e *OpError) Unwrap() error { return e.Err }

// opErr builds an *OpError whose cause wraps kind with a formatted explanation.
func opErr(op string, kind error, format string, args ...any) error {
	return &OpError{Op: op, Err: fmt.Errorf("%w: %s", kind, fmt.Sprintf(format, args...))}
}
