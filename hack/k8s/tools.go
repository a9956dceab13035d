//go:build tools

// Package tools records the binaries this module builds, so that `go mod tidy`
// keeps their dependencies. It is never compiled (build tag "tools").
//
//	go build -trimpath -o BIN/kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
//	go build -trimpath -o BIN/etcd go.etcd.io/etcd/server/v3
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
