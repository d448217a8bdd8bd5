//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestInputTooLargeFIFO: an endless FIFO fails like /dev/zero.
func TestInputTooLargeFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "endless.netpol")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFO:", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0) // waits for netpolc to open it
		if err != nil {
			return
		}
		defer w.Close()
		buf := make([]byte, 1<<16)
		for {
			if _, err := w.Write(buf); err != nil {
				return // netpolc closed it
			}
		}
	}()
	r := runApp(t, "", "check", fifo)
	<-done
	if r.code != exitUsage || !strings.HasPrefix(r.stderr, "netpolc: "+fifo+": larger than 16 MiB") {
		t.Errorf("%v", r)
	}
}
