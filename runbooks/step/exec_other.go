//go:build !unix

package step

import (
	"context"
	"errors"
)

// runBash needs process groups: bash steps run on Linux and macOS only.
func runBash(ctx context.Context, b Backends, r Rendered, m *masker, progress func(string)) Result {
	return Result{Err: errors.New("bash steps run on Linux and macOS only"), Summary: "not run"}
}
