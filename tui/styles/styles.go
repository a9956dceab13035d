// Package styles builds every style the console uses, in one place, from a
// theme. Colours are adaptive (readable on dark and light terminals) and
// degrade through the renderer's profile: 256 colours, true colour, or none
// at all when NO_COLOR is set or output is not a colour terminal.
package styles

import (
	"reflect"

	"github.com/charmbracelet/lipgloss"
)

// Theme is the palette. Each colour is adaptive: Light is used on light
// backgrounds, Dark on dark ones.
type Theme struct {
	Fg, Muted, Border, Focus, Accent lipgloss.AdaptiveColor
	OK, Warn, Bad, Info              lipgloss.AdaptiveColor
	BadgeFg                          lipgloss.AdaptiveColor
	Sev                              [4]lipgloss.AdaptiveColor
	// NoColor keeps bold, underline and reverse video but sets no colour
	// at all (NO_COLOR): the cursor and badges must still show.
	NoColor bool
}

// NoColorTheme is the theme for NO_COLOR.
func NoColorTheme() Theme {
	t := DefaultTheme()
	t.NoColor = true
	return t
}

// DefaultTheme works on both dark and light terminals.
func DefaultTheme() Theme {
	return Theme{
		Fg:      lipgloss.AdaptiveColor{Light: "235", Dark: "252"},
		Muted:   lipgloss.AdaptiveColor{Light: "243", Dark: "245"},
		Border:  lipgloss.AdaptiveColor{Light: "250", Dark: "240"},
		Focus:   lipgloss.AdaptiveColor{Light: "25", Dark: "75"},
		Accent:  lipgloss.AdaptiveColor{Light: "91", Dark: "177"},
		OK:      lipgloss.AdaptiveColor{Light: "28", Dark: "78"},
		Warn:    lipgloss.AdaptiveColor{Light: "130", Dark: "214"},
		Bad:     lipgloss.AdaptiveColor{Light: "160", Dark: "203"},
		Info:    lipgloss.AdaptiveColor{Light: "31", Dark: "80"},
		BadgeFg: lipgloss.AdaptiveColor{Light: "255", Dark: "232"},
		Sev: [4]lipgloss.AdaptiveColor{
			{Light: "160", Dark: "196"}, // P0
			{Light: "166", Dark: "208"}, // P1
			{Light: "136", Dark: "220"}, // P2
			{Light: "31", Dark: "75"},   // P3
		},
	}
}

// Styles is every style, nested by where it is used.
type Styles struct {
	Renderer *lipgloss.Renderer

	Text, Muted, Bold, Accent lipgloss.Style
	OK, Warn, Bad, Info       lipgloss.Style

	Frame struct {
		// Box is the pane frame's shape: its border characters and frame
		// sizes; the layout subtracts Box's frame sizes, never literals.
		Box                   lipgloss.Style
		Border, BorderFocused lipgloss.Style
		Title, TitleFocused   lipgloss.Style
	}
	Status struct {
		Bar, Title, Key, Clock lipgloss.Style
		Badge                  lipgloss.Style // DRILL / READ-ONLY / DRY-RUN
		BadgeBad               lipgloss.Style // JOURNAL FAILING
		Severity               [4]lipgloss.Style
		DotOK, DotBad, DotWait lipgloss.Style
		DotOff                 lipgloss.Style
		Flash, FlashError      lipgloss.Style
	}
	Tabs struct {
		Active, Inactive lipgloss.Style
	}
	Table struct {
		Header, Selected lipgloss.Style
	}
	Dialog struct {
		Box, DangerBox, Title, Body, Hint lipgloss.Style
		Field, FieldFocused               lipgloss.Style
	}
	Help struct {
		Key, Desc, Section lipgloss.Style
	}
}

// New builds the styles from a theme for one renderer (the program's output,
// or an Ascii renderer in tests).
func New(r *lipgloss.Renderer, t Theme) *Styles {
	s := &Styles{Renderer: r}
	n := r.NewStyle
	s.Text = n().Foreground(t.Fg)
	s.Muted = n().Foreground(t.Muted)
	s.Bold = n().Bold(true)
	s.Accent = n().Foreground(t.Accent).Bold(true)
	s.OK = n().Foreground(t.OK)
	s.Warn = n().Foreground(t.Warn)
	s.Bad = n().Foreground(t.Bad).Bold(true)
	s.Info = n().Foreground(t.Info)

	s.Frame.Box = n().Border(lipgloss.RoundedBorder())
	s.Frame.Border = n().Foreground(t.Border)
	s.Frame.BorderFocused = n().Foreground(t.Focus)
	s.Frame.Title = n().Foreground(t.Muted)
	s.Frame.TitleFocused = n().Foreground(t.Focus).Bold(true)

	s.Status.Bar = n()
	s.Status.Title = n().Bold(true)
	s.Status.Key = n().Foreground(t.Muted)
	s.Status.Clock = n().Bold(true)
	s.Status.Badge = n().Foreground(t.BadgeFg).Background(t.Accent).Bold(true)
	s.Status.BadgeBad = n().Foreground(t.BadgeFg).Background(t.Bad).Bold(true)
	for i := range s.Status.Severity {
		s.Status.Severity[i] = n().Foreground(t.BadgeFg).Background(t.Sev[i]).Bold(true)
	}
	s.Status.DotOK = n().Foreground(t.OK)
	s.Status.DotBad = n().Foreground(t.Bad)
	s.Status.DotWait = n().Foreground(t.Warn)
	s.Status.DotOff = n().Foreground(t.Muted)
	s.Status.Flash = n().Foreground(t.Info)
	s.Status.FlashError = n().Foreground(t.Bad).Bold(true)

	s.Tabs.Active = n().Foreground(t.Focus).Bold(true).Underline(true)
	s.Tabs.Inactive = n().Foreground(t.Muted)

	s.Table.Header = n().Foreground(t.Muted).Bold(true)
	s.Table.Selected = n().Reverse(true)

	s.Dialog.Box = n().Border(lipgloss.RoundedBorder()).BorderForeground(t.Focus).Padding(0, 1)
	s.Dialog.DangerBox = n().Border(lipgloss.ThickBorder()).BorderForeground(t.Bad).Padding(0, 1)
	s.Dialog.Title = n().Bold(true)
	s.Dialog.Body = n()
	s.Dialog.Hint = n().Foreground(t.Muted)
	s.Dialog.Field = n().Foreground(t.Muted)
	s.Dialog.FieldFocused = n().Foreground(t.Focus).Bold(true)

	s.Help.Key = n().Foreground(t.Focus).Bold(true)
	s.Help.Desc = n()
	s.Help.Section = n().Foreground(t.Accent).Bold(true)
	if t.NoColor {
		uncolor(reflect.ValueOf(s).Elem())
		// Badges lose their background: reverse video marks them instead.
		s.Status.Badge = s.Status.Badge.Reverse(true)
		s.Status.BadgeBad = s.Status.BadgeBad.Reverse(true)
		for i := range s.Status.Severity {
			s.Status.Severity[i] = s.Status.Severity[i].Reverse(true)
		}
	}
	return s
}

var styleType = reflect.TypeOf(lipgloss.Style{})

// uncolor unsets every colour of every style in v, keeping attributes.
func uncolor(v reflect.Value) {
	switch {
	case v.Type() == styleType:
		st := v.Interface().(lipgloss.Style)
		v.Set(reflect.ValueOf(st.UnsetForeground().UnsetBackground().UnsetBorderForeground().UnsetBorderBackground()))
	case v.Kind() == reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Field(i).CanSet() {
				uncolor(v.Field(i))
			}
		}
	case v.Kind() == reflect.Array:
		for i := 0; i < v.Len(); i++ {
			uncolor(v.Index(i))
		}
	}
}
