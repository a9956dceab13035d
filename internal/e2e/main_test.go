package e2e

import (
	"os"
	"testing"

	"github.com/warroom-dev/warroom/internal/screentest"
)

// TestMain removes the warroom binary the tests share (screentest.Build
// compiles it once per test process).
func TestMain(m *testing.M) {
	code := m.Run()
	screentest.RemoveBuild()
	os.Exit(code)
}
