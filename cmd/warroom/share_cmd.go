package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/incident/share"
	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/tui/common"
)

// shareCallTimeout bounds the one-shot calls of incidents and join.
const shareCallTimeout = 15 * time.Second

// needShare is the DSN of the shared timeline, or the error saying how
// to give it.
func needShare(cfg Config, what string) (string, error) {
	dsn, ok := cfg.ShareDSN()
	if !ok {
		return "", configErrorf("%s needs the shared timeline's database: --share DSN (or share.postgres in the config)", what)
	}
	return dsn, nil
}

// incidentsCmd is `warroom incidents --share DSN`: the open incidents of
// the shared timeline, newest first.
func incidentsCmd(f *flags, stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "incidents",
		Short: "List the open incidents of the shared timeline (--share): title, severity, age, who is in",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.loadConfig(cmd.Flags())
			if err != nil {
				return err
			}
			dsn, err := needShare(cfg, "incidents")
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), shareCallTimeout)
			defer cancel()
			list, err := share.Incidents(ctx, dsn)
			if err != nil {
				return err
			}
			if len(list) == 0 {
				fmt.Fprintln(stdout, "no open incident on the shared timeline at", dsnWhere(dsn))
				return nil
			}
			w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tSEV\tAGE\tTITLE\tWHO (labels)\tEVENTS")
			for _, s := range list {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\n", sanitize.Line(s.Incident), sanitize.Line(s.Severity),
					common.Duration(s.Age.Round(time.Second)), common.Truncate(sanitize.Line(s.Title), 50),
					common.Truncate(sanitize.Line(strings.Join(withoutSystem(s.Actors), ", ")), 40), s.Events)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			fmt.Fprintln(stdout, "\njoin one: warroom join ID --share …")
			return nil
		},
	}
}

// withoutSystem is actors without the console's own ("warroom", "drill").
func withoutSystem(actors []string) []string {
	var out []string
	for _, a := range actors {
		if a != common.SystemActor && a != "drill" && a != "" {
			out = append(out, a)
		}
	}
	return out
}

// joinCmd is `warroom join ID --share DSN`: a console on an incident of
// the shared timeline. Its whole history is written into a new journal
// (or --journal, empty or already this incident's) before the console
// starts; the embedded drill's incident is joined as a drill.
func joinCmd(f *flags, sys sys, stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "join INCIDENT-ID",
		Short: "Start a console on an incident of the shared timeline (--share), with its whole history",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.loadConfig(cmd.Flags())
			if err != nil {
				return err
			}
			dsn, err := needShare(cfg, "join")
			if err != nil {
				return err
			}
			if err := sys.terminal(); err != nil {
				return err
			}
			s, err := joinJournal(&cfg, sys, dsn, args[0])
			if err != nil {
				return err
			}
			if isDrill(s) {
				return demo(cfg, sys, stdout, stderr)
			}
			return console(cfg, sys, stdout, stderr)
		},
	}
}

// joinJournal writes the incident's history into cfg.Journal (a new one
// if unset) and returns the incident as it stands.
func joinJournal(cfg *Config, sys sys, dsn, id string) (incident.Session, error) {
	ctx, cancel := context.WithTimeout(context.Background(), shareCallTimeout)
	defer cancel()
	events, skipped, err := share.History(ctx, dsn, id)
	if err != nil {
		return incident.Session{}, err
	}
	if len(events) == 0 {
		return incident.Session{}, configErrorf("incident %q has no event on the shared timeline at %s (%d unreadable): `warroom incidents --share …` lists the open ones",
			id, dsnWhere(dsn), skipped)
	}
	s := incident.Fold(events)
	if s.ID != id {
		return incident.Session{}, configErrorf("incident %q was declared again as %q: join that one", id, s.ID)
	}
	prefix := "incident"
	if isDrill(s) {
		prefix = "drill"
	}
	if cfg.Journal == "" {
		if cfg.Journal, err = newJournal(stateDir(), prefix, sys.now()); err != nil {
			return s, configErrorf("%v", err)
		}
	} else if err := journalPathOK(cfg.Journal); err != nil {
		return s, err
	}
	j, have, _, err := incident.Open(cfg.Journal)
	if err != nil {
		return s, configErrorf("%v", err)
	}
	defer j.Close()
	if hs := incident.Fold(have); len(have) > 0 && hs.ID != s.ID {
		return s, configErrorf("journal %s holds another incident, %q: leave out --journal to join %q in a new one", j.Path(), hs.Title, s.Title)
	}
	if _, err := j.AppendAll(events); err != nil {
		return s, err
	}
	// The journal's title is the incident's: not a new declaration.
	cfg.Title, cfg.titleFlag = s.Title, false
	return s, nil
}
