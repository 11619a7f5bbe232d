package e2e

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestE2ETokenAndAllowHost: the built binary with --token and --allow-host
// on loopback: its own API needs the token, the LangGraph API does not,
// the allowed name is served, another is refused, and history goes
// through it with HOOKLAB_TOKEN.
func TestE2ETokenAndAllowHost(t *testing.T) {
	const token = "e2e-t0ken"
	storePath := filepath.Join(t.TempDir(), "h.db")
	p := startHooklab(t, nil, "--store", storePath, "--token", token, "--allow-host", "box.test")
	rc := newHookRecorder(t, 0)
	postJSON(t, p.URL+"/runs/wait", map[string]any{"assistant_id": "agent", "webhook": rc.URL})
	rc.waitN(t, 1)
	send := func(path, host, auth string) (int, string) {
		req, _ := http.NewRequest("GET", p.URL+path, nil)
		if host != "" {
			req.Host = host
		}
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, c := range []struct {
		path, host, auth string
		want             int
	}{
		{"/hooklab/healthz", "", "", 401},
		{"/hooklab/healthz", "", token, 200},
		{"/ok", "", "", 200},
		{"/ok", "box.test:2024", "", 200},
		{"/hooklab/healthz", "box.test", token, 200},
		{"/ok", "evil.test", "", 403},
		{"/hooklab/healthz", "evil.test", token, 403},
	} {
		if got, body := send(c.path, c.host, c.auth); got != c.want {
			t.Errorf("GET %s Host %q token %q = %d %s, want %d", c.path, c.host, c.auth, got, body, c.want)
		}
	}
	// history asks the running hooklab that owns the store.
	if out, errOut, code := runCLI(t, nil, "history", "--json", "--store", storePath); code != 1 || !strings.Contains(errOut, "HOOKLAB_TOKEN") {
		t.Errorf("history without the token: exit %d %s %s", code, out, errOut)
	}
	if out, errOut, code := runCLI(t, []string{"HOOKLAB_TOKEN=" + token}, "history", "--json", "--store", storePath); code != 0 || !strings.Contains(out, "delivered") {
		t.Errorf("history with HOOKLAB_TOKEN: exit %d %s %s", code, out, errOut)
	}
	if strings.Contains(p.stderrText(), "beyond loopback") {
		t.Errorf("a loopback hooklab warned: %s", p.stderrText())
	}
}
