package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Result is what one bench measured. Pointer fields are nil (null in JSON)
// when not measured: webhook figures when --webhook sends deliveries to a
// receiver the bench cannot see, run-end latency when the server's payload
// has no run_ended_at.
type Result struct {
	Target      string  `json:"target"`
	Mode        Mode    `json:"mode"`
	Requested   int     `json:"requested"`               // --runs
	Runs        int     `json:"runs"`                    // runs finished: webhook received (or created, when not measured)
	Created     int     `json:"created"`                 // runs the server accepted
	Concurrency int     `json:"concurrency"`             // lanes
	Rate        float64 `json:"rate,omitempty"`          // requested starts per second (--rate), 0: closed loop
	Loop        string  `json:"loop"`                    // closed (lanes) | paced (open loop, --pace)
	Pace        float64 `json:"pace,omitempty"`          // requested starts per second of the open loop
	MaxInFlight int     `json:"max_in_flight,omitempty"` // paced: the most runs outstanding at once
	Held        int     `json:"held"`                    // paced: starts that waited for --max-in-flight
	DurationS   float64 `json:"duration_s"`              // wall time of the load
	StoppedBy   string  `json:"stopped_by"`              // runs | duration | cancelled
	RunsPerS    float64 `json:"runs_per_s"`

	WebhooksMeasured bool     `json:"webhooks_measured"`
	Webhooks         *int     `json:"webhooks"` // distinct webhooks received in time
	WebhooksPerS     *float64 `json:"webhooks_per_s"`
	Missing          *int     `json:"missing"`    // created, no webhook within the run timeout
	Duplicated       *int     `json:"duplicated"` // extra webhooks for a run already received
	Late             *int     `json:"late"`       // arrived after their run was counted missing
	CutOff           int      `json:"cut_off"`    // in flight when --duration stopped the bench

	Errors     int            `json:"errors"`                // requests that did not create a run
	Failed     int            `json:"failed"`                // webhooks whose status was not success
	FirstError string         `json:"first_error,omitempty"` // the first request error, for the reader
	Statuses   map[string]int `json:"statuses,omitempty"`    // webhook status counts

	CreateToWebhook *Latency `json:"create_to_webhook_ms"`  // request start to webhook arrival
	RunEndToWebhook *Latency `json:"run_end_to_webhook_ms"` // payload run_ended_at to arrival
	Request         *Latency `json:"request_ms"`            // request start to answer read
	// StartLag is how late runs started against their schedule (--pace or
	// --rate): large values mean the client, not the server, set the pace.
	StartLag *Latency `json:"start_lag_ms,omitempty"`

	// The CPU of the measured window. The server's is its whole process
	// tree (--pid), null when not measured; per run divides by Runs.
	ServerPID       int      `json:"server_pid,omitempty"`
	ServerProcs     int      `json:"server_processes,omitempty"`
	ServerCPUS      *float64 `json:"server_cpu_s"`
	ServerCPUPerRun *float64 `json:"server_cpu_us_per_run"`
	ServerCPUError  string   `json:"server_cpu_error,omitempty"`
	// With --settle: how long the bench waited for the server to go idle
	// before the window, and whether it did.
	SettledS *float64 `json:"settled_s,omitempty"`
	Settled  *bool    `json:"settled,omitempty"`
	// The bench's own CPU (client and receiver; the server too when it
	// runs in-process).
	ClientCPUS      float64  `json:"client_cpu_s"`
	ClientCPUPerRun *float64 `json:"client_cpu_us_per_run"`
	// The whole machine in the window (Linux): CPU time spent busy by
	// everyone, what of it was neither the server tree nor the bench (null
	// without --pid), and time the hypervisor took away. Other load makes
	// a window's figures worse; compare windows with little of it.
	MachineCPUS *float64 `json:"machine_cpu_s"`
	OtherCPUS   *float64 `json:"other_cpu_s"`
	StealS      *float64 `json:"steal_s"`
}

// Latency summarises a distribution in milliseconds; percentiles are
// exact (nearest rank over every sample).
type Latency struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// OK reports whether every run ended well and every webhook arrived once.
func (r *Result) OK() bool {
	if r.Errors > 0 || r.Failed > 0 {
		return false
	}
	if r.Missing != nil && *r.Missing > 0 {
		return false
	}
	return r.Duplicated == nil || *r.Duplicated == 0
}

// summarise sorts ds in place and returns its percentiles; nil when empty.
func summarise(ds []time.Duration) *Latency {
	if len(ds) == 0 {
		return nil
	}
	slices.Sort(ds)
	return &Latency{
		N:   len(ds),
		P50: ms(rank(ds, 0.50)),
		P90: ms(rank(ds, 0.90)),
		P99: ms(rank(ds, 0.99)),
		Max: ms(ds[len(ds)-1]),
	}
}

// rank is the nearest-rank percentile of sorted ds.
func rank(ds []time.Duration, p float64) time.Duration {
	i := int(float64(len(ds))*p+0.999999999) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// result merges the lanes' figures.
func (b *bench) result(lanes []laneStats, wall time.Duration, stoppedBy string) *Result {
	r := &Result{
		Target: b.o.URL, Mode: b.o.Mode, Requested: b.o.Runs, Concurrency: b.o.Concurrency, Rate: b.o.Rate,
		Loop:      "closed",
		DurationS: wall.Seconds(), StoppedBy: stoppedBy, WebhooksMeasured: b.rcv != nil,
		Statuses: map[string]int{},
	}
	var toHook, endToHook, request, lag []time.Duration
	missing := 0
	for _, l := range lanes {
		r.Runs += l.done
		r.Created += l.created
		r.Errors += l.errors
		r.Failed += l.failed
		r.CutOff += l.cutOff
		missing += l.missing
		if r.FirstError == "" {
			r.FirstError = l.firstErr
		}
		for k, v := range l.statuses {
			r.Statuses[k] += v
		}
		toHook = append(toHook, l.createToHook...)
		endToHook = append(endToHook, l.endToHook...)
		request = append(request, l.request...)
		lag = append(lag, l.startLag...)
	}
	r.StartLag = summarise(lag)
	if wall > 0 {
		r.RunsPerS = float64(r.Runs) / wall.Seconds()
	}
	r.Request = summarise(request)
	if b.rcv != nil {
		dup, late, _ := b.rcv.counts()
		hooks := len(toHook)
		perS := 0.0
		if wall > 0 {
			perS = float64(hooks) / wall.Seconds()
		}
		r.Webhooks, r.WebhooksPerS = &hooks, &perS
		r.Missing, r.Duplicated, r.Late = &missing, &dup, &late
		r.CreateToWebhook = summarise(toHook)
		r.RunEndToWebhook = summarise(endToHook)
	}
	if len(r.Statuses) == 0 {
		r.Statuses = nil
	}
	return r
}

// addSchedule records the open loop's figures.
func (r *Result) addSchedule(o Options, s schedStats) {
	if o.Pace <= 0 {
		return
	}
	r.Loop, r.Pace, r.Concurrency = "paced", o.Pace, 0
	r.MaxInFlight, r.Held = s.peak, s.held
}

// addCPU records the window's CPU: the server tree's (when pid > 0) and
// the bench's own.
func (r *Result) addCPU(pid int, server *TreeCPU, serverErr error, self time.Duration) {
	perRun := func(d time.Duration) *float64 {
		if r.Runs == 0 {
			return nil
		}
		v := float64(d.Microseconds()) / float64(r.Runs)
		return &v
	}
	r.ClientCPUS = self.Seconds()
	r.ClientCPUPerRun = perRun(self)
	if pid <= 0 {
		return
	}
	r.ServerPID = pid
	if serverErr != nil {
		r.ServerCPUError = serverErr.Error()
		return
	}
	secs := server.CPU.Seconds()
	r.ServerCPUS, r.ServerProcs = &secs, server.Procs
	r.ServerCPUPerRun = perRun(server.CPU)
}

// addMachine records the machine's busy and stolen CPU time in the window;
// call it after addCPU.
func (r *Result) addMachine(busy, steal time.Duration) {
	b, st := busy.Seconds(), steal.Seconds()
	r.MachineCPUS, r.StealS = &b, &st
	if r.ServerCPUS != nil {
		other := max(b-*r.ServerCPUS-r.ClientCPUS, 0)
		r.OtherCPUS = &other
	}
}

// WriteText prints the result for a person, aligned.
func (r *Result) WriteText(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, format string, a ...any) { fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{k}, a...)...) }
	row("target", "%s", r.Target)
	if r.Loop == "paced" {
		row("mode", "%s, open loop: %g runs/s started whatever is outstanding (at most %d at once)", r.Mode, r.Pace, r.MaxInFlight)
		if r.Held > 0 {
			row("held", "%d starts waited for --max-in-flight: the load was not open loop throughout", r.Held)
		}
	} else {
		row("mode", "%s, %d lanes, one run outstanding per lane", r.Mode, r.Concurrency)
	}
	if r.Rate > 0 {
		row("paced", "%.0f runs/s requested", r.Rate)
	}
	row("runs", "%d of %d finished in %.2fs (stopped by %s)", r.Runs, r.Requested, r.DurationS, r.StoppedBy)
	row("runs/s", "%.1f", r.RunsPerS)
	if r.WebhooksMeasured {
		row("webhooks/s", "%.1f", *r.WebhooksPerS)
		row("webhooks", "%d received, %d missing, %d duplicated, %d late", *r.Webhooks, *r.Missing, *r.Duplicated, *r.Late)
	} else {
		row("webhooks", "not measured (sent to --webhook, which the bench cannot see)")
	}
	if r.CutOff > 0 {
		row("cut off", "%d runs in flight at the --duration stop (not counted missing)", r.CutOff)
	}
	if r.ServerPID > 0 {
		if r.ServerCPUPerRun != nil {
			row("server CPU", "%.0f µs per run (%.2fs in %d processes under pid %d)", *r.ServerCPUPerRun, *r.ServerCPUS, r.ServerProcs, r.ServerPID)
		} else if r.ServerCPUError != "" {
			row("server CPU", "not measured: %s", r.ServerCPUError)
		} else {
			row("server CPU", "not measured: no run finished")
		}
	}
	if r.Settled != nil {
		quiet := "idle"
		if !*r.Settled {
			quiet = "still busy: its leftover work is in this window"
		}
		row("settle", "waited %.2fs for the server (%s)", *r.SettledS, quiet)
	}
	if r.OtherCPUS != nil && r.DurationS > 0 {
		row("other load", "%.2f cores busy with neither the server nor the bench (steal %.2fs)", *r.OtherCPUS/r.DurationS, *r.StealS)
	}
	if r.ClientCPUPerRun != nil {
		row("bench CPU", "%.0f µs per run (%.2fs)", *r.ClientCPUPerRun, r.ClientCPUS)
	}
	row("errors", "%d requests failed, %d runs ended with a status other than success", r.Errors, r.Failed)
	if r.FirstError != "" {
		row("first error", "%s", r.FirstError)
	}
	if len(r.Statuses) > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(r.Statuses)) {
			parts = append(parts, fmt.Sprintf("%s %d", k, r.Statuses[k]))
		}
		row("statuses", "%s", strings.Join(parts, ", "))
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "latency (ms)\tp50\tp90\tp99\tmax\tn\t")
	for _, l := range []struct {
		name string
		v    *Latency
	}{{"create→webhook", r.CreateToWebhook}, {"run end→webhook", r.RunEndToWebhook}, {"request", r.Request}, {"start lag", r.StartLag}} {
		if l.v == nil && l.name == "start lag" {
			continue
		}
		if l.v == nil {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t0\t\n", l.name)
			continue
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t\n", l.name, l.v.P50, l.v.P90, l.v.P99, l.v.Max, l.v.N)
	}
	tw.Flush()
}
