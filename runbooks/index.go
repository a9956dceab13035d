package runbooks

import (
	"cmp"
	"slices"
	"sort"
	"strings"

	"github.com/sahilm/fuzzy"
)

// Index finds runbooks by symptom, title, tag or step name.
type Index struct {
	books    []Runbook
	keys     []string // what Search matches: "title · symptom · … · tag · … · step name · …"
	lower    []string // keys lower-cased (ASCII), same byte offsets
	masks    []uint64 // the ASCII letters and digits each key holds
	titleLen []int    // the title's length at the start of each key
	aboutLen []int    // the length of title, symptoms and tags at the start of each key: what the fuzzy matcher reads
	about    []string // lower-cased title, symptoms and tags: what Suggest matches words in
	fold     []string // about's parts with letters and digits only, "|" between: "HighErrorRate" matches "High Error Rate"
	// The keys' words: vocab sorted, and for each word the keys that hold
	// it (ascending) with where it first starts in each.
	vocab []string
	post  [][]posting
}

type posting struct{ key, off int32 }

// NewIndex indexes runbooks for search; the keys are computed once here,
// so a search is one pass over them.
func NewIndex(books []Runbook) *Index {
	ix := &Index{
		books:    books,
		keys:     make([]string, len(books)),
		lower:    make([]string, len(books)),
		masks:    make([]uint64, len(books)),
		titleLen: make([]int, len(books)),
		aboutLen: make([]int, len(books)),
		about:    make([]string, len(books)),
		fold:     make([]string, len(books)),
	}
	for i, b := range books {
		parts := make([]string, 0, 1+len(b.Symptoms)+len(b.Tags)+len(b.Steps))
		parts = append(parts, b.Title)
		parts = append(parts, b.Symptoms...)
		parts = append(parts, b.Tags...)
		about := strings.Join(parts, " · ")
		folded := make([]string, len(parts))
		for j, part := range parts {
			folded[j] = foldWords(part)
		}
		for _, st := range b.Steps {
			if st.Name != "" {
				parts = append(parts, st.Name)
			}
		}
		ix.keys[i] = strings.Join(parts, " · ")
		ix.lower[i] = asciiLower(ix.keys[i])
		ix.masks[i] = mask(ix.lower[i])
		ix.titleLen[i] = len(b.Title)
		ix.aboutLen[i] = len(about)
		ix.about[i] = strings.ToLower(about)
		ix.fold[i] = strings.Join(folded, "|")
	}
	words := map[string][]posting{}
	for i, key := range ix.lower {
		for _, t := range tokens(key) {
			w := key[t[0]:t[1]]
			ps := words[w]
			if len(ps) > 0 && ps[len(ps)-1].key == int32(i) {
				continue
			}
			words[w] = append(ps, posting{key: int32(i), off: int32(t[0])})
		}
	}
	ix.vocab = make([]string, 0, len(words))
	for w := range words {
		ix.vocab = append(ix.vocab, w)
	}
	sort.Strings(ix.vocab)
	ix.post = make([][]posting, len(ix.vocab))
	for k, w := range ix.vocab {
		ix.post[k] = words[w]
	}
	return ix
}

// tokens are the [start, end) offsets of the words of a lower-cased s:
// runs of ASCII letters and digits and of non-ASCII characters other than
// "·".
func tokens(s string) [][2]int {
	var out [][2]int
	start := -1
	for i := 0; i <= len(s); i++ {
		in := i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= '0' && s[i] <= '9' || s[i] >= 0x80)
		if in && s[i] == 0xc2 && i+1 < len(s) && s[i+1] == 0xb7 { // "·"
			in = false
		}
		if in && s[i] == 0xb7 && i > 0 && s[i-1] == 0xc2 {
			in = false
		}
		switch {
		case in && start < 0:
			start = i
		case !in && start >= 0:
			out = append(out, [2]int{start, i})
			start = -1
		}
	}
	return out
}

// asciiLower lower-cases ASCII letters only, keeping byte offsets.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// mask has a bit for each ASCII letter and digit in a lower-cased s.
func mask(s string) uint64 {
	var m uint64
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z':
			m |= 1 << (c - 'a')
		case c >= '0' && c <= '9':
			m |= 1 << (26 + c - '0')
		}
	}
	return m
}

// foldWords keeps the letters and digits of s, lower-cased.
func foldWords(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= 0x80 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// All returns every runbook in load order.
func (ix *Index) All() []Runbook { return ix.books }

// Match is one search hit.
type Match struct {
	Runbook Runbook
	Score   int
	// Matched are byte offsets into Key that matched the query.
	Key     string
	Matched []int
}

// Search weights for word matches: a query word found at the start of a
// word of a key counts, more when the whole query is found as written or
// when the word is in the title.
const (
	wordBonus   = 1000
	phraseBonus = 2000
	titleBonus  = 10
	maxWords    = 32 // query words looked up in the word index
)

// Search ranks runbooks against query; an empty query returns all in
// load order. A runbook matches when each of the query's words starts a
// word of its key, in any order ("exh" finds "exhausted", "refused
// connection" finds "Connection refused"), or when the query's characters
// appear in its key in order (fuzzy, by github.com/sahilm/fuzzy). Case
// does not matter. Word matches rank first — higher for the whole query
// as written, for words in the title, for words nearer the start — then
// fuzzy ones by sahilm's score, then load order. Matched marks the words,
// or the fuzzy characters.
//
// NewIndex did the work a query can reuse: the keys lower-cased, a mask of
// their letters (a key that lacks one of the query's ASCII letters or
// digits is skipped at once) and an index of their words (a query word is
// a binary search). The fuzzy matcher sees only the keys the mask lets
// through and the words did not match.
func (ix *Index) Search(query string) []Match {
	q := strings.TrimSpace(query)
	if q == "" {
		out := make([]Match, len(ix.books))
		for i, b := range ix.books {
			out[i] = Match{Runbook: b, Key: ix.keys[i]}
		}
		return out
	}
	lq := asciiLower(q)
	qm := mask(lq)
	// Each query word found at the start of a word of a key counts;
	// wordAt keeps where, for the matched offsets.
	var words []string
	for _, t := range tokens(lq) {
		if len(words) == maxWords {
			break // the rest are matched by the fuzzy matcher only
		}
		words = append(words, lq[t[0]:t[1]])
	}
	found := make([]int32, len(ix.books))
	wordAt := make([]int32, len(ix.books)*len(words))
	for wi, w := range words {
		for k := sort.SearchStrings(ix.vocab, w); k < len(ix.vocab) && strings.HasPrefix(ix.vocab[k], w); k++ {
			for _, p := range ix.post[k] {
				if int(found[p.key]) == wi {
					found[p.key]++
					wordAt[int(p.key)*len(words)+wi] = p.off
				} else if int(found[p.key]) == wi+1 && p.off < wordAt[int(p.key)*len(words)+wi] {
					wordAt[int(p.key)*len(words)+wi] = p.off
				}
			}
		}
	}
	type hit struct {
		i       int
		word    bool
		score   int
		matched []int
	}
	var hits []hit
	// The keys left to the fuzzy matcher, cut to title, symptoms and tags:
	// step names are found by their words (a scan of every step name,
	// letter by letter, costs more than a keystroke may).
	rest := keySource{keys: ix.keys, n: ix.aboutLen}
	// The matched offsets of the word hits share one array.
	buf := make([]int, 0, 64*len(lq))
	for i, m := range ix.masks {
		if qm&^m != 0 {
			continue
		}
		if len(words) == 0 || int(found[i]) < len(words) {
			if inOrder(ix.lower[i][:ix.aboutLen[i]], lq) {
				rest.at = append(rest.at, i)
			}
			continue
		}
		// Every word is there as written: that says better than
		// scattered letters what matched, and ranks it (more for the
		// whole query as written, for words in the title, for words
		// nearer the start).
		if cap(buf)-len(buf) < len(lq) {
			buf = make([]int, 0, 64*len(lq))
		}
		score := wordBonus * len(words)
		if len(words) > 1 && strings.Contains(ix.lower[i], lq) {
			score += phraseBonus
		}
		matched := buf[len(buf):len(buf)]
		for wi, w := range words {
			at := int(wordAt[i*len(words)+wi])
			if at < ix.titleLen[i] {
				score += titleBonus
			}
			score -= at / 64
			for j := range len(w) {
				matched = append(matched, at+j)
			}
		}
		if len(words) > 1 {
			slices.Sort(matched)
			matched = slices.Compact(matched)
		}
		buf = buf[:len(buf)+len(matched)]
		hits = append(hits, hit{i: i, word: true, score: score, matched: matched})
	}
	if len(rest.at) > 0 {
		for _, fm := range fuzzy.FindFromNoSort(q, rest) {
			hits = append(hits, hit{i: rest.at[fm.Index], score: fm.Score, matched: fm.MatchedIndexes})
		}
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if a.word != b.word {
			if a.word {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return a.i - b.i
	})
	out := make([]Match, len(hits))
	for k, h := range hits {
		out[k] = Match{Runbook: ix.books[h.i], Score: h.score, Key: ix.keys[h.i], Matched: h.matched}
	}
	return out
}

// keySource is the fuzzy matcher's view of some of the keys: the ones at
// the indexes in at.
type keySource struct {
	keys []string
	n    []int // how much of each key it sees
	at   []int
}

func (s keySource) String(i int) string { return s.keys[s.at[i]][:s.n[s.at[i]]] }
func (s keySource) Len() int            { return len(s.at) }

// inOrder reports whether the ASCII letters and digits of a lower-cased q
// appear in key in that order: a key where they don't can't be a fuzzy
// match, so the fuzzy matcher need not see it.
func inOrder(key, q string) bool {
	for i := 0; i < len(q); i++ {
		if c := q[i]; c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			j := strings.IndexByte(key, c)
			if j < 0 {
				return false
			}
			key = key[j+1:]
		}
	}
	return true
}
