package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseEnvFile(t *testing.T) {
	in := "# comment\n\n  LG_A=plain value  \nexport LG_B=\"quoted # kept\" # comment\nLG_C='single \\n literal'\n" +
		"LG_D=\"esc\\n\\t\\\"q\\\" \\\\\"\r\nLG_E=\nLG_F=a=b=c\nexport=1\nLG_G=\"multi\nline\"\nLG_H=x #inline\nLG_I=x#notcomment\n"
	got, err := ParseEnvFile(".env", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"LG_A": "plain value", "LG_B": "quoted # kept", "LG_C": `single \n literal`,
		"LG_D": "esc\n\t\"q\" \\", "LG_E": "", "LG_F": "a=b=c", "export": "1",
		"LG_G": "multi\nline", "LG_H": "x", "LG_I": "x#notcomment",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func TestParseEnvFileErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"A=1\nsecret-without-equals\n", ".env:2: env: expected KEY=VALUE"},
		{"A=1\n\nB=\"open\n", ".env:3: env: unterminated quoted value"},
		{"A='x' tail\n", ".env:1: env: unexpected text after the closing quote"},
		{"1A=x\n", ".env:1: env: expected KEY=VALUE"},
	}
	for _, tt := range tests {
		_, err := ParseEnvFile(".env", []byte(tt.in))
		var ce *Error
		if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want prefix %q", tt.in, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("error echoes the line: %v", err)
		}
	}
}

func TestEnvLookupProcessWins(t *testing.T) {
	f := &File{Env: map[string]string{"A": "file", "B": "file"}}
	proc := func(k string) (string, bool) {
		if k == "A" {
			return "proc", true
		}
		return "", false
	}
	l := EnvLookup(f, proc)
	if v, _ := l("A"); v != "proc" {
		t.Errorf("A = %q, want the process value", v)
	}
	if v, _ := l("B"); v != "file" {
		t.Errorf("B = %q, want the file value", v)
	}
	if _, ok := l("C"); ok {
		t.Error("C should be unset")
	}
	if _, ok := EnvLookup(nil, nil)("A"); ok {
		t.Error("nil file and lookup should find nothing")
	}
}

func TestReadEnvFileRefusesDevices(t *testing.T) {
	_, err := Parse("langgraph.json", []byte(`{"graphs": {"a": "x"}, "env": "/dev/zero"}`))
	if err == nil || !strings.Contains(err.Error(), "/dev/zero: env: the env file is not a regular file") {
		t.Fatalf("err = %v", err)
	}
}
