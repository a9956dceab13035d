package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/incident/report"
)

// reportCmd is `warroom report JOURNAL [-o FILE]`: the incident report
// from a journal alone (one copied off another machine will do), the same
// bytes for the same journal. With -o the communication drafts are
// written beside it.
func reportCmd(f *flags, sys sys, stdout, stderr io.Writer) *cobra.Command {
	var out, tz string
	cmd := &cobra.Command{
		Use:   "report JOURNAL",
		Short: "Write the incident report (markdown) from a journal; with -o, the status-page and customer-email drafts beside it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.loadConfig(cmd.Flags())
			if err != nil {
				return err
			}
			o, err := cfg.ReportOptions()
			if err != nil {
				return err
			}
			if tz != "" {
				loc, err := time.LoadLocation(tz)
				if err != nil {
					return configErrorf("--tz: %v", err)
				}
				o.Location = loc
			}
			events, skipped, err := incident.ReadFile(args[0])
			if err != nil {
				return err
			}
			for _, s := range skipped {
				fmt.Fprintln(stderr, "warroom:", incident.Clean(fmt.Sprintf("journal %s line %d skipped: %v (the report says so)", args[0], s.Line, s.Err)))
			}
			if len(events) == 0 {
				return fmt.Errorf("%s holds no journal event (%d line(s) could not be read): not a warroom journal?", args[0], len(skipped))
			}
			o.Skipped, o.Cleaned = skipped, true // ReadFile cleaned them
			md, drafts := report.Export(events, o, sys.now())
			if out == "" || out == "-" {
				_, err := stdout.Write(md)
				return err
			}
			// Every file checked before any is written: no half-done -o.
			for _, p := range append([]string{out}, report.DraftPath(out, report.DraftStatusPage), report.DraftPath(out, report.DraftCustomerEmail)) {
				if err := notTheJournal(args[0], p); err != nil {
					return err
				}
			}
			if err := report.WriteFile(out, md); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "report:  %s\n", out)
			for _, d := range drafts {
				p := report.DraftPath(out, d.Name)
				if err := report.WriteFile(p, []byte(d.Text)); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "%s: %s\n", d.Name, p)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the report to FILE (and the drafts beside it) instead of stdout")
	cmd.Flags().StringVar(&tz, "tz", "", "time zone of the report's times (default UTC), e.g. Europe/Berlin")
	return cmd
}

// notTheJournal refuses to write the report over the journal it is
// read from (-o given the journal's own name).
func notTheJournal(journal, out string) error {
	j, err := os.Stat(journal)
	if err != nil {
		return nil
	}
	if o, err := os.Stat(out); err == nil && os.SameFile(j, o) {
		return fmt.Errorf("%s is the journal itself: name another file for the report", out)
	}
	return nil
}
