package bench

import (
	"fmt"
	"io"
	"os"
	"time"

	"charm.land/bubbles/v2/progress"
	"github.com/charmbracelet/colorprofile"
)

// progressLine redraws one line on a terminal: a bubbles progress bar
// rendered statically with ViewAs (no Bubble Tea program: the bench owns
// no input and must not take over the terminal), then the counts.
type progressLine struct {
	w   io.Writer
	bar progress.Model
}

func newProgressLine(stderr io.Writer) *progressLine {
	// The colour profile writer downsamples the bar's colours to what the
	// terminal supports (and honours NO_COLOR).
	return &progressLine{
		w:   colorprofile.NewWriter(stderr, os.Environ()),
		bar: progress.New(progress.WithDefaultBlend(), progress.WithWidth(30)),
	}
}

// update implements Options.Progress.
func (p *progressLine) update(s Progress) {
	frac := 0.0
	if s.Total > 0 {
		frac = float64(s.Done) / float64(s.Total)
	}
	// Whichever bound ends the bench first, --runs or --duration, drives the bar.
	if s.Duration > 0 {
		frac = max(frac, float64(s.Elapsed)/float64(s.Duration))
	}
	rate := 0.0
	if s.Elapsed > 0 {
		rate = float64(s.Done) / s.Elapsed.Seconds()
	}
	fmt.Fprintf(p.w, "\r%s  %d/%d runs  %.0f runs/s  %d missing  %d errors\x1b[K",
		p.bar.ViewAs(min(frac, 1)), s.Done, s.Total, rate, s.Missing, s.Errors)
}

// clear erases the line so the summary starts on a clean one.
func (p *progressLine) clear() {
	fmt.Fprint(p.w, "\r\x1b[K")
}

// progressLog is the non-terminal progress: one plain line every few
// seconds, so a long bench in CI or a pipe shows it is alive without
// filling a log with redraws.
type progressLog struct {
	w    io.Writer
	next time.Duration
}

// update implements Options.Progress.
func (p *progressLog) update(s Progress) {
	if s.Elapsed < p.next || s.Done >= s.Total {
		return
	}
	p.next = s.Elapsed + 5*time.Second
	if s.Elapsed < time.Second {
		return // short benches print nothing
	}
	fmt.Fprintf(p.w, "hooklab bench: %d/%d runs after %.0fs (%.0f runs/s), %d missing, %d errors\n",
		s.Done, s.Total, s.Elapsed.Seconds(), float64(s.Done)/s.Elapsed.Seconds(), s.Missing, s.Errors)
}
