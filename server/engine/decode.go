package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"unicode/utf8"
)

// Decode decodes a request body into v. An empty body decodes as {} when
// allowEmpty is set (several SDK calls send none). Errors name the field,
// or the line and column of a syntax error, and the fix.
func Decode(b []byte, v any, allowEmpty bool) error {
	if len(bytes.TrimSpace(b)) == 0 {
		if allowEmpty {
			return nil
		}
		return Invalid("request body", "required; send a JSON object")
	}
	if !utf8.Valid(b) {
		// encoding/json would turn the bad bytes into U+FFFD silently;
		// the platform's parser refuses them.
		return Invalid("request body", "not valid UTF-8; send JSON encoded as UTF-8")
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
		return Invalid("request body", "malformed JSON at line %d, column %d: %s; send valid JSON", line, col, se.Error())
	case errors.As(err, &te):
		// encoding/json names an embedded struct by its Go type
		// ("RunRequest.metadata"); the client knows only the JSON key.
		field := strings.ReplaceAll(te.Field, "RunRequest.", "")
		if field == "" {
			field = "request body"
		}
		return Invalid(field, "expected %s, got JSON %s; fix the type of %q", goTypeName(te.Type.String()), te.Value, field)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Invalid("request body", "truncated JSON; send a complete JSON document")
	}
	var ee *Error
	if errors.As(err, &ee) {
		return ee
	}
	return Invalid("request body", "%v", err)
}

func goTypeName(t string) string {
	switch {
	case t == "engine.Time" || t == "*engine.Time":
		return "an RFC 3339 time such as \"2026-01-02T15:04:05Z\""
	case strings.HasPrefix(t, "map["), strings.HasPrefix(t, "engine."), strings.HasPrefix(t, "struct"):
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
