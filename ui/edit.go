package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	tea "charm.land/bubbletea/v2"

	"hooklab/sender"
	"hooklab/server/hub"
)

// Edit-and-replay: the delivery's request goes to $EDITOR as one JSON
// document, and what comes back is sent as a replay of it.

// editDoc is what $EDITOR sees: the request as one JSON document.
type editDoc struct {
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

func writeEditDoc(d sender.Delivery) ([]byte, error) {
	var b bytes.Buffer
	u, _ := json.Marshal(d.URL)
	fmt.Fprintf(&b, "{\n  \"url\": %s,\n  \"headers\": {", u)
	for i, h := range d.Headers { // written by hand to keep header order
		k, _ := json.Marshal(h.Name)
		v, _ := json.Marshal(h.Value)
		sep := ","
		if i == len(d.Headers)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "\n    %s: %s%s", k, v, sep)
	}
	b.WriteString("\n  },\n  \"body\": ")
	body := d.Body
	if len(bytes.TrimSpace(body)) == 0 {
		body = json.RawMessage("null")
	}
	var ind bytes.Buffer
	if err := json.Indent(&ind, body, "  ", "  "); err != nil {
		return nil, fmt.Errorf("stored body is not JSON: %w", err)
	}
	b.Write(ind.Bytes())
	b.WriteString("\n}\n")
	return b.Bytes(), nil
}

// editCmd writes the edit document to a temp file; $EDITOR runs next.
func (m *Model) editCmd(id string) tea.Cmd {
	if id == "" {
		return m.setStatus("select a delivery to edit", statusWarn, defaultTTL)
	}
	b, ctx := m.b, m.ctx
	return func() tea.Msg {
		orig, err := b.Delivery(ctx, id)
		if err != nil {
			return editReadyMsg{err: err}
		}
		doc, err := writeEditDoc(orig)
		if err != nil {
			return editReadyMsg{err: err}
		}
		f, err := os.CreateTemp("", "hooklab-replay-*.json")
		if err != nil {
			return editReadyMsg{err: err}
		}
		_, err = f.Write(doc)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return editReadyMsg{path: f.Name(), orig: orig, doc: doc, err: err}
	}
}

func (m *Model) handleEditReady(msg editReadyMsg) tea.Cmd {
	if msg.err != nil {
		if msg.path != "" {
			_ = os.Remove(msg.path)
		}
		return m.setStatus("edit: "+msg.err.Error(), statusErr, defaultTTL)
	}
	args := strings.Fields(m.editor)
	if len(args) == 0 {
		args = []string{"vi"}
	}
	c := exec.Command(args[0], append(args[1:], msg.path)...)
	ready := msg
	return tea.ExecProcess(c, func(err error) tea.Msg { return editDoneMsg{ready: ready, err: err} })
}

// handleEditDone reads what the editor left. The edit is cancelled, and
// nothing sent, when the editor exits non-zero or the document comes back
// unchanged. A document that is not JSON goes back to the editor with
// the error noted at its top; the same broken text saved twice cancels.
func (m *Model) handleEditDone(msg editDoneMsg) tea.Cmd {
	r := msg.ready
	if msg.err != nil {
		_ = os.Remove(r.path)
		return m.setStatus("edit cancelled, nothing sent (editor: "+msg.err.Error()+")", statusWarn, defaultTTL)
	}
	b, ctx := m.b, m.ctx
	return func() tea.Msg {
		data, err := os.ReadFile(r.path)
		if err != nil {
			_ = os.Remove(r.path)
			return replayDoneMsg{err: err}
		}
		if bytes.Equal(data, r.doc) {
			_ = os.Remove(r.path)
			return statusMsg{text: "edit cancelled: the document came back unchanged, nothing sent", kind: statusWarn, ttl: defaultTTL}
		}
		rp, err := replayFromDoc(r.orig, data)
		if err != nil {
			text := stripNotes(data)
			if r.bad != nil && bytes.Equal(text, r.bad) {
				_ = os.Remove(r.path)
				return statusMsg{text: "edit cancelled, nothing sent: the same text came back, and " + err.Error(), kind: statusWarn, ttl: defaultTTL}
			}
			doc := append(editNotes(err, text), text...)
			if err := os.WriteFile(r.path, doc, 0o600); err != nil {
				_ = os.Remove(r.path)
				return replayDoneMsg{err: err}
			}
			return editReadyMsg{path: r.path, orig: r.orig, doc: doc, bad: text}
		}
		_ = os.Remove(r.path)
		d, err := b.Replay(ctx, rp)
		return replayDoneMsg{orig: r.orig, d: d, err: err}
	}
}

// notePrefix starts the lines hooklab adds at the top of a document it
// sends back to the editor; they are dropped before parsing.
const notePrefix = "// "

// editNotes says what is wrong with text, at which line and column, and
// how to cancel.
func editNotes(err error, text []byte) []byte {
	msg := err.Error()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(text[:min(int(se.Offset), len(text))], []byte("\n"))
		col := int(se.Offset) - bytes.LastIndexByte(text[:min(int(se.Offset), len(text))], '\n') - 1
		msg += fmt.Sprintf(" (line %d, column %d)", line, col)
	}
	return []byte(notePrefix + "hooklab: " + oneLine(msg) + "\n" +
		notePrefix + "Fix it and save to send the replay. To cancel, save it unchanged or quit the editor with an error (:cq in vi).\n")
}

// stripNotes drops the note lines at the top of an edited document.
func stripNotes(data []byte) []byte {
	for bytes.HasPrefix(data, []byte(notePrefix)) {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return nil
		}
		data = data[i+1:]
	}
	return data
}

// replayFromDoc turns the edited document into a Replay carrying only what
// changed. A header deleted in the editor cannot be expressed (the sender
// only replaces headers), so it is kept.
func replayFromDoc(orig sender.Delivery, data []byte) (sender.Replay, error) {
	var doc editDoc
	if err := json.Unmarshal(stripNotes(data), &doc); err != nil {
		return sender.Replay{}, fmt.Errorf("edited document is not valid JSON: %w", err)
	}
	r := sender.Replay{ID: orig.ID}
	if doc.URL != "" && doc.URL != orig.URL {
		r.URL = doc.URL
	}
	// A deleted "body" key means no change, and an empty original body was
	// written as null: neither may turn into a replay with body "null".
	origBody := orig.Body
	if len(bytes.TrimSpace(origBody)) == 0 {
		origBody = json.RawMessage("null")
	}
	var a, b bytes.Buffer
	_ = json.Compact(&a, origBody)
	if doc.Body != nil {
		if err := json.Compact(&b, doc.Body); err != nil {
			return sender.Replay{}, errors.New("edited body is not valid JSON")
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			r.Body = json.RawMessage(b.Bytes())
		}
	}
	// Only changed or added headers go in: the sender replaces headers of
	// the same name, so unchanged (possibly masked) secrets are re-resolved.
	orig0 := map[string]string{}
	for _, h := range orig.Headers {
		orig0[h.Name] = h.Value
	}
	for _, k := range sortedKeys(doc.Headers) {
		if v, ok := orig0[k]; !ok || v != doc.Headers[k] {
			r.Headers = append(r.Headers, hub.HeaderKV{Name: k, Value: doc.Headers[k]})
		}
	}
	return r, nil
}
