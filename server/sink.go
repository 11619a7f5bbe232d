package server

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"hooklab/config"
	"hooklab/server/engine"
	"hooklab/server/hub"
)

// handleSink is the built-in receiver : it records any request and
// answers ?status= (default 200) after ?delay_ms=.
func (s *Server) handleSink(w http.ResponseWriter, r *http.Request) error {
	status, delay := http.StatusOK, 0
	if v := r.URL.Query().Get("status"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 200 || n > 599 {
			return engine.Invalid("status", "must be an HTTP status from 200 to 599, got %q", v)
		}
		status = n
	}
	if v := r.URL.Query().Get("delay_ms"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 600000 {
			return engine.Invalid("delay_ms", "must be milliseconds from 0 to 600000, got %q", v)
		}
		delay = n
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	info := hub.SinkInfo{
		Name: r.PathValue("name"), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Status: status, DelayMS: delay,
	}
	secret := map[string]bool{}
	for _, h := range s.Runtime().Headers {
		if h.Secret {
			secret[http.CanonicalHeaderKey(h.Name)] = true
		}
	}
	// Go's server does not keep the wire order of headers: sorted by name,
	// the record is at least the same for every request.
	for _, name := range slices.Sorted(maps.Keys(r.Header)) {
		for _, v := range r.Header[name] {
			if secret[name] {
				v = config.Mask(v)
			} else {
				v = maskIfSecret(name, v)
			}
			info.Headers = append(info.Headers, hub.HeaderKV{Name: name, Value: v})
		}
	}
	if len(body) > 0 {
		if json.Valid(body) {
			info.Body = body
		} else {
			info.Body = engine.MustJSON(string(body[:min(len(body), maxRecordedBody)]))
		}
	}
	s.emit(hub.KindSink, info)
	if delay > 0 {
		t := time.NewTimer(time.Duration(delay) * time.Millisecond)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return nil
		}
	}
	writeJSON(w, status, map[string]any{"ok": status < 300, "sink": info.Name, "status": status})
	return nil
}

// maskIfSecret masks header values that carry credentials whatever their
// origin: the sink is where templated secrets arrive (those are masked by
// name above), and its events are stored and published.
func maskIfSecret(name, v string) string {
	switch strings.ToLower(name) {
	case "authorization", "proxy-authorization", "cookie", "x-api-key":
		return config.Mask(v)
	}
	return v
}
