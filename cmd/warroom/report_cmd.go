package main

import (
	"errors"
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
			o.Skipped = skipped
			md := report.Markdown(events, o)
			if out == "" || out == "-" {
				_, err := stdout.Write(md)
				return err
			}
			if err := writeFile(out, md); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "report:  %s\n", out)
			for _, d := range report.Drafts(events, o, sys.now()) {
				p := report.DraftPath(out, d.Name)
				if err := writeFile(p, []byte(d.Text)); err != nil {
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

// writeFile writes data to path, refusing to write through anything but a
// regular file (a report named after a device or a FIFO is a mistake).
func writeFile(path string, data []byte) error {
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is %s, not a regular file", path, incident.FileKind(fi.Mode()))
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
