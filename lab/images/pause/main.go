// Command pause is the pod sandbox process of the lab cluster (image lab.local/pause:1).
//
// It runs as PID 1 of the pod's sandbox container and does nothing but wait:
// it reaps any zombie child that is re-parented to it (SIGCHLD) and exits 0
// on SIGINT or SIGTERM. It has no dependencies and is built static
// (CGO_ENABLED=0) so that the image holds this one file and nothing else.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const version = "lab.local/pause 1"

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "-v", "--version", "-version":
			fmt.Println(version)
			return
		default:
			fmt.Fprintf(os.Stderr, "usage: %s [-v]\n", os.Args[0])
			os.Exit(2)
		}
	}
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "pause: warning: not running as PID 1")
	}

	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)

	// Children may have been re-parented before the handler was installed.
	reap()
	for sig := range sigs {
		switch sig {
		case syscall.SIGCHLD:
			reap()
		case syscall.SIGINT, syscall.SIGTERM:
			fmt.Fprintf(os.Stderr, "pause: shutting down, got signal %v\n", sig)
			os.Exit(0)
		}
	}
}

// reap collects every child that has exited. Signals coalesce, so one SIGCHLD
// can stand for several children: loop until none is left to wait for.
func reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
	}
}
