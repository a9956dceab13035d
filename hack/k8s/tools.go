//go:build tools

// Package tools records the binaries this module builds, so that `go mod tidy`
// keeps their dependencies. It is never compiled (build tag "tools").
//
//	go build -trimpath -o BIN/kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
//	go build -trimpath -o BIN/kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager
//	go build -trimpath -o BIN/kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler
//	go build -trimpath -o BIN/etcd go.etcd.io/etcd/server/v3
//
// kwok is not here: it has its own k8s.io dependency versions, so
// hack/backends.sh builds it with `go install sigs.k8s.io/kwok/cmd/kwok@VERSION`
// (its own module resolution) into the same cache folder.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
