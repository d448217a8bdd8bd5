// Command etcd is the upstream etcd server (go.etcd.io/etcd/server/v3), so
// that the test API server needs no system package.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
