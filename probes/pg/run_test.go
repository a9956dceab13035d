package pg

import (
	"reflect"
	"strings"
	"testing"
)

func TestLexSpans(t *testing.T) {
	sql := `SELECT 'a;b''c', E'x\'y;', "id;""", $$ ; $$, $tag$ $$ ; $tag$ -- c;'
/* a /* nested; */ ; */ x $1`
	want := []SpanKind{SpanCode, SpanString, SpanCode, SpanEString, SpanCode, SpanIdent, SpanCode, SpanDollar, SpanCode, SpanDollar, SpanCode, SpanComment, SpanCode, SpanComment, SpanCode}
	var got []SpanKind
	end := 0
	for _, sp := range Lex(sql) {
		if sp.Start != end {
			t.Fatalf("gap before %+v", sp)
		}
		end = sp.End
		got = append(got, sp.Kind)
	}
	if end != len(sql) {
		t.Fatalf("spans end at %d of %d", end, len(sql))
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("kinds = %v, want %v", got, want)
	}
}

func TestSplitStatements(t *testing.T) {
	stmts, err := SplitStatements("UPDATE a SET x = ';' WHERE id = $2;\n-- only a comment;\n;UPDATE b SET y = $1 WHERE z = $2 AND w = $1; DO $$ BEGIN PERFORM 1; END $$;")
	if err != nil {
		t.Fatal(err)
	}
	want := []Statement{
		{Text: "UPDATE a SET x = ';' WHERE id = $1", Params: []int{2}},
		{Text: "UPDATE b SET y = $1 WHERE z = $2 AND w = $1", Params: []int{1, 2}},
		{Text: "DO $$ BEGIN PERFORM 1; END $$"},
	}
	if !reflect.DeepEqual(stmts, want) {
		t.Fatalf("got %#v\nwant %#v", stmts, want)
	}
}

func TestSplitStatementsRefusesTransactionControl(t *testing.T) {
	for _, sql := range []string{
		"COMMIT; UPDATE t SET x = 1",
		"select 1; begin",
		"/* c */ ROLLBACK",
		"SET TRANSACTION READ WRITE; UPDATE t SET x = 1",
		"set session characteristics as transaction read write",
		"END",
		"START TRANSACTION",
		"PREPARE TRANSACTION 'x'",
		"DISCARD ALL",
		"DEALLOCATE ALL",
		"RESET transaction_read_only",
		"reset Transaction_Read_Only",
		"SET LOCAL transaction_read_only TO DEFAULT",
		"SET transaction_read_only=off",
		`SET SESSION "transaction_read_only" = on`,
		"-- c\nset default_transaction_read_only = off",
		"RESET default_transaction_read_only",
	} {
		if _, err := SplitStatements(sql); err == nil || !strings.Contains(err.Error(), "transaction") {
			t.Errorf("%q: err = %v, want a refusal", sql, err)
		}
	}
	for _, sql := range []string{"SET LOCAL lock_timeout = '1s'; SELECT 1", "SELECT 'commit'", "PREPARE q AS SELECT 1",
		"SELECT current_setting('transaction_read_only')", "RESET lock_timeout", "SET transaction_read_only_x = 1"} {
		if _, err := SplitStatements(sql); err != nil {
			t.Errorf("%q: %v", sql, err)
		}
	}
}
