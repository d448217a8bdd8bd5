package compile

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// MaxSourceSize is the most bytes netpolc reads from one source file (or
// from standard input): 16 MiB. Real policy is far smaller (a program of
// 100,000 groups and 100,000 rules is about 5 MB); the limit keeps a file
// named by mistake, such as /dev/zero, a FIFO or a large log, from taking
// all memory.
const MaxSourceSize = 16 << 20

// MaxManifestSize is the most bytes netpolc reads from one Kubernetes
// manifest file (YAML or JSON: a world, or policies to import), or from
// standard input holding one: 64 MiB. `kubectl get -A -o yaml` of a
// cluster is larger than a source (about 4.3 KB per pod with its
// Deployment and ReplicaSet: 43 MB for 10,000 pods); reading takes about
// ten times the file in memory, so the limit still keeps a mistaken or
// hostile input well within a machine's memory.
const MaxManifestSize = 64 << 20

// ErrSourceTooLarge is wrapped by the error Load returns for a source larger
// than MaxSourceSize.
var ErrSourceTooLarge = fmt.Errorf("larger than %d MiB, the most netpolc reads from one file", MaxSourceSize>>20)

// ErrManifestTooLarge is wrapped by the error LoadManifests returns for a
// manifest larger than MaxManifestSize.
var ErrManifestTooLarge = fmt.Errorf("larger than %d MiB, the most netpolc reads from one manifest", MaxManifestSize>>20)

// ReadFile reads the file called name, at most MaxSourceSize bytes: a
// source, or another input of a run (a world file). Its errors name the file.
func ReadFile(name string) ([]byte, error) { return readFile(name, MaxSourceSize) }

// readFile reads the file called name, at most limit bytes (MaxSourceSize
// or MaxManifestSize).
func readFile(name string, limit int) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, pathError(name, err)
	}
	defer f.Close()
	hint := 0
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		hint = int(min(st.Size(), int64(limit)))
	}
	content, err := readLimited(f, limit, hint)
	if err != nil {
		return nil, pathError(name, err)
	}
	return content, nil
}

// readLimited reads r to its end, or fails with ErrSourceTooLarge (limit
// MaxSourceSize) or ErrManifestTooLarge as soon as it has read more than
// limit bytes (so that an endless input fails at once). sizeHint is how
// many bytes r probably holds (a file's size; 0 if not known): the buffer
// starts that large, so that a big file is read without growing it and
// copying what was read again and again.
func readLimited(r io.Reader, limit, sizeHint int) ([]byte, error) {
	b := bytes.NewBuffer(make([]byte, 0, sizeHint+bytes.MinRead))
	_, err := b.ReadFrom(io.LimitReader(r, int64(limit)+1))
	content := b.Bytes()
	switch {
	case err != nil:
		return nil, err
	case len(content) > limit && limit == MaxManifestSize:
		return nil, ErrManifestTooLarge
	case len(content) > limit:
		return nil, ErrSourceTooLarge
	}
	return content, nil
}
