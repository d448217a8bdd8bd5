//go:build unix

package main

import (
	"errors"
	"io/fs"
	"syscall"
)

// ownership is what rewriteFile keeps of a file besides its mode.
type ownership struct {
	uid, gid int
	links    uint64 // hard links (names) of the file
}

// fileOwner returns the owner, group and link count of info.
func fileOwner(info fs.FileInfo) (ownership, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return ownership{links: 1}, false
	}
	return ownership{uid: int(st.Uid), gid: int(st.Gid), links: uint64(st.Nlink)}, true
}

func isReadOnlyFS(err error) bool { return errors.Is(err, syscall.EROFS) }
