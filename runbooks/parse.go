package runbooks

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
	"gopkg.in/yaml.v3"

	"github.com/warroom-dev/warroom/internal/sanitize"
)

// ParseError is a malformed runbook file: "file:line: what".
type ParseError struct {
	File string
	Line int // 1-based
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// mdParser is goldmark's CommonMark parser; it keeps no state between
// documents, so one serves every call.
var mdParser = goldmark.New().Parser()

// Parse reads one markdown file into its runbooks.
//
// A file that starts with YAML front matter ("---" lines around it) is one
// runbook: the front matter gives its title (else the file's first
// heading), severity (P0–P3), symptoms, tags, signals (Signal* kinds),
// owner and variables ({name, description, default, secret}); unknown keys
// are an error. Without front matter the headings give the structure: a
// document with a "## Runbooks" section (like the playbook) yields one
// runbook per "###" heading in it, any other document is one runbook
// titled by its first heading, and the list after a "**Symptoms:**" label
// gives its symptoms.
//
// Steps are the fenced blocks whose info string starts with bash, sh or
// shell (Bash), sql (SQL) or promql (PromQL); other fences (a box drawn in
// a plain fence, a markdown template) are text. A further info word
// "destructive" marks a step (Marked). A step's Name is the text of the
// paragraph or list item just before its block ("**If recent
// deployment:** Rollback" gives "If recent deployment: Rollback"); when
// nothing names it there (the block follows a section label, a heading or
// another block), the block's first comment line names it, with "(+N
// more)" when further comment lines introduce N more commands — the
// playbook's API Service Down investigation block is "Check pod status (+3
// more)"; without a comment, the section label or heading right before
// it; else it has no name (Lint says so). Its Section is the bold label
// ("**Investigation:**") or sub-heading above it. Destructive is set when the step is marked or
// Detect finds it so (Why says what).
//
// Variables are the declared ones, then those the steps use without a
// declaration, in order of first use.
//
// Every string returned is sanitized (titles, symptoms, names to one line;
// bodies and code keeping their newlines): no escape sequence in a file
// reaches the screen. A malformed file is a *ParseError naming file:line:
// bad or unterminated front matter, an unknown front-matter key, a bad
// severity or signal kind, a variable declared twice, no runbook at all.
func Parse(md, source string) ([]Runbook, error) {
	d, err := parseDoc(md, source)
	if err != nil {
		return nil, err
	}
	return d.books, nil
}

// parsed is one file's runbooks with what Lint needs besides.
type parsed struct {
	books    []Runbook
	front    bool           // the file has front matter (then it is one runbook)
	declLine map[string]int // front matter: the line each variable is declared on
}

func parseDoc(md, source string) (d *parsed, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = nil, &ParseError{File: source, Line: 1, Msg: fmt.Sprintf("cannot parse: %v", r)}
		}
	}()
	src := normalize(md)
	d = &parsed{}
	var fm *frontMatter
	bodyStart, lineOff := 0, 0
	if ok, end := hasFrontMatter(src); ok {
		if end < 0 {
			return nil, &ParseError{File: source, Line: 1, Msg: "front matter is not closed (no '---' line after it)"}
		}
		fm, err = parseFrontMatter(src, end, source)
		if err != nil {
			return nil, err
		}
		d.front = true
		d.declLine = fm.declLine
		bodyStart = fm.bodyStart
		lineOff = strings.Count(src[:bodyStart], "\n")
	}
	body := []byte(src[bodyStart:])
	doc := mdParser.Parse(text.NewReader(body))
	p := &docParser{src: body, source: source, lineOff: lineOff, starts: lineStarts(body)}
	var books []Runbook
	if fm != nil {
		books, err = p.frontMatterBook(doc, fm)
	} else {
		books, err = p.headingBooks(doc)
	}
	if err != nil {
		return nil, err
	}
	for i := range books {
		finish(&books[i])
	}
	d.books = books
	return d, nil
}

// normalize makes every line end in "\n" (a lone "\r" ends a line in
// CommonMark too) and drops a byte-order mark.
func normalize(md string) string {
	md = strings.TrimPrefix(md, "\ufeff")
	if strings.IndexByte(md, '\r') >= 0 {
		md = strings.ReplaceAll(md, "\r\n", "\n")
		md = strings.ReplaceAll(md, "\r", "\n")
	}
	return md
}

// hasFrontMatter reports whether src starts with a "---" line, and the
// byte offset of its closing "---" (or "...") line, -1 when there is none.
func hasFrontMatter(src string) (bool, int) {
	first, rest, ok := strings.Cut(src, "\n")
	if strings.TrimRight(first, " \t") != "---" || !ok {
		return strings.TrimRight(first, " \t") == "---", -1
	}
	off := len(first) + 1
	for rest != "" {
		l, r, _ := strings.Cut(rest, "\n")
		if t := strings.TrimRight(l, " \t"); t == "---" || t == "..." {
			return true, off
		}
		off += len(l) + 1
		rest = r
	}
	return true, -1
}

// frontMatter is the YAML header of a runbook file.
type frontMatter struct {
	title, severity, owner string
	symptoms, tags         []string
	signals                []string
	vars                   []Variable
	declLine               map[string]int
	bodyStart              int // byte offset after the closing line
}

var (
	yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	varNameRE  = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	severityRE = regexp.MustCompile(`^P[0-3]$`)
)

// signalKinds are the kinds front matter may name.
var signalKinds = map[string]bool{
	SignalCrashLoop: true, SignalHTTP5xx: true, SignalConnections: true,
	SignalLockWaits: true, SignalSlowQueries: true, SignalAlert: true,
}

// parseFrontMatter reads the YAML between the first line and the closing
// line at byte offset end. YAML line n is file line n+1.
func parseFrontMatter(src string, end int, source string) (*frontMatter, error) {
	fm := &frontMatter{declLine: map[string]int{}}
	closing, _, _ := strings.Cut(src[end:], "\n")
	fm.bodyStart = min(len(src), end+len(closing)+1)
	start := strings.IndexByte(src, '\n') + 1
	y := src[start:end]
	fail := func(line int, format string, args ...any) error {
		return &ParseError{File: source, Line: line + 1, Msg: "front matter: " + fmt.Sprintf(format, args...)}
	}
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(y), &root); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 1
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		return nil, fail(max(line, 1), "%s", msg)
	}
	if len(root.Content) == 0 {
		return fm, nil // empty front matter
	}
	m := deref(root.Content[0])
	if m.Kind == yaml.ScalarNode && m.Tag == "!!null" {
		return fm, nil
	}
	if m.Kind != yaml.MappingNode {
		return nil, fail(m.Line, "expected keys (title, severity, symptoms, tags, signals, owner, variables)")
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], deref(m.Content[i+1])
		if first, dup := seen[k.Value]; dup {
			return nil, fail(k.Line, "key %q given twice (first on line %d)", k.Value, first+1)
		}
		seen[k.Value] = k.Line
		var err error
		switch k.Value {
		case "title":
			fm.title, err = scalar(v)
		case "owner":
			fm.owner, err = scalar(v)
		case "severity":
			fm.severity, err = scalar(v)
			fm.severity = strings.ToUpper(strings.TrimSpace(fm.severity))
			if err == nil && fm.severity != "" && !severityRE.MatchString(fm.severity) {
				return nil, fail(v.Line, "severity %q: want P0, P1, P2 or P3", v.Value)
			}
		case "symptoms":
			fm.symptoms, err = scalars(v)
		case "tags":
			fm.tags, err = scalars(v)
		case "signals":
			fm.signals, err = scalars(v)
			for j, s := range fm.signals {
				if kind, _, _ := strings.Cut(s, ":"); !signalKinds[kind] {
					return nil, fail(deref(v.Content[j]).Line, "unknown signal %q (known: %s)", s, knownSignals())
				}
			}
		case "variables":
			err = fm.variables(v, fail)
		default:
			return nil, fail(k.Line, "unknown key %q (known: title, severity, symptoms, tags, signals, owner, variables)", k.Value)
		}
		if err != nil {
			if pe, ok := err.(*ParseError); ok {
				return nil, pe
			}
			return nil, fail(v.Line, "%s: %v", k.Value, err)
		}
	}
	return fm, nil
}

func (fm *frontMatter) variables(v *yaml.Node, fail func(int, string, ...any) error) error {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		return fmt.Errorf("want a list of {name, description, default, secret}")
	}
	for _, item := range v.Content {
		item = deref(item)
		if item.Kind != yaml.MappingNode {
			return fail(item.Line, "variables: want {name, description, default, secret}")
		}
		var vr Variable
		seen := map[string]bool{}
		for i := 0; i+1 < len(item.Content); i += 2 {
			k, val := item.Content[i], deref(item.Content[i+1])
			if seen[k.Value] {
				return fail(k.Line, "variables: key %q given twice", k.Value)
			}
			seen[k.Value] = true
			var err error
			switch k.Value {
			case "name":
				vr.Name, err = scalar(val)
			case "description":
				vr.Description, err = scalar(val)
			case "default":
				vr.Default, err = scalar(val)
			case "secret":
				if val.Kind != yaml.ScalarNode {
					err = fmt.Errorf("want true or false")
				} else if err = val.Decode(&vr.Secret); err != nil {
					err = fmt.Errorf("want true or false")
				}
			default:
				return fail(k.Line, "variables: unknown key %q (known: name, description, default, secret)", k.Value)
			}
			if err != nil {
				return fail(val.Line, "variables: %s: %v", k.Value, err)
			}
		}
		if !varNameRE.MatchString(vr.Name) {
			return fail(item.Line, "variables: name %q: want a lower-case identifier like namespace or key_id", vr.Name)
		}
		if first, dup := fm.declLine[vr.Name]; dup {
			return fail(item.Line, "variable %q declared twice (first on line %d)", vr.Name, first)
		}
		fm.declLine[vr.Name] = item.Line + 1
		vr.Declared = true
		fm.vars = append(fm.vars, vr)
	}
	return nil
}

func knownSignals() string {
	var ks []string
	for k := range signalKinds {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 8; i++ {
		n = n.Alias
	}
	return n
}

func scalar(v *yaml.Node) (string, error) {
	if v.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("want a single value")
	}
	if v.Tag == "!!null" {
		return "", nil
	}
	return v.Value, nil
}

func scalars(v *yaml.Node) ([]string, error) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("want a list")
	}
	out := make([]string, 0, len(v.Content))
	for _, c := range v.Content {
		s, err := scalar(deref(c))
		if err != nil {
			return nil, fmt.Errorf("want a list of single values")
		}
		out = append(out, s)
	}
	return out, nil
}

// docParser walks one goldmark document.
type docParser struct {
	src     []byte
	source  string
	lineOff int   // lines before src in the file (the front matter)
	starts  []int // byte offset of each line of src
}

func lineStarts(src []byte) []int {
	out := []int{0}
	for i, c := range src {
		if c == '\n' {
			out = append(out, i+1)
		}
	}
	return out
}

// line is the 1-based file line of byte offset pos in src.
func (p *docParser) line(pos int) int {
	return p.lineOff + sort.Search(len(p.starts), func(i int) bool { return p.starts[i] > pos })
}

// lineStart and lineEnd are the offsets of the start of pos's line and
// of the start of the next one.
func (p *docParser) lineStart(pos int) int {
	return p.starts[sort.Search(len(p.starts), func(i int) bool { return p.starts[i] > pos })-1]
}

func (p *docParser) nextLine(pos int) int {
	i := sort.Search(len(p.starts), func(i int) bool { return p.starts[i] > pos })
	if i < len(p.starts) {
		return p.starts[i]
	}
	return len(p.src)
}

func (p *docParser) fail(pos int, format string, args ...any) error {
	return &ParseError{File: p.source, Line: p.line(pos), Msg: fmt.Sprintf(format, args...)}
}

// headingEnd is the offset after a heading's last line: its own line for
// "# Title", the underline's for a setext heading.
func (p *docParser) headingEnd(h *ast.Heading) int {
	pos := clampPos(h.Pos(), len(p.src))
	ls := p.lineStart(pos)
	if t := bytes.TrimLeft(p.src[ls:], " \t"); len(t) > 0 && t[0] == '#' {
		return p.nextLine(pos)
	}
	if n := h.Lines().Len(); n > 0 {
		last := h.Lines().At(n - 1)
		return p.nextLine(p.nextLine(clampPos(last.Start, len(p.src))))
	}
	return p.nextLine(pos)
}

func clampPos(pos, n int) int {
	return max(0, min(pos, n))
}

// section is a runbook's span of top-level blocks.
type section struct {
	heading *ast.Heading // nil for a front-matter file without one
	blocks  []ast.Node
	end     int // offset where its body ends
}

func children(n ast.Node) []ast.Node {
	var out []ast.Node
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		out = append(out, c)
	}
	return out
}

func (p *docParser) headingBooks(doc ast.Node) ([]Runbook, error) {
	top := children(doc)
	var secs []section
	sectionAt := -1
	for i, n := range top {
		if h, ok := n.(*ast.Heading); ok && h.Level == 2 && strings.EqualFold(strings.TrimSpace(p.plain(h)), "runbooks") {
			sectionAt = i
			break
		}
	}
	if sectionAt >= 0 {
		var cur *section
		end := len(p.src)
	loop:
		for _, n := range top[sectionAt+1:] {
			if h, ok := n.(*ast.Heading); ok {
				switch {
				case h.Level <= 2:
					end = p.lineStart(clampPos(h.Pos(), len(p.src)))
					break loop
				case h.Level == 3:
					if cur != nil {
						cur.end = p.lineStart(clampPos(h.Pos(), len(p.src)))
						secs = append(secs, *cur)
					}
					cur = &section{heading: h}
					continue
				}
			}
			if cur != nil {
				cur.blocks = append(cur.blocks, n)
			}
		}
		if cur != nil {
			cur.end = end
			secs = append(secs, *cur)
		}
		if len(secs) == 0 {
			return nil, p.fail(top[sectionAt].Pos(), "the '## Runbooks' section has no '### Title' runbook heading")
		}
	} else {
		for i, n := range top {
			if h, ok := n.(*ast.Heading); ok {
				secs = append(secs, section{heading: h, blocks: top[i+1:], end: len(p.src)})
				break
			}
		}
		if len(secs) == 0 {
			return nil, &ParseError{File: p.source, Line: p.lineOff + 1, Msg: "no runbook found (expected a '# Title' heading, or front matter with a title)"}
		}
	}
	out := make([]Runbook, 0, len(secs))
	for _, s := range secs {
		rb := p.book(s, nil)
		rb.Title = p.plain(s.heading)
		out = append(out, rb)
	}
	return out, nil
}

func (p *docParser) frontMatterBook(doc ast.Node, fm *frontMatter) ([]Runbook, error) {
	top := children(doc)
	s := section{blocks: top, end: len(p.src)}
	if len(top) > 0 {
		if h, ok := top[0].(*ast.Heading); ok {
			s.heading, s.blocks = h, top[1:]
		}
	}
	rb := p.book(s, fm)
	switch {
	case strings.TrimSpace(fm.title) != "":
		rb.Title = fm.title
	case s.heading != nil:
		rb.Title = p.plain(s.heading)
	default:
		return nil, &ParseError{File: p.source, Line: 1, Msg: "front matter has no title and the file does not start with a '# Title' heading"}
	}
	rb.Severity, rb.Owner = fm.severity, fm.owner
	rb.Tags, rb.Signals = fm.tags, fm.signals
	if fm.symptoms != nil {
		rb.Symptoms = fm.symptoms
	}
	rb.Variables = fm.vars
	return []Runbook{rb}, nil
}

// book reads one runbook's blocks: its body, symptoms, steps and the
// variables its steps use.
func (p *docParser) book(s section, fm *frontMatter) Runbook {
	rb := Runbook{Source: p.source, Line: p.lineOff + 1}
	from := 0
	if s.heading != nil {
		pos := clampPos(s.heading.Pos(), len(p.src))
		rb.Line = p.line(pos)
		from = p.headingEnd(s.heading)
	}
	rb.Body = strings.TrimSpace(string(p.src[min(from, s.end):s.end]))
	sectionName := ""
	symptoms := false
	for _, n := range s.blocks {
		switch n := n.(type) {
		case *ast.Heading:
			t := p.plain(n)
			symptoms = strings.EqualFold(strings.Trim(t, "*: \t"), "symptoms")
			if !symptoms {
				sectionName = t
			}
			continue
		case *ast.Paragraph:
			t := p.plain(n)
			if strings.EqualFold(strings.Trim(t, "*: \t"), "symptoms") {
				symptoms = true
				continue
			}
			if label, ok := p.boldLabel(n); ok {
				sectionName = label
			}
		case *ast.List:
			if symptoms {
				for it := n.FirstChild(); it != nil; it = it.NextSibling() {
					if c := it.FirstChild(); c != nil {
						if _, isCode := c.(*ast.FencedCodeBlock); !isCode {
							rb.Symptoms = append(rb.Symptoms, p.plain(c))
						}
					}
				}
			}
		}
		symptoms = false
		_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
			if f, ok := c.(*ast.FencedCodeBlock); ok && entering {
				if st, ok := p.step(f, sectionName); ok {
					rb.Steps = append(rb.Steps, st)
				}
				return ast.WalkSkipChildren, nil
			}
			return ast.WalkContinue, nil
		})
	}
	return rb
}

// stepLang reads a fence's info string: its language and whether it is
// marked destructive.
func stepLang(info string) (Lang, bool, bool) {
	words := strings.Fields(info)
	if len(words) == 0 {
		return "", false, false
	}
	var lang Lang
	switch strings.ToLower(words[0]) {
	case "bash", "sh", "shell":
		lang = Bash
	case "sql":
		lang = SQL
	case "promql":
		lang = PromQL
	default:
		return "", false, false
	}
	marked := false
	for _, w := range words[1:] {
		if strings.EqualFold(w, "destructive") {
			marked = true
		}
	}
	return lang, marked, true
}

func (p *docParser) step(f *ast.FencedCodeBlock, sectionName string) (Step, bool) {
	if f.Info == nil {
		return Step{}, false
	}
	lang, marked, ok := stepLang(string(f.Info.Segment.Value(p.src)))
	if !ok {
		return Step{}, false
	}
	var code strings.Builder
	lines := f.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		code.WriteString(strings.Repeat(" ", seg.Padding))
		code.Write(seg.Value(p.src))
	}
	st := Step{
		Section: sectionName,
		Lang:    lang,
		Code:    strings.TrimRight(code.String(), "\n"),
		Marked:  marked,
		Line:    p.line(clampPos(f.Pos(), len(p.src))),
	}
	// A section label or heading right before the block names it only
	// when its first comment does not.
	labelName := ""
	if prev := f.PreviousSibling(); prev != nil {
		switch prev := prev.(type) {
		case *ast.Paragraph, *ast.TextBlock:
			if label, ok := p.boldLabel(prev); ok && prev.Parent().Kind() == ast.KindDocument {
				labelName = label
			} else {
				st.Name = strings.TrimRight(p.plain(prev), ": \t")
			}
		case *ast.Heading:
			labelName = p.plain(prev)
		}
	}
	if st.Name == "" {
		st.Name = commentName(lang, st.Code)
	}
	if st.Name == "" {
		st.Name = labelName
	}
	return st, true
}

// commentName is the first comment line of a block, with "(+N more)" when
// N more comment lines, each after a command, introduce more commands.
func commentName(lang Lang, code string) string {
	prefix := "#"
	if lang == SQL {
		prefix = "--"
	}
	first, more := "", 0
	inComment := false
	for _, l := range strings.Split(code, "\n") {
		t := strings.TrimSpace(l)
		isComment := strings.HasPrefix(t, prefix) && !strings.HasPrefix(t, "#!")
		if isComment && !inComment {
			c := strings.TrimSpace(strings.TrimLeft(t, prefix[:1]))
			switch {
			case first == "" && c != "":
				first = c
			case first != "":
				more++
			}
		}
		if t != "" {
			inComment = isComment
		}
	}
	if more > 0 {
		return fmt.Sprintf("%s (+%d more)", first, more)
	}
	return first
}

// boldLabel reports whether a paragraph is only a bold label ending in a
// colon ("**Investigation:**"), and the label without it.
func (p *docParser) boldLabel(n ast.Node) (string, bool) {
	c := n.FirstChild()
	e, ok := c.(*ast.Emphasis)
	if !ok || e.Level != 2 {
		return "", false
	}
	rest := ""
	for s := c.NextSibling(); s != nil; s = s.NextSibling() {
		if rest += strings.TrimSpace(p.plain(s)); rest != "" && rest != ":" {
			return "", false
		}
	}
	label := strings.TrimSpace(p.plain(e))
	if !strings.HasSuffix(label, ":") && rest != ":" {
		return "", false
	}
	return strings.TrimSpace(strings.TrimSuffix(label, ":")), true
}

// plain is a node's text without markup, on one line.
func (p *docParser) plain(n ast.Node) string {
	var b strings.Builder
	p.writePlain(&b, n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func (p *docParser) writePlain(b *strings.Builder, n ast.Node) {
	switch n := n.(type) {
	case *ast.Text:
		b.Write(n.Segment.Value(p.src))
		if n.SoftLineBreak() || n.HardLineBreak() {
			b.WriteByte(' ')
		}
		return
	case *ast.String:
		b.Write(n.Value)
		return
	case *ast.AutoLink:
		b.Write(n.URL(p.src))
		return
	case *ast.RawHTML:
		for i := 0; i < n.Segments.Len(); i++ {
			seg := n.Segments.At(i)
			b.Write(seg.Value(p.src))
		}
		return
	}
	if n.Type() == ast.TypeBlock && n.FirstChild() == nil {
		// A leaf block (a heading with no inline parse yet has children;
		// this is e.g. a code block): its lines.
		lines := n.Lines()
		for i := 0; i < lines.Len(); i++ {
			seg := lines.At(i)
			b.Write(seg.Value(p.src))
			b.WriteByte(' ')
		}
		return
	}
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		p.writePlain(b, c)
		if c.Type() == ast.TypeBlock {
			b.WriteByte(' ')
		}
	}
}

// finish sanitizes a runbook, detects destructive steps and collects the
// variables its steps use.
func finish(rb *Runbook) {
	rb.Title = sanitize.Line(rb.Title)
	if strings.TrimSpace(rb.Title) == "" {
		rb.Title = "(untitled)"
	}
	rb.Severity = sanitize.Line(rb.Severity)
	rb.Owner = sanitize.Line(rb.Owner)
	rb.Body = sanitize.Text(rb.Body)
	rb.Source = sanitize.Line(rb.Source)
	lines(rb.Symptoms)
	lines(rb.Tags)
	lines(rb.Signals)
	seen := map[string]bool{}
	for i := range rb.Variables {
		v := &rb.Variables[i]
		v.Name = sanitize.Line(v.Name)
		v.Description = sanitize.Line(v.Description)
		v.Default = sanitize.Line(v.Default)
		seen[v.Name] = true
	}
	for i := range rb.Steps {
		st := &rb.Steps[i]
		st.Name = sanitize.Line(st.Name)
		st.Section = sanitize.Line(st.Section)
		st.Code = sanitize.Text(st.Code)
		st.Vars = VarNames(st.Code)
		det, why := Detect(st.Lang, st.Code)
		st.Destructive = st.Marked || det
		switch {
		case det:
			st.Why = sanitize.Line(why)
		case st.Marked:
			st.Why = "marked destructive"
		}
		for _, v := range st.Vars {
			if !seen[v] {
				seen[v] = true
				rb.Variables = append(rb.Variables, Variable{Name: v})
			}
		}
	}
}

func lines(ss []string) {
	for i, s := range ss {
		ss[i] = sanitize.Line(s)
	}
}
