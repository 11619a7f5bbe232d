package engine

import (
	"errors"
	"fmt"

	"hooklab/server/store"
)

// The kinds of error the engine returns. Each *Error wraps one, so callers
// test with errors.Is and the HTTP layer maps a kind to a status in one place.
var (
	ErrNotFound = store.ErrNotFound            // no such assistant, thread, run or cron: the store's own not-found, so one errors.Is serves every lookup
	ErrConflict = errors.New("conflict")       // the object is busy, exists already, or has ended
	ErrInvalid  = errors.New("invalid")        // a field breaks the schema (the platform's 422)
	ErrRejected = errors.New("not acceptable") // well-formed but refused, like a Python ValueError (400)
	ErrPartial  = errors.New("partly done")    // created, but what came with it failed (the platform's 201 with a detail)
)

// Error is an error with a detail written for the client: it names the
// field and the fix. Kind is one of the Err values above.
type Error struct {
	Kind   error
	Detail string
}

// Error returns the detail.
func (e *Error) Error() string { return e.Detail }

// Unwrap returns the kind.
func (e *Error) Unwrap() error { return e.Kind }

// Errorf is an *Error of kind with a formatted detail.
func Errorf(kind error, format string, args ...any) *Error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// Invalid is an ErrInvalid naming the field and what it must be.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Kind: ErrInvalid, Detail: field + ": " + fmt.Sprintf(format, args...)}
}

// NotFound is an ErrNotFound for the object what with id.
func NotFound(what, id string) *Error {
	return Errorf(ErrNotFound, "%s '%s' not found", what, id)
}

// threadNotFound is the platform's 404 for an unknown thread.
func threadNotFound(id string) *Error {
	return Errorf(ErrNotFound, "Thread with ID %s not found", id)
}

// runNotFound is the 404 for an unknown run.
func runNotFound(id string) *Error {
	return Errorf(ErrNotFound, "Run %s not found", id)
}
