// Package tools is the separate Go module that builds kube-apiserver and
// etcd for hack/backends.sh (see tools.go and docs/backends.md). This file
// has no build tag, so `go vet ./...` here has a package to check; tools.go
// records the built commands under the "tools" build tag.
package tools
