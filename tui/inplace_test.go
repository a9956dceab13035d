package tui_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/tui/common"
)

// An in-place action opens no running dialog: the pane that asked is told
// it started (with the ID it cancels by) and gets its output; Cancel(ID)
// ends it like esc in the dialog would.
func TestInPlaceActionStartsWithoutDialogAndCancelsByID(t *testing.T) {
	m, pane, path := actionShell(t, common.Mode{})
	started := make(chan struct{})
	a := common.Action{Title: "tail", Kind: incident.ActionKube, Tag: "rb#1", InPlace: true,
		Run: func(ctx context.Context, progress func(string)) common.Outcome {
			progress("first line")
			close(started)
			<-ctx.Done()
			return common.Outcome{Err: ctx.Err()}
		}}
	drive(m, common.ActionRequest{Action: a})
	_, cmd := m.Update(key("y"))
	confirmed := collect(cmd)
	_, cmd = m.Update(confirmed[0])
	if strings.Contains(m.View(), "running") {
		t.Fatalf("an in-place action opened the running dialog:\n%s", m.View())
	}
	if len(pane.started) != 1 || pane.started[0].Tag != "rb#1" || pane.started[0].ID == "" {
		t.Fatalf("pane told it started: %+v", pane.started)
	}
	id := pane.started[0].ID
	batch := cmd().(tea.BatchMsg)
	go batch[0]() // the execution
	<-started
	drive(m, common.CancelMsg{ID: id})
	for _, msg := range collect(batch[1]) {
		drive(m, msg)
	}
	evs := journalActions(t, path)
	if len(evs) != 2 || !evs[1].Action.Cancelled {
		t.Fatalf("recorded %+v", evs)
	}
	if len(pane.done) != 1 || pane.done[0].ID != id || !errors.Is(pane.done[0].Outcome.Err, context.Canceled) {
		t.Fatalf("pane told %+v", pane.done)
	}
	if len(pane.progress) == 0 || pane.progress[0] != "first line" {
		t.Fatalf("pane's progress %q", pane.progress)
	}
}

// A secret an action carries is masked on screen, in the journal, in the
// output the pane is handed and in the error — everywhere but Run.
func TestActionSecretsNeverLeaveRun(t *testing.T) {
	const secret = "s3cr3t-T0KEN-value"
	m, pane, path := actionShell(t, common.Mode{})
	var got string
	drive(m, common.ActionRequest{Action: common.Action{
		Title: "revoke " + secret, Kind: incident.ActionSQL, Tag: "stub", InPlace: true,
		Lines:   []string{"UPDATE api_keys SET revoked_at = now() WHERE token = '" + secret + "'"},
		Secrets: []string{secret},
		Run: func(ctx context.Context, progress func(string)) common.Outcome {
			got = "token=" + secret
			progress("echo " + secret)
			return common.Outcome{Err: errors.New("no key " + secret), Output: "out " + secret, Result: "r " + secret}
		}}})
	if v := m.View(); strings.Contains(v, secret) || !strings.Contains(v, common.SecretMask) {
		t.Fatalf("the confirmation shows the secret or no mask:\n%s", v)
	}
	drive(m, key("y"))
	if got != "token="+secret {
		t.Fatal("Run did not get the secret")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), secret) || !strings.Contains(string(data), common.SecretMask) {
		t.Fatalf("journal holds the secret or no mask:\n%s", data)
	}
	if strings.Contains(strings.Join(pane.progress, "\n"), secret) || len(pane.progress) == 0 {
		t.Fatalf("progress %q", pane.progress)
	}
	if len(pane.done) != 1 || strings.Contains(pane.done[0].Outcome.Err.Error()+pane.done[0].Outcome.Output, secret) {
		t.Fatalf("done %+v", pane.done)
	}
	if strings.Contains(m.View(), secret) {
		t.Fatalf("screen shows the secret:\n%s", m.View())
	}
}

// A cancelled action whose error text held a secret is still a
// cancellation once masked.
func TestMaskedErrorStillUnwraps(t *testing.T) {
	const secret = "tok-123456"
	m, pane, _ := actionShell(t, common.Mode{})
	drive(m, common.ActionRequest{Action: common.Action{Title: "x", Kind: incident.ActionSQL, Tag: "stub", Secrets: []string{secret},
		Run: func(ctx context.Context, _ func(string)) common.Outcome {
			return common.Outcome{Err: fmt.Errorf("query with %s: %w", secret, context.Canceled)}
		}}})
	drive(m, key("y"))
	if len(pane.done) != 1 || !errors.Is(pane.done[0].Outcome.Err, context.Canceled) || strings.Contains(pane.done[0].Outcome.Err.Error(), secret) {
		t.Fatalf("done %+v", pane.done)
	}
}
