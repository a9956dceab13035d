package main

import (
	"strings"
	"testing"
	"time"

	"github.com/warroom-dev/warroom/internal/screentest"
)

// frames is output shaped as bubbletea's standard renderer writes it in
// the alternate screen (the screentest oracle checks that it is): a first
// frame of four lines, then one where line 2 is unchanged (a bare LF),
// line 3 is repainted with a selected (reverse video) row, and the frame
// is one line shorter (CSI J).
var frames = "\x1b[?25l\x1b[?1049h\x1b[2J\x1b[H" +
	// frame 1
	"\x1b[H\r" +
	"╭─ 1 Pods · bench ─╮\x1b[K\r\n" +
	"│api-crash-07 0/1 \x1b[31mCrashLoopBackOff\x1b[0m 67 2m17s││web-1 1/1 Running 0 1s│\x1b[K\r\n" +
	"│api-crash-08 0/1 \x1b[31mCrashLoopBackOff\x1b[0m  5 (3s ago) 2m│\x1b[K\r\n" +
	"╰──╯\x1b[K" +
	"\x1b[4;H" +
	// frame 2
	"\x1b[H" +
	"\n" +
	"\n" +
	"│\x1b[7mapi-crash-08 0/1 CrashLoopBackOff  6 (0s ago) 2m\x1b[0m│\x1b[K" +
	"\x1b[J" +
	"\x1b[3;H"

func TestScreenRebuildsRenderedFrames(t *testing.T) {
	screentest.AssertClean(t, []byte(frames)) // the input is what the renderer writes

	var whole, bytewise []string
	s := newScreen(5)
	calls := 0
	s.feed([]byte(frames), func() { calls++; whole = append(whole, s.String()) })
	if s.frames != 2 || calls != 2 {
		t.Fatalf("frames = %d, onFrame calls = %d, want 2", s.frames, calls)
	}
	want1 := strings.Join([]string{
		"╭─ 1 Pods · bench ─╮",
		"│api-crash-07 0/1 CrashLoopBackOff 67 2m17s││web-1 1/1 Running 0 1s│",
		"│api-crash-08 0/1 CrashLoopBackOff  5 (3s ago) 2m│",
		"╰──╯",
		"",
	}, "\n")
	want2 := strings.Join([]string{
		"╭─ 1 Pods · bench ─╮",
		"│api-crash-07 0/1 CrashLoopBackOff 67 2m17s││web-1 1/1 Running 0 1s│",
		"│api-crash-08 0/1 CrashLoopBackOff  6 (0s ago) 2m│",
		"", // erased below the shorter frame
		"",
	}, "\n")
	if whole[0] != want1 {
		t.Errorf("frame 1:\n%s\nwant:\n%s", whole[0], want1)
	}
	if whole[1] != want2 {
		t.Errorf("frame 2:\n%s\nwant:\n%s", whole[1], want2)
	}

	// Read in pieces of one byte: escape sequences and runes cut anywhere.
	b := newScreen(5)
	for i := 0; i < len(frames); i++ {
		b.feed([]byte{frames[i]}, func() { bytewise = append(bytewise, b.String()) })
	}
	if strings.Join(bytewise, "\n--\n") != strings.Join(whole, "\n--\n") {
		t.Errorf("fed byte by byte:\n%s\nwhole:\n%s", strings.Join(bytewise, "\n--\n"), strings.Join(whole, "\n--\n"))
	}
}

func TestRowsReadsPodRows(t *testing.T) {
	s := newScreen(5)
	s.feed([]byte(frames), nil)
	got := s.rows(podRowsRE(crashPrefix))
	want := []podRow{
		{name: "api-crash-07", status: "CrashLoopBackOff", restarts: 67, line: 1},
		{name: "api-crash-08", status: "CrashLoopBackOff", restarts: 6, line: 2, selected: true},
	}
	if len(got) != len(want) {
		t.Fatalf("rows = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestRowsIgnoresWhatIsNotARow(t *testing.T) {
	s := newScreen(4)
	s.text = []string{
		"│xapi-crash-01 0/1 CrashLoopBackOff 3 1m│", // another name that ends like one
		"│api-crash-02 0/1│CrashLoopBackOff 3 1m│",  // columns across a border: two panes
		"│api-crash-03 rolled back│",                // a timeline line naming the pod
		"│api-crash-04 1/1 Running 0 (5s ago) 1m│",  // a row, healthy
	}
	s.raw = make([]string, len(s.text))
	got := s.rows(podRowsRE(crashPrefix))
	if len(got) != 1 || got[0].name != "api-crash-04" || got[0].status != "Running" || got[0].restarts != 0 {
		t.Errorf("rows = %+v, want only api-crash-04 Running 0", got)
	}
}

func TestReverseVideo(t *testing.T) {
	for raw, want := range map[string]bool{
		"│\x1b[7mapi\x1b[0m│":        true,
		"\x1b[1;7mx":                 true,
		"\x1b[0m\x1b[7;38;5;196mx":   true,
		"\x1b[38;5;7mx\x1b[0m":       false, // colour 7, not reverse
		"\x1b[48;2;7;7;7mx":          false,
		"plain":                      false,
		"\x1b[27mx":                  false, // reverse off
		"\x1b[31mx\x1b[K\x1b[7":      false, // cut sequence
		"\x1b[38:5:7mx\x1b[2;31mbad": false,
	} {
		if got := reverseVideo(raw); got != want {
			t.Errorf("reverseVideo(%q) = %v, want %v", raw, got, want)
		}
	}
}

func TestParseStatCPU(t *testing.T) {
	// comm with spaces and a ')' in it; utime 250, stime 150 ticks.
	stat := "4242 (we(ird) name)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 8 0 100 1000 200 18446744073709551615"
	got, err := parseStatCPU(stat)
	if err != nil || got != 4.0 {
		t.Errorf("parseStatCPU = %v, %v; want 4 s", got, err)
	}
	if _, err := parseStatCPU("4242 (x) S 1 2"); err == nil {
		t.Error("a short stat line parsed")
	}
}

func TestParseAPIMetrics(t *testing.T) {
	text := `# HELP apiserver_request_total x
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="namespace",subresource="",verb="LIST",version="v1"} 40
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="cluster",subresource="",verb="LIST",version="v1"} 2
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="namespace",subresource="log",verb="LIST",version="v1"} 7
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="GET",version="v1"} 9
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="events",scope="namespace",subresource="",verb="LIST",version="v1"} 5
apiserver_response_sizes_sum{component="apiserver",group="",resource="pods",scope="namespace",subresource="",verb="LIST",version="v1"} 2.5e+06
apiserver_response_sizes_count{component="apiserver",group="",resource="pods",scope="namespace",subresource="",verb="LIST",version="v1"} 42
`
	got := parseAPIMetrics(text)
	if got.lists != 42 || got.listBytes != 2.5e6 {
		t.Errorf("parseAPIMetrics = %+v, want 42 lists, 2.5e6 bytes", got)
	}
}

func TestPercentile(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3}
	for q, want := range map[float64]float64{0: 1, 0.5: 3, 0.95: 5, 1: 5, 0.2: 1, 0.21: 2} {
		if got := percentile(xs, q); got != want {
			t.Errorf("percentile(%v) = %v, want %v", q, got, want)
		}
	}
	if xs[0] != 5 {
		t.Error("percentile sorted its input")
	}
}

func TestChurnStateResolvesWrites(t *testing.T) {
	st := &churnState{writes: make([][]*stateWrite, 2), next: make([]int, 2), shown: map[string]int{}, selLine: -1}
	base := timeAt(0)
	for c := int32(11); c <= 13; c++ {
		st.writes[1] = append(st.writes[1], &stateWrite{pod: 1, count: c, sent: base})
	}
	rows := func(n int, sel int) []podRow {
		return []podRow{
			{name: "api-crash-01", status: "CrashLoopBackOff", restarts: n, line: 3, selected: sel == 0},
			{name: "api-crash-00", status: "CrashLoopBackOff", restarts: 1, line: 4, selected: sel == 1},
		}
	}
	st.observe(timeAt(1), rows(10, 0)) // before any write: resolves nothing
	st.keyFrom, st.keySent, st.keyPending = 0, timeAt(1), true
	st.observe(timeAt(2), rows(12, 0))  // 11 overtaken, 12 drawn; the cursor has not moved
	st.observe(timeAt(5), rows(13, -1)) // 13 drawn; the cursor is not on these rows: no answer
	moved := rows(13, 1)
	for i := range moved {
		moved[i].line++ // a line added above the rows: the cursor's place among them counts
	}
	st.observe(timeAt(6), moved)
	w := st.writes[1]
	if !w[0].visibleSet || w[0].drawnSet || !w[0].visible.Equal(timeAt(2)) {
		t.Errorf("write 11: %+v, want overtaken at 2 s and never drawn", *w[0])
	}
	if !w[1].drawnSet || !w[1].drawn.Equal(timeAt(2)) || !w[2].drawnSet || !w[2].drawn.Equal(timeAt(5)) {
		t.Errorf("writes 12, 13: %+v %+v, want drawn at 2 s and 5 s", *w[1], *w[2])
	}
	if len(st.keyDelays) != 1 || st.keyDelays[0] != 5 || st.keyPending {
		t.Errorf("key delays %v (pending %v), want one of 5 s", st.keyDelays, st.keyPending)
	}
	if st.rowDraws != 3 {
		t.Errorf("rowDraws = %d, want 3 (10, 12, 13 with api-crash-00 first seen in the first)", st.rowDraws)
	}
}

func timeAt(sec float64) time.Time {
	return time.Unix(1_800_000_000, 0).Add(time.Duration(sec * float64(time.Second)))
}

func TestPodsCounted(t *testing.T) {
	all := podsCounted(10000)
	for line, want := range map[string]bool{
		"│10000 pods · 25 need attention   │": true,
		"│10,000 pods · all healthy│":         true,
		"│7332 pods · 14 need attention│":     false,
		"│110000 pods│":                       false,
		"│10000 podsx│":                       false,
	} {
		s := newScreen(1)
		s.text[0] = line
		if got := all(s); got != want {
			t.Errorf("podsCounted(10000) on %q = %v, want %v", line, got, want)
		}
	}
}
