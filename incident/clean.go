package incident

import (
	"cmp"
	"reflect"
	"slices"
	"time"

	"github.com/warroom-dev/warroom/internal/sanitize"
)

// clean returns ev with every string in it sanitized and redacted — a
// deep copy when any string changes, ev itself when none does: every
// field, of every typed field, every element of a slice, every map key
// and value, found by reflection so that a field added later cannot be
// forgotten. Fields tagged `clean:"text"` keep their newlines
// (sanitize.Text); every other string is folded to one line
// (sanitize.Line). Both are idempotent, so cleaning a clean event changes
// nothing. What ev points to is never modified.
//
// It runs on every event written (normalize) and every event read (parse):
// a journal may come from another machine and is untrusted input.
func clean(ev Event) Event { return cleanWith(ev, nil) }

// cleanWith is clean remembering results in c (nil: none): a journal
// repeats its titles, actors, vitals and errors thousands of times.
func cleanWith(ev Event, c *cleanCache) Event { return CleanEvent(ev, c.get) }

// CleanString is the journal's cleaning of one string from outside: as a
// line (terminal controls stripped, folded to one line, secrets redacted)
// or, when text, keeping its newlines. CleanEvent(ev, CleanString) cleans
// an event as reading a journal does.
func CleanString(s string, text bool) string {
	if text {
		return cleanText(s)
	}
	return cleanLine(s)
}

// CleanEvent returns ev with every string s in it replaced by f(s,
// text), text being set for the fields tagged `clean:"text"`
// (multi-line) — a deep copy when any string changes, ev itself when
// none does. It is the walk the journal cleans with, so whoever cleans
// events another way (the report masks secret values too) covers every
// field, a field added later included. What ev points to is never
// modified.
func CleanEvent(ev Event, f func(s string, text bool) string) Event {
	v := reflect.ValueOf(&ev).Elem()
	if dirty(v, false, f) { // most events are clean already: no copy
		cleanIn(v, false, f)
	}
	return ev
}

// dirty reports whether cleaning v with f would change any string in it.
func dirty(v reflect.Value, text bool, f func(string, bool) string) bool {
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		return f(s, text) != s
	case reflect.Pointer:
		return !v.IsNil() && dirty(v.Elem(), text, f)
	case reflect.Struct:
		if v.Type() == timeType {
			return false
		}
		for i := range v.NumField() {
			if fd := v.Type().Field(i); fd.IsExported() && dirty(v.Field(i), fd.Tag.Get("clean") == "text", f) {
				return true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if dirty(v.Index(i), text, f) {
				return true
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if dirty(it.Key(), false, f) || dirty(it.Value(), text, f) {
				return true
			}
		}
	}
	return false
}

// cleanCache remembers cleaned strings for one reader (not safe for
// concurrent use). Only short strings, and at most cacheMax of each.
type cleanCache struct{ line, text map[string]string }

const (
	cacheMax    = 1 << 14
	cacheMaxLen = 256
)

func newCleanCache() *cleanCache {
	return &cleanCache{line: map[string]string{}, text: map[string]string{}}
}

// get cleans s as a line or as text, through c if it may hold it.
func (c *cleanCache) get(s string, text bool) string {
	f := cleanLine
	if text {
		f = cleanText
	}
	if c == nil || len(s) > cacheMaxLen {
		return f(s)
	}
	m := c.line
	if text {
		m = c.text
	}
	if out, ok := m[s]; ok {
		return out
	}
	out := f(s)
	if len(m) < cacheMax {
		m[s] = out
	}
	return out
}

var timeType = reflect.TypeFor[time.Time]()

// cleanIn cleans the addressable v in place; text says a string keeps its
// newlines. What v refers to (through pointers, slices, maps) is replaced
// by cleaned copies, never modified, since the caller's event shares it.
// Kinds that hold no string (numbers, bools) are left as they are;
// TestCleanKnowsEveryKind fails if Event grows a field of a kind cleanIn
// cannot copy (an interface, a func, a channel).
func cleanIn(v reflect.Value, text bool, c func(string, bool) string) {
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		if out := c(s, text); out != s {
			v.SetString(out)
		}
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(v.Elem())
		cleanIn(p.Elem(), text, c)
		v.Set(p)
	case reflect.Struct:
		if v.Type() == timeType {
			return
		}
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				cleanIn(v.Field(i), f.Tag.Get("clean") == "text", c)
			}
		}
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		cp := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(cp, v)
		for i := range cp.Len() {
			cleanIn(cp.Index(i), text, c)
		}
		v.Set(cp)
	case reflect.Array:
		for i := range v.Len() {
			cleanIn(v.Index(i), text, c)
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		cp := reflect.MakeMapWithSize(v.Type(), v.Len())
		// Two keys may clean to one ("a\x1b[0m" and "a"): the first in
		// the order of the original keys wins, so the result does not
		// depend on map iteration order.
		keys := v.MapKeys()
		if v.Type().Key().Kind() == reflect.String {
			slices.SortFunc(keys, func(a, b reflect.Value) int { return cmp.Compare(a.String(), b.String()) })
		}
		for _, k := range keys {
			ck := reflect.New(k.Type()).Elem()
			ck.Set(k)
			cleanIn(ck, false, c)
			if cp.MapIndex(ck).IsValid() {
				continue
			}
			cv := reflect.New(v.Type().Elem()).Elem()
			cv.Set(v.MapIndex(k))
			cleanIn(cv, text, c)
			cp.SetMapIndex(ck, cv)
		}
		v.Set(cp)
	}
}

// cleanLine and cleanText sanitize first, so escape sequences cannot hide
// a secret from Redact, then redact.
func cleanLine(s string) string { return Redact(sanitize.Line(s)) }
func cleanText(s string) string { return Redact(sanitize.Text(s)) }
