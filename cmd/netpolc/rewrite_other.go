//go:build !unix

package main

import "io/fs"

// ownership is what rewriteFile keeps of a file besides its mode. Systems
// other than Unix report neither owners nor link counts through os.Stat:
// files are taken to have one name.
type ownership struct {
	uid, gid int
	links    uint64
}

func fileOwner(fs.FileInfo) (ownership, bool) { return ownership{links: 1}, false }

func isReadOnlyFS(error) bool { return false }
