// Package upstream puts hooklab in front of a developer's own LangGraph
// server (the JS or Python dev server, or a deployment): it forwards the
// LangGraph API to it, sends the webhooks of the runs created through it
// the way the platform does, and can start and supervise that server as a
// child process.
//
// # What hooklab does
//
// An Upstream is an http.Handler for every route that is not hooklab's own.
// It relays requests and answers unchanged (method, path, query, headers
// and body; server-sent events as they arrive, byte for byte), with three
// exceptions:
//
//   - Run-creating POSTs (/threads/{tid}/runs[/wait|/stream], /runs[/wait|
//     /stream], /runs/batch) that carry a webhook: the URL policy is
//     applied first (a refusal is a 422 and nothing is forwarded), the
//     webhook key is taken out of the forwarded body, and a stateless run
//     is forwarded with on_completion "keep". The answer is relayed with
//     kwargs.webhook (and kwargs.temporary) put back, and the run is
//     observed until it ends; then its webhook goes out through the
//     Sender, exactly once.
//   - Cancels (the cancel routes, a multitask strategy of interrupt or
//     rollback, a client leaving a stream or wait created with
//     on_disconnect cancel, a join stream with cancel_on_disconnect) are
//     noted on the way through, so the webhook's status says what the
//     platform would.
//   - GET of runs hooklab rewrote: kwargs restored as above.
//
// Crons are served by hooklab itself; each firing becomes an ordinary run
// on the upstream through CreateRun.
//
// # Platform facts the code relies on
//
// The run-creating routes answer as follows. The background ones answer
// the Run object, with run_id and thread_id. Wait and stream answer with
// a Content-Location header: /threads/{tid}/runs/{rid} on a thread, but
// only /runs/{rid} for a stateless run on the JS server, whose thread must
// then be found with /threads/search. A batch answers its Run objects in
// request order.
//
// The JS server refuses "webhook": null with 400 (an empty string means no
// webhook), so the key is removed, never nulled. Both servers copy every
// x-* request header (and user-agent) into the run's
// config.configurable, so the proxy adds no X-Forwarded-* header of its
// own and passes the client's on as they are.
//
// A join or join stream on the JS server takes events out of the run's
// queue, so a client that streams the same run would lose them: the
// observer never joins. It polls GET /threads/{tid}/runs/{rid}, often at
// first and less often as the run ages, faster while a client holds the
// run's wait or stream answer and right after each relayed stream event,
// and at once when such an answer ends. The JS server ends wait and
// stream answers about half a second after the run (its join loop polls
// that slowly), so the poll, not the answer, times the webhook.
//
// With on_completion "delete" (the default for stateless runs) the JS
// server deletes the thread and its runs when the run ends, and the final
// status can no longer be read; hence "keep", and hooklab deletes the
// thread once the payload is built. The platform sends values null and
// kwargs.temporary true for such runs, and so does hooklab.
//
// Statuses: the JS server reports a running run that was cancelled as
// "error", with the abort reason ("interrupt" or "rollback") as its
// message, and it never deletes such a run; a pending run cancelled is
// "interrupted" (or deleted at once for rollback). The Python server
// reports "interrupted" and "rollback" itself and deletes rolled-back
// runs. The platform sends no webhook for a run cancelled before it
// started. hooklab maps an upstream "error" with a cancel seen passing
// through and no error of the graph's own to "interrupted" or "rollback".
//
// Payload fields come from the upstream: run_id, thread_id, assistant_id,
// created_at, metadata, kwargs and multitask_strategy from the final Run
// object; updated_at and run_ended_at from its updated_at, which the
// server sets when the run ends; run_started_at from the oldest
// checkpoint the run wrote (no API exposes the worker's start); values
// from the newest checkpoint whose metadata.run_id is the run's (the
// history is asked with that metadata filter and filtered again here: not
// every server honours it; the thread's current state is not used, as a
// later run or a resume moves it on). The error comes from the relayed
// stream's error event, or the wait answer's __error__ (whose message the
// JS server double-encodes as JSON), or the run's checkpoint's task error
// (on JS a JSON string {"message", "name"}), or an error kept on the
// thread (Python). The payload is then written by sender.Payload, as in
// standalone mode.
//
// The JS dev server reloads itself when the graph's files change; a run it
// was executing then stays "running" for ever and sends nothing. hooklab
// notices the outage between two polls and reports such a run lost, with
// the reason, and sends no webhook. A run still going after RunTimeout is
// cancelled upstream and reported as timeout. The JS server implements no
// crons (500 "Not implemented").
//
// # Restarts
//
// With a Journal (the store, when it is a file), each observation is kept
// as a record from the moment the run is seen created: the run and thread
// ids, the client's webhook URL, whether hooklab forced keep, the cron,
// the cancel intent, when the request arrived and when the run was first
// seen running, the error a relayed answer reported and the newest Run
// object read (as the upstream serves it; its kwargs go into the webhook
// anyway). It is written again when one of those changes, and deleted
// when the observation ends. The creating request's credentials
// (Authorization, x-api-key, cookies) are never written: a resumed
// observation calls the upstream with Options.Header only. The store
// queues these writes and commits them in batches a few milliseconds
// apart, so nothing waits for the disk; a kill -9 within those
// milliseconds of a run's creation loses its record, and so its webhook.
//
// Close keeps the records of runs still going; Resume, at the next start
// in front of the same URL, polls each again and sends its webhook once
// when it ends (built from the upstream's own timestamps, so a run that
// ended while hooklab was down is reported as it was), or reports it lost
// with the reason; a kept thread is deleted either way once the run is
// over. An upstream that restarted while hooklab was down is not noticed:
// a run the dev server then leaves "running" for ever ends at RunTimeout,
// counted from the run's creation.
//
// Exactly once: when a run ends, the webhook is handed to the Sender
// first, then the kept thread is deleted, then the record. Send queues
// the delivery's row before it returns, in the same store queue as the
// record's deletion, and the store commits its queue in order, one
// transaction per batch: a record gone from disk means its delivery is on
// disk (unless the store was shedding writes on a failing disk, when any
// write may be lost). A stop between the hand-off and the deletion leaves
// the record; Resume then finds the run's delivery in the store (which
// also holds what the sender journalled before its first attempt), leaves
// the webhook to the sender, which resumes a pending delivery itself, and
// only deletes the thread and the record. Finding no delivery means no
// attempt was made, so the webhook is sent then. Neither a duplicate nor
// a loss follows from a stop at any point after the record was written.
//
// # Wiring
//
// New(Options) returns the Upstream (the handler, mounted for every route
// hooklab does not serve). WaitReady checks /ok at start and returns a
// *DownError naming the URL and the fix. StartChild starts the developer's
// server in its own process group, with OnLine for its output (ANSI
// removed); Attach ties it to the Upstream's status; Child.Stop ends the
// whole group. Status is the dashboard header; KindUpstream and KindRun
// events (RunInfo.Upstream set) go to the Recorder. CreateRun fires a cron.
// Resume takes up journalled observations; Close ends every observation.
package upstream
