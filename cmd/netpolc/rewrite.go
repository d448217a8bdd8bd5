package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/netpolc/netpolc/lang/diag"
)

// rewriteFile replaces the content of the file at path with content, as
// fmt -w does, keeping the file what it was:
//
//   - a symbolic link is followed (to the end of a chain): the file it
//     points to is rewritten and the link stays a link. A link to a
//     missing file is an error;
//   - the mode (permissions, setuid, setgid and sticky bits) is kept, and
//     so are the owner and group;
//   - a file with one name is replaced atomically: the new content goes to
//     a temporary file in the same directory, synced to disk, then renamed
//     over the old one, so the file is never seen half-written, even after
//     a crash;
//   - a file with several names (hard links) is written in place, so that
//     every name still shows the same file; the same goes for a file whose
//     owner or group the temporary file cannot take on, or whose directory
//     is not writable. An in-place write is not atomic: a crash in the
//     middle can leave the file truncated.
//
// Extended attributes and ACLs survive the in-place write only.
func rewriteFile(path string, content []byte) error {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if li, lerr := os.Lstat(path); lerr == nil && li.Mode()&fs.ModeSymlink != 0 {
				return fmt.Errorf("%s: broken symbolic link (its target does not exist)", diag.FileName(path))
			}
		}
		return fmt.Errorf("%s: %w", diag.FileName(path), unwrapPathError(err))
	}
	info, err := os.Stat(target)
	if err != nil {
		return fmt.Errorf("%s: %w", diag.FileName(path), unwrapPathError(err))
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", diag.FileName(path))
	}
	owner, haveOwner := fileOwner(info)
	if owner.links > 1 {
		return wrapWriteError(path, writeInPlace(target, content))
	}
	done, err := replaceFile(target, content, info.Mode(), owner, haveOwner)
	if err != nil {
		return wrapWriteError(path, err)
	}
	if !done {
		return wrapWriteError(path, writeInPlace(target, content))
	}
	return nil
}

// fileMode is the part of a mode that Chmod sets.
func fileMode(m fs.FileMode) fs.FileMode {
	return m & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
}

// replaceFile writes content to a temporary file next to target with
// target's mode and owner, syncs it and renames it over target. It returns
// false (and no error, having left target alone) when it cannot create the
// temporary file for lack of permission, or cannot give it target's owner
// or group: the caller then writes in place.
func replaceFile(target string, content []byte, mode fs.FileMode, owner ownership, haveOwner bool) (done bool, err error) {
	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".netpolc-*")
	if err != nil {
		if errors.Is(err, fs.ErrPermission) || isReadOnlyFS(err) {
			return false, nil
		}
		return false, err
	}
	keep := false
	defer func() {
		if !keep {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if haveOwner {
		tmpInfo, err := tmp.Stat()
		if err != nil {
			return false, err
		}
		if got, ok := fileOwner(tmpInfo); !ok || got.uid != owner.uid || got.gid != owner.gid {
			if err := tmp.Chown(owner.uid, owner.gid); err != nil {
				return false, nil
			}
		}
	}
	// Chmod after Chown: changing the owner clears the setuid and setgid
	// bits.
	if err := tmp.Chmod(fileMode(mode)); err != nil {
		return false, err
	}
	if _, err := tmp.Write(content); err != nil {
		return false, err
	}
	if err := tmp.Sync(); err != nil {
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return false, err
	}
	keep = true
	syncDir(dir)
	return true, nil
}

// writeInPlace overwrites the file at target with content and truncates it
// to its length: the file keeps its inode, and with it every hard link, its
// owner, mode and attributes.
func writeInPlace(target string, content []byte) error {
	f, err := os.OpenFile(target, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(content, 0); err != nil {
		f.Close()
		return err
	}
	if err := f.Truncate(int64(len(content))); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes a rename in dir durable, where the system allows it (not
// every system can sync a directory; the rename has happened either way).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

func wrapWriteError(path string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("writing %s: %w", diag.FileName(path), unwrapPathError(err))
}

// unwrapPathError drops the operation and path of an *fs.PathError (they
// name the temporary file or the link's target, not what the user named).
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
