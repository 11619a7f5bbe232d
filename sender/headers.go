package sender

import (
	"fmt"
	"slices"
	"strings"

	"hooklab/config"
)

// sendHeader is one request header with its real value. Masked is what
// the store and the event feed get when Secret is set.
type sendHeader struct {
	Name   string
	Value  string
	Masked string
	Secret bool
}

func (h sendHeader) recorded() Header {
	if h.Secret {
		return Header{Name: h.Name, Value: h.Masked}
	}
	return Header{Name: h.Name, Value: h.Value}
}

// setHeader replaces the header named h.Name (case-insensitively) in
// place, keeping its position, or appends h.
func setHeader(hs []sendHeader, h sendHeader) []sendHeader {
	for i := range hs {
		if strings.EqualFold(hs[i].Name, h.Name) {
			hs[i] = h
			return hs
		}
	}
	return append(hs, h)
}

// jobHeaders is the platform's header order: Content-Type, then the
// configured static headers on top, then our User-Agent unless configured.
func jobHeaders(rt *config.Runtime, version string) []sendHeader {
	hs := make([]sendHeader, 0, len(rt.Headers)+2)
	hs = append(hs, sendHeader{Name: "Content-Type", Value: contentTypeValue})
	for _, h := range rt.Headers {
		hs = setHeader(hs, fromResolved(h))
	}
	if !slices.ContainsFunc(hs, func(h sendHeader) bool { return strings.EqualFold(h.Name, "User-Agent") }) {
		hs = append(hs, sendHeader{Name: "User-Agent", Value: "hooklab/" + version})
	}
	return hs
}

func fromResolved(h config.ResolvedHeader) sendHeader {
	masked := h.Masked
	if h.Secret && masked == "" {
		masked = config.Mask(h.Value)
	}
	return sendHeader{Name: h.Name, Value: h.Value, Masked: masked, Secret: h.Secret}
}

// recordHeaders is the stored form of hs and the names of its secrets.
func recordHeaders(hs []sendHeader) ([]Header, []string) {
	out := make([]Header, len(hs))
	var secrets []string
	for i, h := range hs {
		out[i] = h.recorded()
		if h.Secret {
			secrets = append(secrets, h.Name)
		}
	}
	return out, secrets
}

// headerTemplates are rt's templates of the secret headers named, in
// that order: kept with a delivery, so exports name the variables that
// were in force when it was made.
func headerTemplates(rt *config.Runtime, secrets []string) []config.Header {
	if rt.File == nil || len(secrets) == 0 {
		return nil
	}
	var out []config.Header
	for _, name := range secrets {
		i := slices.IndexFunc(rt.File.Webhooks.Headers, func(h config.Header) bool { return strings.EqualFold(h.Name, name) })
		if i >= 0 {
			out = append(out, config.Header{Name: name, Template: rt.File.Webhooks.Headers[i].Template})
		}
	}
	return out
}

// restoreHeaders rebuilds the real headers of a stored delivery: secret
// values are never in the store, so they are taken again from the
// templates resolved now (the current Runtime), by name; other headers are
// kept as stored, in their stored order.
func restoreHeaders(rt *config.Runtime, stored []Header, secrets []string) ([]sendHeader, error) {
	hs := make([]sendHeader, 0, len(stored))
	for _, h := range stored {
		if !slices.ContainsFunc(secrets, func(n string) bool { return strings.EqualFold(n, h.Name) }) {
			hs = append(hs, sendHeader{Name: h.Name, Value: h.Value})
			continue
		}
		i := slices.IndexFunc(rt.Headers, func(r config.ResolvedHeader) bool { return strings.EqualFold(r.Name, h.Name) })
		if i < 0 {
			return nil, fmt.Errorf("header %q came from an env template that is no longer configured (webhooks.headers)", h.Name)
		}
		hs = append(hs, fromResolved(rt.Headers[i]))
	}
	return hs, nil
}

// validHeader reports whether name and value can go on the wire as given.
func validHeader(name, value string) error {
	if name == "" {
		return fmt.Errorf("empty header name")
	}
	for _, c := range []byte(name) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return fmt.Errorf("invalid header name %q", name)
		}
	}
	if strings.ContainsAny(value, "\r\n\x00") {
		return fmt.Errorf("header %q: value must not contain line breaks", name)
	}
	return nil
}
