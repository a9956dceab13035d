package runbooks

// Placeholder is one "{name}" in a step's code.
type Placeholder struct {
	Name       string
	Start, End int // byte offsets of the braces: code[Start:End] == "{name}"
}

// Placeholders finds the variables in code: "{name}" where name is a
// lower-case identifier ([a-z][a-z0-9_]*). "${NAME}" (a shell parameter),
// "{status=~"5.."}" (a PromQL matcher) and "{print $1}" (awk) are not
// variables.
func Placeholders(code string) []Placeholder {
	var out []Placeholder
	for i := 0; i < len(code); i++ {
		if code[i] != '{' || (i > 0 && code[i-1] == '$') {
			continue
		}
		j := i + 1
		if j >= len(code) || code[j] < 'a' || code[j] > 'z' {
			continue
		}
		for j < len(code) && (code[j] >= 'a' && code[j] <= 'z' || code[j] >= '0' && code[j] <= '9' || code[j] == '_') {
			j++
		}
		if j < len(code) && code[j] == '}' {
			out = append(out, Placeholder{Name: code[i+1 : j], Start: i, End: j + 1})
			i = j
		}
	}
	return out
}

// VarNames are the distinct variable names in code, in order of first use.
func VarNames(code string) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range Placeholders(code) {
		if !seen[p.Name] {
			seen[p.Name] = true
			out = append(out, p.Name)
		}
	}
	return out
}
