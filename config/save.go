package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
)

// Clone returns a deep copy of f, including the unmanaged keys.
func (f *File) Clone() *File {
	if f == nil {
		return nil
	}
	c := *f
	c.Graphs = slices.Clone(f.Graphs)
	c.Warnings = slices.Clone(f.Warnings)
	if f.Env != nil {
		c.Env = maps.Clone(f.Env)
	}
	c.Webhooks = f.Webhooks.clone()
	c.raw = f.raw.clone()
	c.disk = bytes.Clone(f.disk)
	return &c
}

// clone deep-copies w, keeping nil and empty apart (they mean different things).
func (w Webhooks) clone() Webhooks {
	c := w
	if w.EnvPrefix != nil {
		c.EnvPrefix = ptr(*w.EnvPrefix)
	}
	c.Headers = slices.Clone(w.Headers)
	c.AllowedFields = slices.Clone(w.AllowedFields)
	if w.URL != nil {
		u := *w.URL
		u.AllowedDomains = slices.Clone(w.URL.AllowedDomains)
		u.AllowedPorts = slices.Clone(w.URL.AllowedPorts)
		for _, p := range []**bool{&u.RequireHTTPS, &u.DisableLoopback, &u.DisablePrivateIPs} {
			if *p != nil {
				*p = ptr(**p)
			}
		}
		if u.MaxURLLength != nil {
			u.MaxURLLength = ptr(*u.MaxURLLength)
		}
		c.URL = &u
	}
	return c
}

// ptr returns a pointer to a copy of v.
func ptr[T any](v T) *T { return &v }

// Marshal renders f as langgraph.json. Keys hooklab does not manage keep
// their values and order; `webhooks` and `http.disable_webhooks` are rendered
// from f, and left byte-for-byte alone when they did not change. The output
// is indented with the original file's indent unit (two spaces by default).
func (f *File) Marshal() ([]byte, error) {
	doc := f.raw.clone()
	if !doc.has("graphs") && len(f.Graphs) > 0 {
		// A File built in code: serve every graph id with the built-in echo graph.
		g := rawDoc{}
		for _, id := range f.Graphs {
			g.set(id, mustJSON("hooklab:echo"))
		}
		doc.set("graphs", g.encode())
	}
	orig := parser{}
	var was File
	_ = orig.http(&was, doc)
	_ = orig.webhooks(&was, doc)

	if was.HTTP != f.HTTP {
		h, _ := decodeObject(doc.vals["http"]) // absent or not an object: start afresh
		h.set("disable_webhooks", mustJSON(f.HTTP.DisableWebhooks))
		doc.set("http", h.encode())
	}
	if !reflect.DeepEqual(was.Webhooks, f.Webhooks) {
		obj, _ := decodeObject(doc.vals["webhooks"])
		renderWebhooks(&obj, f.Webhooks)
		if !doc.has("webhooks") && f.Webhooks.empty() {
			// Nothing to say and nothing was there: do not add an empty key.
		} else {
			doc.set("webhooks", obj.encode())
		}
	}
	indent := doc.indent
	if indent == "" {
		indent = "  "
	}
	var out bytes.Buffer
	if err := json.Indent(&out, doc.encode(), "", indent); err != nil {
		return nil, &Error{File: fileLabel(f.Path), Message: "cannot render: " + err.Error(), Fix: "report this as a hooklab bug"}
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// renderWebhooks writes w's managed keys into obj, keeping obj's other keys
// (unknown to the platform) and the original key order.
func renderWebhooks(obj *rawDoc, w Webhooks) {
	setOrDel(obj, "env_prefix", w.EnvPrefix != nil, func() json.RawMessage { return mustJSON(*w.EnvPrefix) })
	setOrDel(obj, "headers", w.Headers != nil, func() json.RawMessage {
		h := rawDoc{}
		for _, x := range w.Headers {
			h.set(x.Name, mustJSON(x.Template))
		}
		return h.encode()
	})
	setOrDel(obj, "allowed_fields", w.AllowedFields != nil, func() json.RawMessage { return mustJSON(w.AllowedFields) })
	setOrDel(obj, "url", w.URL != nil, func() json.RawMessage {
		u := w.URL
		uo, _ := decodeObject(obj.vals["url"])
		setOrDel(&uo, "allowed_domains", u.AllowedDomains != nil, func() json.RawMessage { return mustJSON(u.AllowedDomains) })
		setOrDel(&uo, "require_https", u.RequireHTTPS != nil, func() json.RawMessage { return mustJSON(*u.RequireHTTPS) })
		setOrDel(&uo, "allowed_ports", u.AllowedPorts != nil, func() json.RawMessage { return mustJSON(u.AllowedPorts) })
		setOrDel(&uo, "disable_loopback", u.DisableLoopback != nil, func() json.RawMessage { return mustJSON(*u.DisableLoopback) })
		setOrDel(&uo, "disable_private_ips", u.DisablePrivateIPs != nil, func() json.RawMessage { return mustJSON(*u.DisablePrivateIPs) })
		setOrDel(&uo, "max_url_length", u.MaxURLLength != nil, func() json.RawMessage { return mustJSON(*u.MaxURLLength) })
		return uo.encode()
	})
}

// setOrDel sets key to val() when present, else removes it.
func setOrDel(obj *rawDoc, key string, present bool, val func() json.RawMessage) {
	if present {
		obj.set(key, val())
	} else {
		obj.del(key)
	}
}

// Save validates f and writes it atomically (temp file, fsync, rename) to
// path, or to f.Path when path is "", or to ./langgraph.json for the embedded
// default. A symlink is written through, the file mode is kept, and on
// success f points at the written file (Path set, Embedded false).
//
// A file on disk is never lost: Save refuses with a *ConflictError when
// the target exists and holds neither what f was loaded from (or last
// saved as) nor what Save would write, because it no longer parses or
// was changed by someone else. Reload it (Load) to take the change.
func (f *File) Save(path string) error {
	if err := f.Validate(); err != nil {
		return err
	}
	if path == "" {
		path = f.Path
	}
	if path == "" {
		path = "langgraph.json"
	}
	data, err := f.Marshal()
	if err != nil {
		return err
	}
	target := path
	if real, err := filepath.EvalSymlinks(path); err == nil {
		target = real
	}
	if err := f.checkDisk(path, target, data); err != nil {
		return err
	}
	mode := os.FileMode(0o644)
	if st, err := os.Stat(target); err == nil {
		mode = st.Mode().Perm()
	}
	if err := writeAtomic(target, data, mode); err != nil {
		return &Error{File: path, Message: "cannot save: " + err.Error(), Fix: "check that the directory exists and is writable"}
	}
	doc, _ := decodeObject(data)
	doc.indent = detectIndent(data)
	f.raw, f.Path, f.Embedded, f.disk = doc, path, false, data
	return nil
}

// writeAtomic writes data next to target and renames it into place, so a
// crash leaves either the old file or the new one, never half of one.
func writeAtomic(target string, data []byte, mode os.FileMode) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	_, werr := tmp.Write(data)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err = errors.Join(werr, serr, cerr); err != nil {
		return err
	}
	if err = os.Chmod(tmp.Name(), mode); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), target)
}

// empty reports whether w says nothing: no prefix, headers, fields or url.
func (w Webhooks) empty() bool {
	return w.EnvPrefix == nil && len(w.Headers) == 0 && len(w.AllowedFields) == 0 && w.URL == nil
}
