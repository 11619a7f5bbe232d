package ui

import (
	"flag"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
)

// The README's keymap is generated from the real one, so it cannot drift:
// TestReadmeKeymap fails when they differ, and `go test ./ui -run
// TestReadmeKeymap -update` rewrites the README's table.

const (
	keymapStart = "<!-- keymap: generated from ui.KeyMap by go test ./ui -run TestReadmeKeymap -update -->"
	keymapEnd   = "<!-- end of keymap -->"
)

// keymapGroups says where each group of KeyMap works, in its order.
func keymapGroups() map[string]string {
	return map[string]string{
		"Global": "Anywhere (outside a dialog)",
		"List":   "The list (runs, or raw events after `v`)",
		"Detail": "The selected row (actions work from the list too)",
		"Dialog": "Inside a dialog (each shows the keys it takes)",
	}
}

// keymapMarkdown renders k as the README's tables: one per group, each key
// with every key that triggers it and what it does.
func keymapMarkdown(k KeyMap) string {
	var b strings.Builder
	v := reflect.ValueOf(k)
	for i := range v.NumField() {
		group := v.Type().Field(i).Name
		fmt.Fprintf(&b, "\n**%s**\n\n| keys | does |\n| --- | --- |\n", keymapGroups()[group])
		g := v.Field(i)
		for j := range g.NumField() {
			kb := g.Field(j).Interface().(key.Binding)
			keys := make([]string, len(kb.Keys()))
			for n, s := range kb.Keys() {
				keys[n] = "`" + s + "`"
			}
			fmt.Fprintf(&b, "| %s | %s |\n", strings.Join(keys, " "), kb.Help().Desc)
		}
	}
	return b.String()
}

func TestReadmeKeymap(t *testing.T) {
	const path = "../README.md"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	start, end := strings.Index(text, keymapStart), strings.Index(text, keymapEnd)
	if start < 0 || end < start {
		t.Fatalf("README.md has no keymap block (%q ... %q)", keymapStart, keymapEnd)
	}
	want := keymapMarkdown(defaultKeyMap()) + "\n"
	got := text[start+len(keymapStart) : end]
	if got == want {
		return
	}
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		text = text[:start+len(keymapStart)] + want + text[end:]
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("README.md's keymap differs from ui.KeyMap (go test ./ui -run TestReadmeKeymap -update rewrites it):\n--- README\n%s\n--- KeyMap\n%s", got, want)
}

// TestReadmeKeymapCoversEveryBinding: every binding of the keymap is in
// the generated tables, and every group says where it works.
func TestReadmeKeymapCoversEveryBinding(t *testing.T) {
	md := keymapMarkdown(defaultKeyMap())
	v := reflect.ValueOf(defaultKeyMap())
	n := 0
	for i := range v.NumField() {
		if keymapGroups()[v.Type().Field(i).Name] == "" {
			t.Errorf("group %s says nowhere", v.Type().Field(i).Name)
		}
		n += v.Field(i).NumField()
	}
	if rows := strings.Count(md, "\n| `"); rows != n {
		t.Fatalf("%d rows for %d bindings", rows, n)
	}
}
