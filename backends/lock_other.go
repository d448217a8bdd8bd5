//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package backends

import (
	"fmt"
	"os"
	"runtime"
)

// tryLock fails: WriteDir only writes where it can lock the directory.
func tryLock(*os.File) (bool, error) {
	return false, fmt.Errorf("cannot lock output directories on %s", runtime.GOOS)
}
