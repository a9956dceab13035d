package step

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

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
// contexts (see the package doc).
func renderBash(in input, r *Rendered) error {
	if len(in.ph) == 0 {
		r.Text = in.code
		r.Lines = lines(in.code)
		return nil
	}
	ctx, err := bashContexts(in)
	if err != nil {
		return err
	}
	var fail error
	r.Text = splice(in.code, in.ph, func(i int) string {
		s, err := bashInsert(in.values[in.ph[i].Name], ctx[i])
		if err != nil && fail == nil {
			fail = fmt.Errorf("{%s}: %w", in.ph[i].Name, err)
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
// script with each placeholder replaced by a sentinel word.
func bashContexts(in input) ([]quoting, error) {
	prefix := "WrmVarQ"
	for strings.Contains(in.code, prefix) {
		prefix += "q"
	}
	src := splice(in.code, in.ph, func(i int) string { return prefix + strconv.Itoa(i) + "Z" + prefix })
	re := regexp.MustCompile(regexp.QuoteMeta(prefix) + `([0-9]+)Z` + regexp.QuoteMeta(prefix))
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash), syntax.KeepComments(true)).Parse(strings.NewReader(src), "")
	if err != nil {
		return nil, fmt.Errorf("the script does not parse as bash: %v", err)
	}
	ctx := make([]quoting, len(in.ph))
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
		}
		stack = append(stack, n)
		return true
	})
	if fail != nil {
		return nil, fail
	}
	for i, p := range in.ph {
		if ctx[i] == unknown {
			return nil, placeErr(p.Name, "is where its quoting cannot be known")
		}
		if ctx[i] != single && ctx[i] != commentCtx && backslashed(in.code, p.Start) {
			return nil, placeErr(p.Name, "follows a backslash, which would escape its quoting")
		}
	}
	return ctx, nil
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
		}
	}
	return q, ""
}
