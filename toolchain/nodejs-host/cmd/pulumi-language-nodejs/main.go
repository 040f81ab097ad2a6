// Command pulumi-language-nodejs starts the Node.js language host built from
// github.com/pulumi/pulumi/sdk/v3 v3.68.0 (pulumi-language-nodejs-host, next to
// this binary) with the project's runtime options as flags.
//
// That host predates the CLI handing Pulumi.yaml's `runtime.options` to language
// hosts over gRPC: it reads them only from its command line, which the CLI
// (v3.248.0) no longer fills. Without this, `typescript: false`, `nodeargs` and
// `tsconfig` would be ignored silently (the host would always set
// PULUMI_NODEJS_TYPESCRIPT=true and type-check through ts-node). The CLI starts
// the host in the project's directory, so the project file is found from there.
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"gopkg.in/yaml.v3"
)

const hostName = "pulumi-language-nodejs-host"

type project struct {
	Runtime yaml.Node `yaml:"runtime"`
}

type runtime struct {
	Options map[string]any `yaml:"options"`
}

// projectFile finds Pulumi.yaml (or .yml) in dir or the nearest directory above it.
func projectFile(dir string) (string, error) {
	for {
		for _, name := range []string{"Pulumi.yaml", "Pulumi.yml"} {
			p := filepath.Join(dir, name)
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no Pulumi.yaml")
		}
		dir = parent
	}
}

// flags turns the runtime options the old host knows into its flags.
func flags(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p project
	if err := yaml.Unmarshal(data, &p); err != nil {
		return nil, err
	}
	if p.Runtime.Kind != yaml.MappingNode { // `runtime: nodejs`: no options
		return nil, nil
	}
	var rt runtime
	if err := p.Runtime.Decode(&rt); err != nil {
		return nil, err
	}
	var out []string
	if v, ok := rt.Options["typescript"]; ok {
		b, ok := v.(bool)
		if !ok {
			s := fmt.Sprint(v)
			if b, err = strconv.ParseBool(s); err != nil {
				return nil, fmt.Errorf("runtime.options.typescript: %q is not a boolean", s)
			}
		}
		out = append(out, "-typescript="+strconv.FormatBool(b))
	}
	for _, name := range []string{"nodeargs", "tsconfig"} {
		if v, ok := rt.Options[name]; ok && v != nil {
			out = append(out, "-"+name+"="+fmt.Sprint(v))
		}
	}
	return out, nil
}

func main() {
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
	host := filepath.Join(filepath.Dir(exe), hostName)

	args := []string{host}
	if wd, err := os.Getwd(); err == nil {
		if path, err := projectFile(wd); err == nil {
			f, err := flags(path)
			if err != nil {
				fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %s: %v\n", path, err)
				os.Exit(1)
			}
			args = append(args, f...)
		}
	}
	args = append(args, os.Args[1:]...)
	err = syscall.Exec(host, args, os.Environ())
	fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: starting %s: %v\n", host, err)
	os.Exit(1)
}
