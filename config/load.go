package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"unicode/utf8"
)

// defaultConfig is hooklab's embedded default: one echo graph, and a
// webhooks.url object that lets local receivers and the sink work.
const defaultConfig = `{"graphs": {"agent": "hooklab:echo"}, "webhooks": {"url": {"require_https": false, "disable_loopback": false}}}`

// DefaultJSON returns the embedded default langgraph.json text.
func DefaultJSON() []byte { return []byte(defaultConfig) }

// Default returns a fresh copy of the embedded default config: Embedded is
// true and Path is "", so Save writes ./langgraph.json.
func Default() *File {
	f, err := Parse("", []byte(defaultConfig))
	if err != nil {
		panic("config: embedded default is invalid: " + err.Error()) // caught by TestDefault
	}
	f.Embedded = true
	return f
}

// Load reads and validates the langgraph.json at path. A relative `env`
// file is resolved against path's directory.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		fix := "check the path given to --config"
		if errors.Is(err, os.ErrNotExist) {
			fix = "create the file or pass an existing one with --config"
		}
		return nil, &Error{File: path, Message: "cannot read: " + unwrapPathErr(err), Fix: fix}
	}
	return Parse(path, data)
}

// unwrapPathErr drops the path from an *fs.PathError, which Error already names.
func unwrapPathErr(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Parse validates data as the langgraph.json read from path ("" for text
// that has no file, such as the embedded default). Every error is an *Error.
func Parse(path string, data []byte) (*File, error) {
	label := fileLabel(path)
	orig := data
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // editors on Windows add a BOM
	var probe any
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, syntaxError(label, data, err)
	}
	doc, ok := decodeObject(data)
	if !ok {
		return nil, &Error{File: label, Message: "top level must be a JSON object, got " + kind(data),
			Fix: `wrap the configuration in { ... }, e.g. {"graphs": {"agent": "./agent.py:graph"}}`}
	}
	doc.indent = detectIndent(data)
	f := &File{Path: path, raw: doc}
	if path != "" {
		f.disk = bytes.Clone(orig)
	}
	p := parser{file: label}
	if err := p.graphs(f, doc); err != nil {
		return nil, err
	}
	if err := p.env(f, doc, filepath.Dir(path)); err != nil {
		return nil, err
	}
	if err := p.http(f, doc); err != nil {
		return nil, err
	}
	if err := p.checkCORS(f, doc); err != nil {
		return nil, err
	}
	if err := p.webhooks(f, doc); err != nil {
		return nil, err
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

// syntaxError turns a json error into an *Error with line and column.
func syntaxError(label string, data []byte, err error) error {
	e := &Error{File: label, Message: "invalid JSON: " + err.Error(),
		Fix: "correct the JSON at this position (comments and trailing commas are not allowed)"}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		e.Line, e.Column = lineCol(data, int(se.Offset))
	}
	return e
}

// lineCol converts json's byte offset (just past the offending byte) to a
// 1-based line and character column.
func lineCol(data []byte, off int) (line, col int) {
	off = min(max(off-1, 0), len(data))
	line = 1 + bytes.Count(data[:off], []byte("\n"))
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	return line, utf8.RuneCount(data[start:off]) + 1
}

// parser carries the file label into every error it builds.
type parser struct{ file string }

// errf builds an *Error for key.
func (p parser) errf(key, fix, format string, args ...any) *Error {
	return &Error{File: p.file, Key: key, Message: fmt.Sprintf(format, args...), Fix: fix}
}

// graphs reads the graph ids, in file order.
func (p parser) graphs(f *File, doc rawDoc) error {
	const fix = `list your graphs, e.g. "graphs": {"agent": "./agent.py:graph"}`
	raw, ok := doc.vals["graphs"]
	if !ok {
		return p.errf("graphs", fix, "missing required key")
	}
	g, ok := decodeObject(raw)
	if !ok {
		return p.errf("graphs", fix, "must be an object mapping graph ids to graphs, got %s", got(raw))
	}
	if len(g.keys) == 0 {
		return p.errf("graphs", fix, "must list at least one graph")
	}
	for _, k := range g.keys {
		if k == "" {
			return p.errf("graphs", `give the graph a non-empty id, e.g. "agent"`, "graph id must not be empty")
		}
	}
	f.Graphs = g.keys
	return nil
}

// env reads `env`: an object of strings, or a .env file path relative to dir.
func (p parser) env(f *File, doc rawDoc, dir string) error {
	raw, ok := doc.vals["env"]
	if !ok {
		return nil
	}
	const fix = `use an object of strings, e.g. "env": {"LG_WEBHOOK_TOKEN": "..."}, or a path such as "env": ".env"`
	if kind(raw) == "string" {
		var name string
		_ = json.Unmarshal(raw, &name)
		if name == "" {
			return p.errf("env", fix, "must not be an empty path")
		}
		if !filepath.IsAbs(name) {
			name = filepath.Join(dir, name)
		}
		vars, err := ReadEnvFile(name)
		if err != nil {
			return err
		}
		f.Env, f.EnvFile = vars, name
		return nil
	}
	obj, ok := decodeObject(raw)
	if !ok {
		return p.errf("env", fix, "must be an object or a .env file path, got %s", got(raw))
	}
	f.Env = make(map[string]string, len(obj.keys))
	for _, k := range obj.keys {
		var s string
		if kind(obj.vals[k]) != "string" || json.Unmarshal(obj.vals[k], &s) != nil {
			// The value may be a secret: name its type, never echo it.
			return p.errf("env."+k, `quote the value, e.g. "`+k+`": "3"`, "must be a string, got %s", kind(obj.vals[k]))
		}
		f.Env[k] = s
	}
	return nil
}

// http reads http.disable_webhooks; other http keys stay in raw.
func (p parser) http(f *File, doc rawDoc) error {
	raw, ok := doc.vals["http"]
	if !ok {
		return nil
	}
	obj, ok := decodeObject(raw)
	if !ok {
		return p.errf("http", `use an object, e.g. "http": {"disable_webhooks": false}`, "must be an object, got %s", got(raw))
	}
	if v, ok := obj.vals["disable_webhooks"]; ok {
		b, err := p.boolean("http.disable_webhooks", v)
		if err != nil {
			return err
		}
		f.HTTP.DisableWebhooks = *b
	}
	return nil
}

// boolean decodes a strict JSON boolean.
func (p parser) boolean(key string, raw json.RawMessage) (*bool, error) {
	var b bool
	if kind(raw) != "boolean" || json.Unmarshal(raw, &b) != nil {
		return nil, p.errf(key, "write true or false without quotes", "must be true or false, got %s", got(raw))
	}
	return &b, nil
}

// stringList decodes an array of strings.
func (p parser) stringList(key string, raw json.RawMessage, fix string) ([]string, error) {
	var items []json.RawMessage
	if kind(raw) != "array" || json.Unmarshal(raw, &items) != nil {
		return nil, p.errf(key, fix, "must be an array of strings, got %s", got(raw))
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		var s string
		if kind(it) != "string" || json.Unmarshal(it, &s) != nil {
			return nil, p.errf(fmt.Sprintf("%s[%d]", key, i), fix, "must be a string, got %s", got(it))
		}
		out = append(out, s)
	}
	return out, nil
}

// LoadOrDefault applies the --config default: path when given,
// else ./langgraph.json when it exists, else the embedded default.
func LoadOrDefault(path string) (*File, error) {
	if path != "" {
		return Load(path)
	}
	if _, err := os.Stat("langgraph.json"); err == nil {
		return Load("langgraph.json")
	}
	return Default(), nil
}
