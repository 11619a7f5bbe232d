package server

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"hooklab/server/hub"
	"hooklab/server/store"
)

// TestSinkRecordsHeadersInOrder: the sink's record lists headers sorted by
// name, the same for every request (Go's map order was random).
func TestSinkRecordsHeadersInOrder(t *testing.T) {
	ts := mustStart(t)
	req, _ := http.NewRequest("POST", ts.URL+"/hooklab/sink/h", strings.NewReader(`{}`))
	for _, h := range []string{"Zeta", "Alpha", "Mid", "Beta", "Omega", "Gamma"} {
		req.Header.Set("X-"+h, "1")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ts.Store.Flush(context.Background())
	evs, err := ts.Store.Events(context.Background(), store.Query{Kinds: []hub.Kind{hub.KindSink}})
	if err != nil || len(evs) != 1 {
		t.Fatalf("sink events: %d, %v", len(evs), err)
	}
	var info hub.SinkInfo
	if err := evs[0].Decode(&info); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, h := range info.Headers {
		names = append(names, h.Name)
	}
	if !slices.IsSorted(names) || len(names) < 6 {
		t.Fatalf("sink headers not in order: %v", names)
	}
}
