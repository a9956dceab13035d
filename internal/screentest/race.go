//go:build race

package screentest

// raceEnabled: the tests run under -race, so the program is built with it too.
const raceEnabled = true
