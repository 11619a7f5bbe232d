package config

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// FieldNames lists the payload keys allowed in webhooks.allowed_fields: the
// top-level keys of the webhook body, in payload order. It returns a fresh
// slice each time, so there is no shared mutable state.
func FieldNames() []string {
	return []string{
		"run_id", "thread_id", "assistant_id", "created_at", "updated_at", "metadata",
		"status", "kwargs", "multitask_strategy", "run_started_at", "run_ended_at",
		"webhook_sent_at", "values", "error",
	}
}

// knownWebhookKeys and knownURLKeys are the keys the platform reads; others
// are kept on save and reported in File.Warnings.
func knownWebhookKeys() []string { return []string{"env_prefix", "headers", "allowed_fields", "url"} }

func knownURLKeys() []string {
	return []string{"allowed_domains", "require_https", "allowed_ports",
		"disable_loopback", "disable_private_ips", "max_url_length"}
}

// webhooks reads the `webhooks` key with precise type errors.
func (p parser) webhooks(f *File, doc rawDoc) error {
	raw, ok := doc.vals["webhooks"]
	if !ok {
		return nil
	}
	obj, ok := decodeObject(raw)
	if !ok {
		return p.errf("webhooks", `use an object, e.g. "webhooks": {"url": {"require_https": true}}`, "must be an object, got %s", got(raw))
	}
	w := &f.Webhooks
	f.Warnings = append(f.Warnings, unknownKeys("webhooks", obj, knownWebhookKeys())...)
	if v, ok := obj.vals["env_prefix"]; ok {
		var s string
		if kind(v) != "string" || json.Unmarshal(v, &s) != nil {
			return p.errf("webhooks.env_prefix", `use a string such as "LG_WEBHOOK_", or "" to turn the prefix check off`, "must be a string, got %s", got(v))
		}
		w.EnvPrefix = &s
	}
	if v, ok := obj.vals["headers"]; ok {
		h, ok := decodeObject(v)
		if !ok {
			return p.errf("webhooks.headers", `use an object, e.g. "headers": {"Authorization": "Bearer ${{ env.LG_WEBHOOK_TOKEN }}"}`, "must be an object mapping header names to strings, got %s", got(v))
		}
		w.Headers = make([]Header, 0, len(h.keys))
		for _, name := range h.keys {
			var s string
			if kind(h.vals[name]) != "string" || json.Unmarshal(h.vals[name], &s) != nil {
				return p.errf("webhooks.headers."+name, `quote the value, e.g. "`+name+`": "3"`, "Webhook header values must be strings")
			}
			w.Headers = append(w.Headers, Header{Name: name, Template: s})
		}
	}
	if v, ok := obj.vals["allowed_fields"]; ok {
		list, err := p.stringList("webhooks.allowed_fields", v, "list payload keys, e.g. [\"run_id\", \"status\"]")
		if err != nil {
			return err
		}
		w.AllowedFields = list
	}
	if v, ok := obj.vals["url"]; ok {
		u, err := p.url(v, f)
		if err != nil {
			return err
		}
		w.URL = u
	}
	return nil
}

// url reads webhooks.url.
func (p parser) url(raw json.RawMessage, f *File) (*URLOptions, error) {
	obj, ok := decodeObject(raw)
	if !ok {
		return nil, p.errf("webhooks.url", `use an object, e.g. "url": {"require_https": true}`, "must be an object, got %s", got(raw))
	}
	f.Warnings = append(f.Warnings, unknownKeys("webhooks.url", obj, knownURLKeys())...)
	u := &URLOptions{}
	var err error
	if v, ok := obj.vals["allowed_domains"]; ok {
		if u.AllowedDomains, err = p.stringList("webhooks.url.allowed_domains", v, `list host names, e.g. ["api.example.com", "*.example.com"]`); err != nil {
			return nil, err
		}
	}
	for _, b := range []struct {
		key string
		dst **bool
	}{{"require_https", &u.RequireHTTPS}, {"disable_loopback", &u.DisableLoopback}, {"disable_private_ips", &u.DisablePrivateIPs}} {
		if v, ok := obj.vals[b.key]; ok {
			if *b.dst, err = p.boolean("webhooks.url."+b.key, v); err != nil {
				return nil, err
			}
		}
	}
	if v, ok := obj.vals["allowed_ports"]; ok {
		var items []json.RawMessage
		if kind(v) != "array" || json.Unmarshal(v, &items) != nil {
			return nil, p.errf("webhooks.url.allowed_ports", "list port numbers, e.g. [443, 8443]", "must be an array of integer ports, got %s", got(v))
		}
		u.AllowedPorts = make([]int, 0, len(items))
		for i, it := range items {
			n, err := strconv.Atoi(string(it))
			if kind(it) != "number" || err != nil || n < 1 || n > 65535 {
				return nil, p.errf(fmt.Sprintf("webhooks.url.allowed_ports[%d]", i), "write each port as a number without quotes, e.g. 443", "must be an integer port 1-65535, got %s", got(it))
			}
			u.AllowedPorts = append(u.AllowedPorts, n)
		}
	}
	if v, ok := obj.vals["max_url_length"]; ok {
		n, err := strconv.Atoi(string(v))
		if kind(v) != "number" || err != nil || n < 1 {
			return nil, p.errf("webhooks.url.max_url_length", "use a positive whole number, e.g. 2048", "must be a positive integer, got %s", got(v))
		}
		u.MaxURLLength = &n
	}
	return u, nil
}

// unknownKeys warns about keys the platform does not read.
func unknownKeys(prefix string, obj rawDoc, known []string) []string {
	var out []string
	for _, k := range obj.keys {
		if !slices.Contains(known, k) {
			out = append(out, fmt.Sprintf("%s.%s is not a known key and is ignored (known: %s)", prefix, k, strings.Join(known, ", ")))
		}
	}
	return out
}

// Validate checks the values of f.Webhooks that do not depend on the
// environment. Parse runs it; run it again after editing f (Resolve does).
func (f *File) Validate() error {
	p := parser{file: fileLabel(f.Path)}
	w := f.Webhooks
	for _, h := range w.Headers {
		if !validHeaderName(h.Name) {
			return p.errf("webhooks.headers."+h.Name, "use letters, digits and - only, e.g. X-Api-Key", "header name %q is not a valid HTTP header name", h.Name)
		}
		if strings.ContainsAny(h.Template, "\r\n\x00") {
			return p.errf("webhooks.headers."+h.Name, "remove the line break from the value", "header value must not contain line breaks")
		}
	}
	fields := FieldNames()
	for _, name := range w.AllowedFields {
		if !slices.Contains(fields, name) {
			return p.errf("webhooks.allowed_fields", "use only: "+strings.Join(fields, ", "),
				"webhooks.allowed_fields contains invalid field '%s'", name)
		}
	}
	if w.URL == nil {
		return nil
	}
	for i, d := range w.URL.AllowedDomains {
		d = strings.TrimSpace(d)
		key := fmt.Sprintf("webhooks.url.allowed_domains[%d]", i)
		if d == "" {
			return p.errf(key, `remove the empty entry or write a host name such as "api.example.com"`, "must be a non-empty host name")
		}
		if strings.Contains(d, "*") && (!strings.HasPrefix(d, "*.") || strings.Contains(d[1:], "*") || len(d) == 2) {
			return p.errf("webhooks.url.allowed_domains", fmt.Sprintf(`write %q as "*.example.com" (any subdomain) or an exact host name`, d),
				"webhooks.url.allowed_domains wildcard can only be used as a prefix, in the form '*.domain'")
		}
	}
	for i, n := range w.URL.AllowedPorts {
		if n < 1 || n > 65535 {
			return p.errf(fmt.Sprintf("webhooks.url.allowed_ports[%d]", i), "use a port between 1 and 65535", "must be an integer port 1-65535, got %d", n)
		}
	}
	if m := w.URL.MaxURLLength; m != nil && *m < 1 {
		return p.errf("webhooks.url.max_url_length", "use a positive whole number, e.g. 2048", "must be a positive integer, got %d", *m)
	}
	return nil
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
