package step

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"mvdan.cc/sh/v3/syntax"
)

// quoting is where a placeholder sits in a bash script.
type quoting int

const (
	unknown    quoting = iota
	plain              // a word's unquoted part
	single             // inside '…'
	dollarSgl          // inside $'…'
	double             // inside "…"
	commentCtx         // in a # comment
)

// renderBash fills the placeholders of a bash script for their quoting
// contexts (see the package doc). A secret variable's value is not put in
// the script: it goes in r.Env, and the script reads it from there.
func renderBash(in input, r *Rendered) error {
	if len(in.ph) == 0 {
		r.Text = in.code
		r.Lines = lines(in.code)
		return nil
	}
	ctx, starts, err := bashContexts(in)
	if err != nil {
		return err
	}
	for i, p := range in.ph {
		if ctx[i] == commentCtx {
			continue
		}
		if err := checkBashValue(p.Name, in.values[p.Name], starts[i]); err != nil {
			return err
		}
	}
	envName := map[string]string{} // secret variable → its environment variable
	for _, p := range in.ph {
		if in.secret[p.Name] && envName[p.Name] == "" {
			n := secretEnvPrefix + strconv.Itoa(len(envName)+1)
			envName[p.Name] = n
			r.Env = append(r.Env, n+"="+in.values[p.Name])
		}
	}
	var fail error
	r.Text = splice(in.code, in.ph, func(i int) string {
		p := in.ph[i]
		if in.secret[p.Name] {
			if ctx[i] == commentCtx {
				return mask(p.Name)
			}
			return envRef(envName[p.Name], ctx[i])
		}
		s, err := bashInsert(in.values[p.Name], ctx[i])
		if err != nil && fail == nil {
			fail = placeErr(p.Name, "cannot be quoted for bash")
		}
		return s
	})
	if fail != nil {
		return fail
	}
	display := splice(in.code, in.ph, func(i int) string {
		p := in.ph[i]
		if in.secret[p.Name] {
			return mask(p.Name)
		}
		s, _ := bashInsert(in.values[p.Name], ctx[i])
		return s
	})
	r.Lines = lines(display)
	return nil
}

// secretEnvPrefix starts the names of the environment variables that
// carry a bash step's secret values (WARROOM_SECRET_1…): on bash's
// command line, which any local user can read in /proc, the script
// only names them.
const secretEnvPrefix = "WARROOM_SECRET_"

// envRef is a reference to environment variable name for quoting
// context q: a quoted expansion, which bash reads as one plain word,
// whatever the value.
func envRef(name string, q quoting) string {
	ref := "${" + name + "}"
	switch q {
	case single:
		return `'"` + ref + `"'`
	case dollarSgl:
		return `'"` + ref + `"$'`
	case double:
		return ref
	}
	return `"` + ref + `"`
}

// checkBashValue refuses a value bash could misread whatever its quoting;
// the error names the variable, never the value (it may be a secret).
//
//   - an invisible or unprintable character (a pasted no-break space,
//     zero-width space, control character; a tab is fine): quoted as
//     $'\u00a0', which a bash without a UTF-8 locale passes on as the
//     six characters \u00a0;
//   - a leading "-" where the value starts a word: the command would read
//     it as an option (kubectl delete pod --all);
//   - "[" together with "$" or "`": wherever bash evaluates the value as
//     arithmetic later (n={v}; (( n > 1 )), [[ $n -gt 1 ]], declare -i),
//     x[$(cmd)] runs cmd.
func checkBashValue(name, v string, wordStart bool) error {
	for i, c := range v {
		if c == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(v[i:]); size == 1 {
				return placeErr(name, "holds a byte that is not UTF-8 text: retype it")
			}
		}
		if c != '\t' && !unicode.IsPrint(c) && c != utf8.RuneError {
			return placeErr(name, fmt.Sprintf("contains an invisible character U+%04X (%s): retype it", c, runeName(c)))
		}
	}
	if wordStart && strings.HasPrefix(v, "-") {
		return placeErr(name, "starts with -: a value starting with - would be read as an option")
	}
	if strings.Contains(v, "[") && strings.ContainsAny(v, "$`") {
		return placeErr(name, "holds [ together with $ or `: where bash evaluates it as arithmetic, a value like x[$(cmd)] runs cmd")
	}
	return nil
}

// runeNames name the invisible characters a paste most often brings.
var runeNames = map[rune]string{
	0x00a0: "no-break space", 0x00ad: "soft hyphen", 0x1680: "ogham space mark",
	0x180e: "Mongolian vowel separator", 0x2007: "figure space", 0x2009: "thin space",
	0x200a: "hair space", 0x200b: "zero-width space", 0x200c: "zero-width non-joiner",
	0x200d: "zero-width joiner", 0x200e: "left-to-right mark", 0x200f: "right-to-left mark",
	0x2028: "line separator", 0x2029: "paragraph separator", 0x202a: "left-to-right embedding",
	0x202b: "right-to-left embedding", 0x202c: "pop directional formatting",
	0x202d: "left-to-right override", 0x202e: "right-to-left override",
	0x202f: "narrow no-break space", 0x205f: "medium mathematical space", 0x2060: "word joiner",
	0x2066: "left-to-right isolate", 0x2067: "right-to-left isolate", 0x2068: "first strong isolate",
	0x2069: "pop directional isolate", 0x3000: "ideographic space", 0xfeff: "zero-width no-break space",
	'\n': "line feed", '\r': "carriage return", 0x1b: "escape", 0x7f: "delete", 0x85: "next line",
}

// runeName is what an unprintable rune is.
func runeName(c rune) string {
	if n, ok := runeNames[c]; ok {
		return n
	}
	switch {
	case unicode.Is(unicode.Cc, c):
		return "a control character"
	case unicode.Is(unicode.Cf, c):
		return "a format character"
	case unicode.Is(unicode.Zs, c):
		return "a space"
	case unicode.Is(unicode.Co, c):
		return "a private-use character"
	}
	return "an unassigned character"
}

// bashInsert is value as inserted in context q.
func bashInsert(value string, q quoting) (string, error) {
	qv, err := syntax.Quote(value, syntax.LangBash)
	if err != nil {
		return "", err
	}
	switch q {
	case single:
		return "'" + qv + "'", nil
	case dollarSgl:
		return "'" + qv + "$'", nil
	case double:
		return `"` + qv + `"`, nil
	}
	// Unquoted: a word Quote leaves bare that bash would read as syntax
	// (a reserved word, a leading "!", a "}") is quoted anyway; it holds no
	// quote, or Quote would have quoted it.
	if qv == value && (syntax.IsKeyword(value) || strings.HasPrefix(value, "!") || strings.Contains(value, "}")) {
		return "'" + value + "'", nil
	}
	return qv, nil
}

// bashContexts finds each placeholder's quoting context by parsing the
// script with each placeholder replaced by a sentinel word, and whether
// it starts a word (only quotes, or other placeholders, before it).
func bashContexts(in input) ([]quoting, []bool, error) {
	prefix := "WrmVarQ"
	for strings.Contains(in.code, prefix) {
		prefix += "q"
	}
	src := splice(in.code, in.ph, func(i int) string { return prefix + strconv.Itoa(i) + "Z" + prefix })
	quotes := strings.NewReplacer(`$'`, "", `$"`, "", "'", "", `"`, "")
	re := regexp.MustCompile(regexp.QuoteMeta(prefix) + `([0-9]+)Z` + regexp.QuoteMeta(prefix))
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash), syntax.KeepComments(true)).Parse(strings.NewReader(src), "")
	if err != nil {
		return nil, nil, fmt.Errorf("the script does not parse as bash: %v", err)
	}
	ctx := make([]quoting, len(in.ph))
	starts := make([]bool, len(in.ph))
	sentinel := func(i int) string { return prefix + strconv.Itoa(i) + "Z" + prefix }
	var fail error
	var stack []syntax.Node
	syntax.Walk(f, func(n syntax.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		var text string
		switch n := n.(type) {
		case *syntax.Lit:
			text = n.Value
		case *syntax.SglQuoted:
			text = n.Value
		case *syntax.Comment:
			text = n.Text
		}
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			i, err := strconv.Atoi(m[1])
			if err != nil || i >= len(in.ph) {
				continue
			}
			q, why := classify(n, stack)
			if why != "" && fail == nil {
				fail = placeErr(in.ph[i].Name, why)
			}
			ctx[i] = q
			for k := len(stack) - 1; k >= 0; k-- {
				if w, ok := stack[k].(*syntax.Word); ok {
					at := strings.Index(src, sentinel(i))
					if from := int(w.Pos().Offset()); from <= at {
						before := re.ReplaceAllString(src[from:at], "")
						starts[i] = quotes.Replace(before) == ""
					}
					break
				}
			}
		}
		stack = append(stack, n)
		return true
	})
	if fail != nil {
		return nil, nil, fail
	}
	for i, p := range in.ph {
		if ctx[i] == unknown {
			return nil, nil, placeErr(p.Name, "is where its quoting cannot be known")
		}
		if ctx[i] != single && ctx[i] != commentCtx && backslashed(in.code, p.Start) {
			return nil, nil, placeErr(p.Name, "follows a backslash, which would escape its quoting")
		}
	}
	return ctx, starts, nil
}

// backslashed reports whether an odd run of backslashes ends at i.
func backslashed(code string, i int) bool {
	n := 0
	for i > 0 && code[i-1] == '\\' {
		n++
		i--
	}
	return n%2 == 1
}

// classify is the quoting context of a sentinel in node n under its
// ancestors, or why a value cannot go there.
func classify(n syntax.Node, stack []syntax.Node) (quoting, string) {
	var q quoting
	switch n := n.(type) {
	case *syntax.Comment:
		return commentCtx, ""
	case *syntax.SglQuoted:
		q = single
		if n.Dollar {
			q = dollarSgl
		}
	case *syntax.Lit:
		if len(stack) == 0 {
			return unknown, "is where its quoting cannot be known"
		}
		switch stack[len(stack)-1].(type) {
		case *syntax.Word:
			q = plain
		case *syntax.DblQuoted:
			q = double
		default:
			return unknown, "names something (a variable, a function, a file descriptor, a glob) where a quoted value cannot go"
		}
	}
	for k, anc := range stack {
		var child syntax.Node = n
		if k+1 < len(stack) {
			child = stack[k+1]
		}
		switch a := anc.(type) {
		case *syntax.ArithmExp, *syntax.ArithmCmd, *syntax.LetClause, *syntax.CStyleLoop:
			return unknown, "is in arithmetic, which would evaluate the value"
		case *syntax.ParamExp:
			return unknown, "is inside a ${…} expansion"
		case *syntax.CmdSubst:
			if a.Backquotes {
				return unknown, "is inside `…` (write $(…) instead)"
			}
		case *syntax.Redirect:
			if a.Hdoc != nil && child == syntax.Node(a.Hdoc) {
				return unknown, "is in a here-document"
			}
		case *syntax.Assign:
			if a.Value == nil || child != syntax.Node(a.Value) {
				if a.Array == nil || child != syntax.Node(a.Array) {
					return unknown, "is in a variable name or array index"
				}
			}
		case *syntax.ArrayElem:
			if a.Value == nil || child != syntax.Node(a.Value) {
				return unknown, "is in an array index"
			}
		case *syntax.BinaryTest:
			switch a.Op {
			case syntax.TsEql, syntax.TsNeq, syntax.TsLeq, syntax.TsGeq, syntax.TsLss, syntax.TsGtr:
				return unknown, "is an arithmetic operand of [[ … ]], which would evaluate the value"
			}
		case *syntax.UnaryTest:
			if a.Op == syntax.TsVarSet || a.Op == syntax.TsRefVar {
				return unknown, "names a variable in [[ -v ]]"
			}
		case *syntax.DeclClause:
			for _, as := range a.Args {
				if as.Naked && as.Value != nil {
					if lit := as.Value.Lit(); strings.HasPrefix(lit, "-") && strings.ContainsAny(lit, "in") {
						return unknown, "is in a " + a.Variant.Value + " " + lit + ", which would evaluate the value"
					}
				}
			}
		case *syntax.CallExpr:
			if len(a.Args) > 0 && a.Args[0].Lit() == "eval" {
				return unknown, "is in an eval, which would run the value as code"
			}
			if why := nameArg(a.Args, child); why != "" {
				return unknown, why
			}
		}
	}
	return q, ""
}

// nameArg says why argument child of a simple command is a place where
// bash takes the value as a variable's name (or as code), or "": test -v
// NAME, printf -v NAME, read's and mapfile's names, unset, getopts,
// wait -p, trap.
func nameArg(args []*syntax.Word, child syntax.Node) string {
	idx := -1
	for i, w := range args {
		if syntax.Node(w) == child {
			idx = i
		}
	}
	k := 0
	for k < idx && (args[k].Lit() == "builtin" || args[k].Lit() == "command") {
		k++
	}
	if idx <= k {
		return ""
	}
	cmd, prev := args[k].Lit(), args[idx-1].Lit()
	glued := "" // the literal start of the word itself: -v{v}
	if len(args[idx].Parts) > 0 {
		if l, ok := args[idx].Parts[0].(*syntax.Lit); ok {
			glued = l.Value
		}
	}
	// valueOf: whether the word is the value of an option of the
	// cluster prev whose last letter is one of letters.
	valueOf := func(letters string) bool {
		return idx-1 > k && len(prev) > 1 && prev[0] == '-' && prev != "--" && strings.ContainsRune(letters, rune(prev[len(prev)-1]))
	}
	switch cmd {
	case "test", "[":
		if prev == "-v" || prev == "-R" {
			return "names a variable (test " + prev + "), where bash would evaluate an index in the value"
		}
	case "printf":
		if prev == "-v" || strings.HasPrefix(glued, "-v") {
			return "names the variable printf -v sets"
		}
	case "read":
		if strings.HasPrefix(glued, "-") {
			if strings.ContainsRune(glued, 'a') {
				return "names the array read -a sets"
			}
			return ""
		}
		if !valueOf("dinNptu") {
			return "names a variable read sets"
		}
	case "mapfile", "readarray":
		if strings.HasPrefix(glued, "-") && !strings.ContainsRune(glued, 'C') {
			return ""
		}
		if prev == "-C" || strings.HasPrefix(glued, "-") {
			return "is a callback " + cmd + " runs as code"
		}
		if !valueOf("dnOsuc") {
			return "names the array " + cmd + " sets"
		}
	case "unset":
		return "names what unset removes"
	case "getopts":
		if idx == k+2 {
			return "names the variable getopts sets"
		}
	case "wait":
		if prev == "-p" {
			return "names the variable wait -p sets"
		}
	case "trap":
		return "is in a trap, whose action bash runs as code"
	}
	return ""
}
