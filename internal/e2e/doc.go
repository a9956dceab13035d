// Package e2e holds the end-to-end tests: the real warroom binary run in a
// pseudo-terminal (internal/screentest), fed hostile input and faults, its
// output judged by the screen oracle. It has no code of its own.
package e2e
