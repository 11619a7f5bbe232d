package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/engine"
	"hooklab/server/store"
)

// httpError is an answer decided at the HTTP edge itself: no such route, a
// body too large or unreadable, an internal failure.
type httpError struct {
	status int
	detail string
}

// Error implements error.
func (e *httpError) Error() string { return e.detail }

func errorf(status int, format string, args ...any) *httpError {
	return &httpError{status: status, detail: fmt.Sprintf(format, args...)}
}

// statusOf maps an error to its HTTP status: the one place where the
// engine's, the store's, the sender's and the config's errors become
// answers.
func statusOf(err error) int {
	var he *httpError
	var ce *config.Error
	switch {
	case errors.As(err, &he):
		return he.status
	case errors.Is(err, engine.ErrNotFound), errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, engine.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, engine.ErrInvalid), errors.Is(err, sender.ErrInvalid), errors.As(err, &ce):
		return http.StatusUnprocessableEntity
	case errors.Is(err, engine.ErrRejected):
		return http.StatusBadRequest
	case errors.Is(err, engine.ErrPartial):
		return http.StatusCreated
	}
	return http.StatusInternalServerError
}

// detailWriter lets the request middleware see the detail of an error
// answer without re-reading the body.
type detailWriter interface{ setDetail(string) }

// marshal encodes JSON the way the platform writes it (see store.Marshal).
func marshal(v any) ([]byte, error) { return store.Marshal(v) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"detail":"hooklab could not encode the response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// writeError answers {"detail": "..."} with the status err maps to.
func writeError(w http.ResponseWriter, err error) {
	detail := err.Error()
	if dw, ok := w.(detailWriter); ok {
		dw.setDetail(detail)
	}
	writeJSON(w, statusOf(err), map[string]string{"detail": detail})
}

// readBody reads the whole request body, mapping the size limit to 413.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errorf(http.StatusRequestEntityTooLarge,
				"request body: larger than the %d byte limit; send less, or start hooklab with a larger --max-body", mbe.Limit)
		}
		return nil, errorf(http.StatusBadRequest, "request body: could not be read: %v", err)
	}
	return b, nil
}

// decodeJSON decodes the request body into v (see engine.Decode).
func decodeJSON(r *http.Request, v any, allowEmpty bool) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	return engine.Decode(b, v, allowEmpty)
}
