// Command kube-apiserver is the upstream kube-apiserver of k8s.io/kubernetes,
// built from the module at the version in go.mod (realk8s.sh sets the
// version ldflags).
package main

import (
	"os"
	_ "time/tzdata" // as upstream: time zones for CronJob

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // JSON log format
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
