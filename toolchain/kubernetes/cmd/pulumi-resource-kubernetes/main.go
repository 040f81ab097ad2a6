// Command pulumi-resource-kubernetes serves the Kubernetes provider of
// github.com/pulumi/pulumi-kubernetes/provider/v4, as that module's own
// cmd/pulumi-resource-kubernetes does. That package cannot be built from the
// module proxy: it embeds schema-embed.json and terraform-mapping-embed.json,
// which upstream's Makefile generates (go generate, VERSION=<release>) and which
// are not in the module zip, and `go build -overlay` may not add files under
// GOMODCACHE. toolchain/toolchain.sh generates both files with upstream's own
// generate.go into .lab/build and adds them to this directory with -overlay;
// they are never written here.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var schema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, schema, terraformMapping)
}
