//go:build !unix

package main

import "testing"

func makeFIFO(t *testing.T, name string) (string, bool) { return "", false }
