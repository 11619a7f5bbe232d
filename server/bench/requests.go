package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// runBody is the body of every run the bench creates: the echo graph's
// input, and the webhook.
func (b *bench) runBody(webhook string) []byte {
	body := map[string]any{
		"assistant_id": b.o.Assistant,
		"input":        map[string]any{"messages": []map[string]string{{"role": "user", "content": "bench"}}},
		"webhook":      webhook,
	}
	out, _ := json.Marshal(body) // plain maps of strings: cannot fail
	return out
}

// send creates one run in the lane's mode and, for wait and stream, reads
// the answer to its end (the run is over when it returns).
func (b *bench) send(ctx context.Context, threadID, webhook string) error {
	path := "/runs"
	switch b.o.Mode {
	case ModeWait:
		path = "/runs/wait"
	case ModeStream:
		path = "/runs/stream"
	case ModeThread:
		path = "/threads/" + threadID + "/runs"
	}
	resp, err := b.post(ctx, path, b.runBody(webhook))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return statusError(path, resp)
	}
	switch b.o.Mode {
	case ModeStream:
		return readStream(resp.Body)
	default:
		// Drain so the connection goes back to the pool.
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
}

// createThread makes the lane's thread for ModeThread.
func (b *bench) createThread(ctx context.Context) (string, error) {
	resp, err := b.post(ctx, "/threads", []byte(`{}`))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return "", statusError("/threads", resp)
	}
	var t struct {
		ThreadID string `json:"thread_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&t); err != nil || t.ThreadID == "" {
		return "", fmt.Errorf("POST /threads: no thread_id in the answer (%v)", err)
	}
	return t.ThreadID, nil
}

func (b *bench) post(ctx context.Context, path string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.o.URL+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	return b.client.Do(req)
}

// statusError describes a non-2xx answer with the start of its body, which
// usually holds the server's {"detail": ...}.
func statusError(path string, resp *http.Response) error {
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return fmt.Errorf("POST %s: %s: %s", path, resp.Status, strings.TrimSpace(string(head)))
}

// readStream reads an SSE answer to its end; an `error` event means the run
// failed.
func readStream(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if bytes.Contains(data, []byte("event: error\r\n")) || bytes.Contains(data, []byte("event: error\n")) {
		return fmt.Errorf("POST stream: the run failed: %s", errorEvent(data))
	}
	return nil
}

// errorEvent is the data line of the first error event.
func errorEvent(data []byte) string {
	_, rest, _ := bytes.Cut(data, []byte("event: error"))
	_, rest, _ = bytes.Cut(rest, []byte("data: "))
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	return strings.TrimSpace(string(line))
}
