// CoreDNS for the lab's cluster DNS: upstream's main (coredns.go) with only the plugins that
// lab/node/Corefile uses, so no plugin that could reach off this machine is built in.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/ready"
)

// The order in which the plugins see a query: upstream's (core/dnsserver/zdirectives.go).
func init() {
	dnsserver.Directives = []string{"bind", "ready", "errors", "kubernetes"}
}

func main() { coremain.Run() }
