// The etcd binary of the lab. Upstream builds etcd from the server module's main package,
// which does nothing but hand the process's arguments to etcdmain; so does this one, so that
// flags, environment (ETCD_*), --version and exit codes are upstream's.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
