package incident

import (
	"cmp"
	"reflect"
	"slices"
	"time"

	"github.com/warroom-dev/warroom/internal/sanitize"
)

// clean returns a deep copy of ev with every string in it sanitized and
// redacted: every field, of every typed field, every element of a slice,
// every map key and value, found by reflection so that a field added later
// cannot be forgotten. Fields tagged `clean:"text"` keep their newlines
// (sanitize.Text); every other string is folded to one line
// (sanitize.Line). Both are idempotent, so cleaning a clean event changes
// nothing. What ev points to is never modified.
//
// It runs on every event written (normalize) and every event read (parse):
// a journal may come from another machine and is untrusted input.
func clean(ev Event) Event {
	cleanIn(reflect.ValueOf(&ev).Elem(), false)
	return ev
}

var timeType = reflect.TypeFor[time.Time]()

// cleanIn cleans the addressable v in place; text says a string keeps its
// newlines. What v refers to (through pointers, slices, maps) is replaced
// by cleaned copies, never modified, since the caller's event shares it.
// Kinds that hold no string (numbers, bools) are left as they are;
// TestCleanKnowsEveryKind fails if Event grows a field of a kind cleanIn
// cannot copy (an interface, a func, a channel).
func cleanIn(v reflect.Value, text bool) {
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		c := cleanLine(s)
		if text {
			c = cleanText(s)
		}
		if c != s {
			v.SetString(c)
		}
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(v.Elem())
		cleanIn(p.Elem(), text)
		v.Set(p)
	case reflect.Struct:
		if v.Type() == timeType {
			return
		}
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				cleanIn(v.Field(i), f.Tag.Get("clean") == "text")
			}
		}
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		for i := range c.Len() {
			cleanIn(c.Index(i), text)
		}
		v.Set(c)
	case reflect.Array:
		for i := range v.Len() {
			cleanIn(v.Index(i), text)
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
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
			cleanIn(ck, false)
			if c.MapIndex(ck).IsValid() {
				continue
			}
			cv := reflect.New(v.Type().Elem()).Elem()
			cv.Set(v.MapIndex(k))
			cleanIn(cv, text)
			c.SetMapIndex(ck, cv)
		}
		v.Set(c)
	}
}

// cleanLine and cleanText sanitize first, so escape sequences cannot hide
// a secret from Redact, then redact.
func cleanLine(s string) string { return Redact(sanitize.Line(s)) }
func cleanText(s string) string { return Redact(sanitize.Text(s)) }
