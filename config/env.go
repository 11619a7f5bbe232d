package config

import (
	"bytes"
	"os"
	"strings"
)

// ReadEnvFile reads a .env file (see ParseEnvFile).
func ReadEnvFile(path string) (map[string]string, error) {
	const maxEnvFile = 1 << 20 // a .env larger than this is not a .env
	fail := func(msg string) error {
		return &Error{File: path, Key: "env", Message: msg,
			Fix: "point `env` in langgraph.json at a regular .env file (the path is relative to langgraph.json's directory)"}
	}
	// Refuse devices and pipes (/dev/zero, /dev/stdin) before reading:
	// they would never end.
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return nil, fail("the env file is not a regular file")
	} else if err == nil && st.Size() > maxEnvFile {
		return nil, fail("the env file is larger than 1 MiB")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Key: "env", Message: "cannot read the env file: " + unwrapPathErr(err),
			Fix: "create the file, or fix the `env` path in langgraph.json (it is relative to langgraph.json's directory)"}
	}
	return ParseEnvFile(path, data)
}

// ParseEnvFile parses .env text: KEY=VALUE lines, blank lines, # comments,
// an optional `export ` prefix, and values that are bare (an inline comment
// starts at " #"), 'single-quoted' (literal) or "double-quoted" (with \n, \t,
// \r, \" and \\ escapes). Quoted values may span lines. Values are secrets,
// so errors name the line but never echo its text.
func ParseEnvFile(path string, data []byte) (map[string]string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	vars := map[string]string{}
	line := 1
	fail := func(msg string) error {
		return &Error{File: path, Key: "env", Line: line, Message: msg,
			Fix: "write one KEY=VALUE per line; quote values that contain spaces or #"}
	}
	for len(s) > 0 {
		var cur string
		cur, s = cutLine(s)
		startLine := line
		t := strings.TrimSpace(cur)
		if t == "" || t[0] == '#' {
			line++
			continue
		}
		if rest, ok := strings.CutPrefix(t, "export"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
			t = strings.TrimSpace(rest)
		}
		key, val, ok := strings.Cut(t, "=")
		key = strings.TrimSpace(key)
		if !ok || !validEnvName(key) {
			return nil, fail("expected KEY=VALUE with a name made of letters, digits and _")
		}
		val = strings.TrimLeft(val, " \t")
		if val != "" && (val[0] == '"' || val[0] == '\'') {
			// A quoted value may continue on the following lines.
			q := val[0]
			body := val[1:]
			for {
				end := closingQuote(body, q)
				if end >= 0 {
					tail := strings.TrimSpace(body[end+1:])
					if tail != "" && tail[0] != '#' {
						return nil, fail("unexpected text after the closing quote")
					}
					body = body[:end]
					break
				}
				if s == "" {
					line = startLine
					return nil, fail("unterminated quoted value")
				}
				var next string
				next, s = cutLine(s)
				line++
				body += "\n" + next
			}
			if q == '"' {
				body = unescapeDouble(body)
			}
			vars[key] = body
		} else {
			if i := strings.Index(val, " #"); i >= 0 {
				val = val[:i]
			} else if i := strings.Index(val, "\t#"); i >= 0 {
				val = val[:i]
			}
			vars[key] = strings.TrimSpace(val)
		}
		line++
	}
	return vars, nil
}

// cutLine splits off the first line of s.
func cutLine(s string) (line, rest string) {
	line, rest, _ = strings.Cut(s, "\n")
	return line, rest
}

// closingQuote finds the closing quote q in s, skipping \" inside double quotes.
func closingQuote(s string, q byte) int {
	for i := 0; i < len(s); i++ {
		if q == '"' && s[i] == '\\' {
			i++
			continue
		}
		if s[i] == q {
			return i
		}
	}
	return -1
}

// unescapeDouble expands the escapes of a double-quoted value.
func unescapeDouble(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '"', '\\':
			b.WriteByte(s[i])
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// validEnvName accepts the usual shell variable names (plus . and -, which
// python-dotenv also accepts).
func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || c == '.' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' && i > 0 {
			continue
		}
		return false
	}
	return true
}

// EnvLookup overlays f.Env under lookup: a variable set in the process
// wins, as the platform applies `env` without overriding what is already
// set. A nil lookup means no process environment.
func EnvLookup(f *File, lookup func(string) (string, bool)) func(string) (string, bool) {
	var env map[string]string
	if f != nil {
		env = f.Env
	}
	return func(name string) (string, bool) {
		if lookup != nil {
			if v, ok := lookup(name); ok {
				return v, true
			}
		}
		v, ok := env[name]
		return v, ok
	}
}
