package main

import (
	"fmt"
	"strings"
)

// renderReport is the run as markdown: the table (one row per way
// of listing, one per binary), then the churn figures and how each was
// taken.
func renderReport(r report) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	p("## bench-k8s: %s pods in one namespace (%d crash-looping), %s\n\n", thousands(r.Pods), r.Crashing, r.When.Format("2006-01-02 15:04"))
	p("%d CPUs; load average %s before, %s after. ", r.CPUs, r.LoadBefore, r.LoadAfter)
	if r.Seed.Reused {
		p("Pods reused from an earlier run (not seeded).\n\n")
	} else {
		p("Seeding (create + UpdateStatus, %d workers): %.1f s, %.0f pods/s.\n\n", r.Seed.Workers, r.Seed.Seconds, float64(r.Pods)/r.Seed.Seconds)
	}

	floor := percentile(r.Raw.Seconds, 0.5)
	p("Start-up: medians of %d (min–max); consoles at %dx%d, from exec to the first frame with a crash-looping pod in the pods pane, and to the first whose summary counts every pod (a console drawing the list page by page shows some crash-looping pods before it has them all). ",
		r.Opts.Runs, r.Opts.Cols, r.Opts.Rows)
	p("Idle: %v with the console open (after %v to settle), against %v with none just before. ", r.Opts.Idle, r.Opts.Settle, r.Opts.Idle)
	p("Pods: %.2f KB each in protobuf (managedFields included).\n\n", float64(r.Raw.Bytes)/float64(max(r.Pods, 1))/1e3)
	p("| | crash-looping pods on screen | all %s pods counted | peak RSS | idle CPU | extra API-server CPU while idle | pod LISTs while idle |\n", thousands(r.Pods))
	p("|---|---|---|---|---|---|---|\n")
	p("| raw protobuf LIST (one GET, %.1f MB) | %s (the floor) | ″ | – | – | – | – |\n", mb(r.Raw.Bytes), spread(r.Raw.Seconds))
	p("| same, gzip (as Go clients ask; %.1f MB) | %s | ″ | – | – | – | – |\n", mb(r.RawGzip.Bytes), spread(r.RawGzip.Seconds))
	p("| client-go paged protobuf list (500), decoded | %s | ″ | – | – | – | – |\n", spread(r.ClientGo.Seconds))
	for _, c := range r.Consoles {
		start := "failed"
		if len(c.Startup) > 0 {
			start = spread(c.Startup)
			if floor > 0 {
				start += fmt.Sprintf(" = %.1f× the floor", percentile(c.Startup, 0.5)/floor)
			}
		}
		if n := len(c.StartupErrors); n > 0 {
			start += fmt.Sprintf(" (%d of %d runs failed)", n, r.Opts.Runs)
		}
		all := spread(c.AllPods)
		if n := len(c.Startup) - len(c.AllPods); n > 0 && len(c.AllPods) > 0 {
			all += fmt.Sprintf(" (not seen in %d runs)", n)
		}
		i := c.Idle
		if i.Err != "" && i.Seconds == 0 {
			p("| %s | %s | %s | – | – | – | – |\n", c.Name, start, all)
			continue
		}
		perMin := 60 / i.Seconds
		p("| %s | %s | %s | %.0f MB | %s of a core | %s | %s |\n", c.Name, start, all, i.PeakRSSMB, pct(i.ConsoleCPU/i.Seconds),
			fmt.Sprintf("%+.1f s per minute (%.1f open, %.1f closed); etcd %+.1f", (i.APICPUOpen-i.APICPUClosed)*perMin,
				i.APICPUOpen*perMin, i.APICPUClosed*perMin, (i.EtcdCPUOpen-i.EtcdCPUClosed)*perMin),
			fmt.Sprintf("%.0f in %.0f s (%.1f MB sent, gzip; %.0f with none)", i.ListsOpen, i.Seconds, i.ListMBOpen, i.ListsClosed))
	}

	p("\n### Churn: %d pod status changes per second for %v\n\n", r.Opts.Rate, r.Opts.Churn)
	p("Round-robin over the %d crash-looping pods, each write one more restart (every state distinct); the pods pane zoomed (`z`) so all of them are on screen. ", r.Crashing)
	p("\"On screen\" is from the write being sent to the first frame showing that restart count or a later one; \"drawn\" counts only frames showing exactly that count. ")
	p("Keys: `j`/`k` alternately every second; answered when the cursor (reverse video) is drawn on another row.\n\n")
	p("| | change on screen p50 / p95 / max | states never drawn | drawn p50 / p95 / max | key answered p50 / max | RSS start → end (peak) | console CPU | frames that changed pod rows |\n")
	p("|---|---|---|---|---|---|---|---|\n")
	for _, c := range r.Consoles {
		ch := c.Churn
		if ch.Err != "" && ch.Writes == 0 {
			p("| %s | %s | | | | | | |\n", c.Name, ch.Err)
			continue
		}
		never := fmt.Sprintf("%s of %s", thousands(ch.NeverDrawn), thousands(ch.Writes))
		if ch.NeverShown > 0 {
			never += fmt.Sprintf(" (%d not even overtaken on screen)", ch.NeverShown)
		}
		keys := "–"
		if ch.KeyDelay.N > 0 {
			keys = fmt.Sprintf("%s / %s", ms(ch.KeyDelay.P50), ms(ch.KeyDelay.Max))
		}
		if ch.KeysUnanswered > 0 {
			keys += fmt.Sprintf(" (%d of %d unanswered)", ch.KeysUnanswered, ch.Keys)
		}
		p("| %s | %s | %s | %s | %s | %.0f → %.0f MB (%.0f) | %s of a core | %d (%.1f/s) of %d |\n",
			c.Name, dist(ch.Visibility), never, dist(ch.Drawn), keys,
			ch.RSSStartMB, ch.RSSEndMB, ch.PeakRSSMB, pct(ch.ConsoleCPU/ch.ConsoleSecs),
			ch.RowFrames, float64(ch.RowFrames)/ch.Seconds, ch.Frames)
	}
	p("\n")
	for _, c := range r.Consoles {
		ch := c.Churn
		p("- %s: %d of %d crash-looping pods on screen when the churn began; %s writes (%d failed), UpdateStatus p50 %s, p95 %s; the writer fell behind its schedule by at most %s.\n",
			c.Name, ch.Visible, ch.Crashing, thousands(ch.Writes), ch.Failed, ms(ch.WriteLatency.P50), ms(ch.WriteLatency.P95), ch.WritesBehindMax.Round(1e6))
		for _, e := range c.StartupErrors {
			p("  - start-up failure: %s\n", firstLine(e))
		}
		if c.Idle.Err != "" {
			p("  - idle: %s\n", firstLine(c.Idle.Err))
		}
	}
	p("\nHow: the raw LIST is one GET of the namespace with Accept: %s on a new TLS connection, the whole body read; ", protobuf)
	p("client-go lists with a new client (protobuf, pages of 500) and decodes every pod; ")
	p("CPU from /proc/<pid>/stat (utime+stime), peak RSS = VmHWM; pod LISTs and bytes from the API server's apiserver_request_total and apiserver_response_sizes_sum{verb=\"LIST\",resource=\"pods\"}.\n")
	return b.String()
}

func spread(xs []float64) string {
	if len(xs) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f s (%.2f–%.2f)", percentile(xs, 0.5), percentile(xs, 0), percentile(xs, 1))
}

func dist(s summary) string {
	if s.N == 0 {
		return "–"
	}
	return fmt.Sprintf("%s / %s / %s", secs(s.P50), secs(s.P95), secs(s.Max))
}

// secs prints a delay: ms below a second, else seconds.
func secs(x float64) string {
	if x < 1 {
		return ms(x)
	}
	return fmt.Sprintf("%.2f s", x)
}

func ms(x float64) string { return fmt.Sprintf("%.0f ms", x*1000) }

func pct(f float64) string {
	if f < 0.1 {
		return fmt.Sprintf("%.1f%%", f*100)
	}
	return fmt.Sprintf("%.0f%%", f*100)
}

func mb(n int64) float64 { return float64(n) / 1e6 }

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
