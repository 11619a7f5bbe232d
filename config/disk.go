package config

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"time"

	"github.com/aymanbagabas/go-udiff"
)

// Why a save was refused (ConflictError.Reason).
const (
	// ConflictInvalid: the file on disk no longer parses or validates.
	ConflictInvalid = "invalid"
	// ConflictChanged: the file on disk parses, but is not what hooklab
	// loaded or last saved (edited by hand, or by another tool).
	ConflictChanged = "changed"
)

// ConflictError is a save refused because langgraph.json on disk is not
// the file hooklab loaded or last wrote: writing would lose what is there.
// It carries what a "reload" or "show the difference" choice needs.
// errors.As finds an *Error inside it too (Unwrap), for callers that only
// show a config error's one line.
type ConflictError struct {
	Path   string `json:"path"`
	Reason string `json:"reason"` // ConflictInvalid or ConflictChanged
	// Problem is why the file on disk does not load (ConflictInvalid).
	Problem *Error `json:"problem,omitempty"`
	// OnDisk is the file as it is now.
	OnDisk string `json:"on_disk"`
	// Loaded is the file as hooklab loaded or last saved it; "" when
	// hooklab did not read this file (the embedded default, say).
	Loaded string `json:"loaded"`
	// Proposed is what the save would have written.
	Proposed string `json:"proposed"`
	// Diff is a unified diff from OnDisk to Proposed: what the save
	// would change in the file as it is now.
	Diff string `json:"diff"`
}

// Error renders the refusal on one line.
func (e *ConflictError) Error() string { return e.configError().Error() }

// FileOnDisk is the file's bytes as they are now (the dashboard's
// question: reload it, or see the difference).
func (e *ConflictError) FileOnDisk() []byte { return []byte(e.OnDisk) }

// Unwrap returns the refusal as an *Error.
func (e *ConflictError) Unwrap() error { return e.configError() }

func (e *ConflictError) configError() *Error {
	ce := &Error{File: e.Path, Key: "", Fix: "reload the file (your unsaved edit is dropped), or compare it with your edit and merge by hand"}
	switch {
	case e.Reason == ConflictInvalid && e.Problem != nil:
		why := *e.Problem
		why.Fix = ""
		ce.Message = "not saved: the file on disk no longer loads (" + why.Error() + ")"
		ce.Fix = "fix the file first (hooklab will not overwrite it), or compare it with your edit"
	case e.Loaded == "":
		ce.Message = "not saved: the file exists on disk and is not the one hooklab loaded"
	default:
		ce.Message = "not saved: the file changed on disk since hooklab loaded it"
	}
	return ce
}

// checkDisk refuses to overwrite target unless it still holds what f was
// loaded from (or last saved as), is missing, or already holds proposed.
// label names the file in the error.
func (f *File) checkDisk(label, target string, proposed []byte) error {
	cur, err := os.ReadFile(target)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // nothing there to lose
	}
	if err != nil {
		return &Error{File: label, Message: "not saved: cannot read the file before replacing it: " + unwrapPathErr(err),
			Fix: "check the file's permissions"}
	}
	if f.disk != nil && bytes.Equal(cur, f.disk) || bytes.Equal(cur, proposed) {
		return nil
	}
	ce := &ConflictError{Path: label, Reason: ConflictChanged, OnDisk: string(cur), Loaded: string(f.disk), Proposed: string(proposed)}
	if _, perr := Parse(label, cur); perr != nil {
		ce.Reason = ConflictInvalid
		if !errors.As(perr, &ce.Problem) {
			ce.Problem = &Error{File: label, Message: perr.Error()}
		}
	}
	ce.Diff = udiff.Unified(label+" (on disk)", label+" (hooklab's save)", ce.OnDisk, ce.Proposed)
	return ce
}

// Problem is a langgraph.json on disk that does not load while the
// config in force stays: what a dashboard banner shows until it is fixed.
type Problem struct {
	Path    string    `json:"path"`
	Message string    `json:"message"` // the error, on one line
	Key     string    `json:"key,omitempty"`
	Line    int       `json:"line,omitempty"`
	Column  int       `json:"column,omitempty"`
	Since   time.Time `json:"since"`
}

// NewProblem describes err, the reason the file at path does not load,
// first seen at since.
func NewProblem(path string, err error, since time.Time) *Problem {
	p := &Problem{Path: path, Message: err.Error(), Since: since}
	var ce *Error
	if errors.As(err, &ce) {
		p.Key, p.Line, p.Column = ce.Key, ce.Line, ce.Column
	}
	return p
}

// Loaded returns the bytes f was read from or last saved as (nil when it
// was not read from a file): the base a save compares the disk with.
func (f *File) Loaded() []byte { return bytes.Clone(f.disk) }
