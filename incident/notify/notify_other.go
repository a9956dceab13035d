//go:build !unix

package notify

import "os/exec"

// ownGroup leaves cmd as it is: without process groups, ending the
// context kills the command only (exec's default), not its children.
func ownGroup(*exec.Cmd) {}

// killGroup does nothing without process groups.
func killGroup(int) error { return nil }
