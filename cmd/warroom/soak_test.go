package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/keymsg"
)

// Soak parameters: 30 minutes of the drill at 60× (about 30 s of wall time).
const (
	soakSpeed   = 60
	soakMinutes = 30
	soakWarmup  = 2 // minutes left out of the fit: seeding, first frames, caches
)

// TestSoakDrill runs the drill exactly as `warroom demo` does (demo(): the
// drill's backends, every pane, the shell, the script) in a real
// tea.Program, headless, on a clock running 60× real time, for 30
// simulated minutes, with keys typed every simulated minute (a note typed
// and saved, pane jumps and tabs, zoom, help, palette, search, a timeline
// filter, resizes, and once the rollout undo, confirmed). Every simulated
// minute it samples goroutines and, after a GC, the heap in use; the
// least-squares slopes must be flat.
//
// Bounds: goroutines < 0.5 per minute and at most 10 more at the end (a
// leak of one per poll would be thousands). Heap: < 64 KiB per simulated
// minute. What legitimately grows is the timeline (one note a minute,
// about 1 KiB with its rendering) and the journal's in-memory events; a
// leak per poll (each pane polls every compressed 2 s, 30 times a minute,
// so a kilobyte per poll is ~90 KiB a minute) or per frame (30 a second)
// is above it.
func TestSoakDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("soak: 30 simulated minutes take about 30 s; skipped with -short")
	}
	isolate(t)
	real0 := time.Now()
	clock := func() time.Time { return real0.Add(time.Since(real0) * soakSpeed) }

	cfg := Defaults()
	cfg.Journal = filepath.Join(t.TempDir(), "soak.jsonl")
	// Polls every 200 ms of wall time (the floor Validate allows), 12 s
	// simulated: 2 s/60 would hand the program ~90 results a second, and
	// bubbletea draws the whole screen after every message, which under
	// -race on 2 cores is more than the program can keep up with.
	cfg.Refresh = 200 * time.Millisecond
	started := make(chan *tea.Program, 1)
	s := sys{now: clock, scriptEvery: time.Second / soakSpeed, out: io.Discard, headless: true,
		started: func(p *tea.Program) { started <- p }}
	var stdout, stderr bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- demo(cfg, s, &stdout, &stderr) }()
	var p *tea.Program
	select {
	case p = <-started:
	case err := <-done:
		t.Fatalf("demo ended before its program started: %v (stderr %q)", err, stderr.String())
	}
	stopped := false
	defer func() {
		if !stopped {
			p.Kill()
			<-done
		}
	}()

	keys := func(ks ...string) {
		for _, k := range ks {
			p.Send(keyMsg(k))
		}
	}
	typeText := func(text string) {
		for _, r := range text {
			p.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		}
	}
	p.Send(tea.WindowSizeMsg{Width: 120, Height: 36})

	var goroutines, heap, rss []float64
	notes, undone := 0, false
	sim0 := clock()
	for minute := 0; minute <= soakMinutes; minute++ {
		// Wait (in real time) for the simulated minute.
		if d := sim0.Add(time.Duration(minute) * time.Minute).Sub(clock()); d > 0 {
			time.Sleep(d / soakSpeed)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		goroutines = append(goroutines, float64(runtime.NumGoroutine()))
		heap = append(heap, float64(ms.HeapInuse))
		rss = append(rss, float64(residentBytes()))

		// The UI paths, once per simulated minute.
		// The rollout undo of the worst pod's deployment. Its confirmation
		// opens when a Cmd returns, so it is answered (y) from the next
		// minute on until the journal shows the action finished; then its
		// dialog is put away and the notes go on.
		switch {
		case minute == 3:
			keys("1", "u")
			continue
		case minute > 3 && !undone:
			// Confirm, then wait (in real time) for the journal to show it
			// done: on a loaded machine the program can be seconds behind
			// its input, and the notes must not be skipped meanwhile.
			if !actionFinished(t, cfg.Journal) {
				keys("y")
				for deadline := time.Now().Add(20 * time.Second); !actionFinished(t, cfg.Journal) && time.Now().Before(deadline); {
					time.Sleep(50 * time.Millisecond)
				}
				if !actionFinished(t, cfg.Journal) {
					continue
				}
			}
			keys("enter") // hides the dialog, running or done (esc would cancel it if running)
			undone = true
			t.Logf("the undo finished by simulated minute %d (%.0f real seconds in)", minute, time.Since(real0).Seconds())
		}
		keys("n")
		typeText(fmt.Sprintf("soak note %d: 👩‍💻 checked the pods", minute))
		keys("enter")
		notes++
		keys(strconv.Itoa(minute%6+1), "tab", "shift+tab", "z", "z", "?", "esc", ":", "esc")
		switch minute % 6 {
		case 4: // runbooks: search, then leave the search
			keys("5", "/")
			typeText("pool")
			keys("esc", "esc")
		case 5: // timeline: filter by kind, then clear
			keys("6", "f", "f", "esc")
		}
		if minute%5 == 0 {
			p.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
			p.Send(tea.WindowSizeMsg{Width: 120, Height: 36})
		}
	}
	// Quit once every note typed is on disk (a note's write is a Cmd that
	// may still run): the deadline only keeps a broken run from hanging
	// (an overloaded 2-core machine under -race was seen a minute behind).
	for deadline := time.Now().Add(3 * time.Minute); countKind(t, cfg.Journal, incident.KindNote) < notes && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	p.Quit()
	stopped = true
	if err := <-done; err != nil {
		t.Fatalf("demo: %v (stderr %q)", err, stderr.String())
	}

	gs, gStart, gEnd := slope(goroutines[soakWarmup:]), goroutines[soakWarmup], goroutines[len(goroutines)-1]
	hs, hStart, hEnd := slope(heap[soakWarmup:]), heap[soakWarmup], heap[len(heap)-1]
	rs := slope(rss[soakWarmup:])
	t.Logf("soak: %d simulated minutes at %d× in %s", soakMinutes, soakSpeed, time.Since(real0).Round(time.Second))
	t.Logf("goroutines: minute %d %.0f, end %.0f, slope %+.3f per simulated minute", soakWarmup, gStart, gEnd, gs)
	t.Logf("heap in use after GC: minute %d %.1f MiB, end %.1f MiB, slope %+.1f KiB per simulated minute", soakWarmup, hStart/(1<<20), hEnd/(1<<20), hs/1024)
	if rss[0] > 0 {
		t.Logf("RSS: minute %d %.1f MiB, end %.1f MiB, slope %+.1f KiB per simulated minute", soakWarmup, rss[soakWarmup]/(1<<20), rss[len(rss)-1]/(1<<20), rs/1024)
	}
	if gs >= 0.5 || gEnd > gStart+10 {
		t.Errorf("goroutines grow: %v", goroutines)
	}
	if hs >= 64*1024 {
		t.Errorf("heap grows %.1f KiB per simulated minute: %v", hs/1024, heap)
	}

	// The soak did what it says: the script ran on the compressed clock,
	// the undo went through and resolved the alert, every note was saved.
	evs := readEvents(t, cfg.Journal)
	var saved, alerts, resolved, actions int
	for _, e := range evs {
		switch e.Kind {
		case incident.KindNote:
			saved++
		case incident.KindAlert:
			alerts++
			if strings.Contains(e.Summary, "resolved") {
				resolved++
			}
		case incident.KindAction:
			actions++
		}
	}
	if saved != notes || notes < soakMinutes-5 {
		var got []string
		for _, e := range evs {
			if e.Kind == incident.KindNote {
				got = append(got, e.Summary)
			}
		}
		t.Errorf("%d notes saved, %d typed: %q", saved, notes, got)
	}
	if alerts < 5 || resolved != 1 || actions == 0 {
		t.Errorf("journal: %d alerts (%d resolved), %d action events: %v", alerts, resolved, actions, kinds(evs))
	}
}

// actionFinished reports whether the journal holds a finished action.
func actionFinished(t *testing.T, path string) bool {
	evs, _, err := incident.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Kind == incident.KindAction && e.Action != nil && e.Action.Phase == incident.PhaseFinished {
			return true
		}
	}
	return false
}

func countKind(t *testing.T, path string, k incident.Kind) int {
	evs, _, err := incident.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Kind == k {
			n++
		}
	}
	return n
}

// keyMsg is the key k as bubbletea delivers it.
func keyMsg(k string) tea.KeyMsg { return keymsg.Of(k) }

// slope is the least-squares slope of ys against their index.
func slope(ys []float64) float64 {
	n := float64(len(ys))
	if n < 2 {
		return 0
	}
	var sx, sy, sxy, sxx float64
	for i, y := range ys {
		x := float64(i)
		sx, sy, sxy, sxx = sx+x, sy+y, sxy+x*y, sxx+x*x
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}

func TestSlope(t *testing.T) {
	if s := slope([]float64{1, 3, 5, 7}); s != 2 {
		t.Errorf("slope = %v, want 2", s)
	}
	if s := slope([]float64{4, 4, 4}); s != 0 {
		t.Errorf("slope = %v, want 0", s)
	}
}

// residentBytes is the process's resident set size (Linux; 0 elsewhere).
func residentBytes() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}
