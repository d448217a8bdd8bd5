//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package backends

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// tryLock takes an exclusive flock(2) lock on f without waiting and reports
// whether it got it. flock locks belong to the open file: a second open of
// the same file conflicts even in the same process, and the lock goes away
// when the file is closed or the process dies.
func tryLock(f *os.File) (bool, error) {
	err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}
