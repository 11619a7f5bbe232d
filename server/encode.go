package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"hooklab/server/store"
)

// apiError is an answer with a status and a detail that names the field and
// the fix. Handlers return it; writeError renders it as {"detail": "..."}.
type apiError struct {
	Status int
	Detail string
}

// Error implements error.
func (e *apiError) Error() string { return e.Detail }

func errorf(status int, format string, args ...any) *apiError {
	return &apiError{Status: status, Detail: fmt.Sprintf(format, args...)}
}

func notFound(what, id string) *apiError {
	return errorf(http.StatusNotFound, "%s '%s' not found", what, id)
}

// invalid is a 422 naming the field and what it must be.
func invalid(field, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusUnprocessableEntity, Detail: field + ": " + fmt.Sprintf(format, args...)}
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

func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{Status: http.StatusInternalServerError, Detail: err.Error()}
	}
	if dw, ok := w.(detailWriter); ok {
		dw.setDetail(ae.Detail)
	}
	writeJSON(w, ae.Status, map[string]string{"detail": ae.Detail})
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

// decodeJSON decodes the request body into v. An empty body decodes as {}
// when allowEmpty is set (several SDK calls send none).
func decodeJSON(r *http.Request, v any, allowEmpty bool) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeBytes(b, v, allowEmpty)
}

func decodeBytes(b []byte, v any, allowEmpty bool) error {
	if len(bytes.TrimSpace(b)) == 0 {
		if allowEmpty {
			return nil
		}
		return invalid("request body", "required; send a JSON object")
	}
	if !utf8.Valid(b) {
		// encoding/json would turn the bad bytes into U+FFFD silently;
		// the platform's parser refuses them.
		return invalid("request body", "not valid UTF-8; send JSON encoded as UTF-8")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return jsonError(b, err)
	}
	return nil
}

// jsonError turns a decoding error into a 422 that names the field (or the
// line and column of a syntax error) and the fix.
func jsonError(b []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := lineCol(b, se.Offset)
		return invalid("request body", "malformed JSON at line %d, column %d: %s; send valid JSON", line, col, se.Error())
	case errors.As(err, &te):
		// encoding/json names an embedded struct by its Go type
		// ("runBody.metadata"); the client knows only the JSON key.
		field := strings.ReplaceAll(te.Field, "runBody.", "")
		if field == "" {
			field = "request body"
		}
		return invalid(field, "expected %s, got JSON %s; fix the type of %q", goTypeName(te.Type.String()), te.Value, field)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("request body", "truncated JSON; send a complete JSON document")
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	return invalid("request body", "%v", err)
}

func goTypeName(t string) string {
	switch {
	case t == "server.Time" || t == "*server.Time":
		return "an RFC 3339 time such as \"2026-01-02T15:04:05Z\""
	case strings.HasPrefix(t, "map["), strings.HasPrefix(t, "server."), strings.HasPrefix(t, "struct"):
		return "an object"
	case strings.HasPrefix(t, "[]"):
		return "an array"
	case t == "string" || t == "*string":
		return "a string"
	case t == "bool" || t == "*bool":
		return "a boolean"
	case strings.Contains(t, "int") || strings.Contains(t, "float"):
		return "a number"
	}
	return t
}

func lineCol(b []byte, off int64) (int, int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	line, col := 1, 1
	for _, c := range b[:off] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// oneOf checks an enum field; empty means "use the default".
func oneOf(field, v string, allowed ...string) error {
	if v == "" {
		return nil
	}
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return invalid(field, "unknown value %q; use one of %s", v, strings.Join(allowed, ", "))
}
