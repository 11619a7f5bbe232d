package server

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
)

// TestConcurrentPatchAndRead hammers the routes that change an object while
// others read it. Answers are encoded after the server lock is released, so
// a PATCH that changed a map in place once crashed the whole process
// ("concurrent map iteration and map write"). Run with -race for the full
// check; without it the test still fails on a crash or any non-2xx.
func TestConcurrentPatchAndRead(t *testing.T) {
	ts := mustStart(t)
	var th struct {
		ThreadID string `json:"thread_id"`
	}
	ts.mustDo(t, "POST", "/threads", map[string]any{"metadata": map[string]any{"a": 1}}, 200, &th)
	var cron struct {
		CronID string `json:"cron_id"`
	}
	ts.mustDo(t, "POST", "/runs/crons", map[string]any{"assistant_id": "agent", "schedule": "0 0 1 1 *"}, 200, &cron)

	type call struct{ method, path, body string }
	loops := [][]call{
		{{"PATCH", "/threads/" + th.ThreadID, `{"metadata":{"k%d":%d}}`}},
		{{"POST", "/threads/search", `{"limit":100,"metadata":{"a":1}}`}, {"GET", "/threads/" + th.ThreadID, ""}},
		{{"PATCH", "/assistants/agent", `{"metadata":{"k%d":%d}}`}},
		{{"GET", "/assistants/agent", ""}, {"POST", "/assistants/search", `{"limit":100}`}},
		{{"PATCH", "/runs/crons/" + cron.CronID, `{"metadata":{"k%d":%d},"input":{"n":%d}}`}},
		{{"POST", "/runs/crons/search", `{"limit":100}`}, {"GET", "/runs/crons/" + cron.CronID, ""}},
		{{"POST", "/threads/" + th.ThreadID + "/runs", `{"assistant_id":"agent","metadata":{"n":%d}}`},
			{"GET", "/threads/" + th.ThreadID + "/runs?limit=50", ""}, {"GET", "/threads/" + th.ThreadID + "/state", ""}},
	}
	const rounds = 150
	errs := make(chan error, len(loops))
	var wg sync.WaitGroup
	for _, calls := range loops {
		wg.Go(func() {
			for i := range rounds {
				for _, c := range calls {
					body := c.body
					if bytes.Contains([]byte(body), []byte("%d")) {
						n := bytes.Count([]byte(body), []byte("%d"))
						args := make([]any, n)
						for j := range args {
							args[j] = i
						}
						body = fmt.Sprintf(body, args...)
					}
					req, _ := http.NewRequest(c.method, ts.URL+c.path, bytes.NewBufferString(body))
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						errs <- fmt.Errorf("%s %s: %v", c.method, c.path, err)
						return
					}
					out, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode/100 != 2 {
						errs <- fmt.Errorf("%s %s: %d %s", c.method, c.path, resp.StatusCode, out)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	ts.mustDo(t, "GET", "/ok", nil, 200, nil)
}
