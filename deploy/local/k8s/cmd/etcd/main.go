// etcd (the full server CLI) from go.etcd.io/etcd/server/v3, built by scripts/k8s-bins.sh.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
