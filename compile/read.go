package compile

import (
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

// ErrSourceTooLarge is wrapped by the error Load returns for a source larger
// than MaxSourceSize.
var ErrSourceTooLarge = fmt.Errorf("larger than %d MiB, the most netpolc reads from one file", MaxSourceSize>>20)

// ReadFile reads the file called name, at most MaxSourceSize bytes: a
// source, or another input of a run (a world file). Its errors name the file.
func ReadFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, pathError(name, err)
	}
	defer f.Close()
	content, err := readLimited(f)
	if err != nil {
		return nil, pathError(name, err)
	}
	return content, nil
}

// readLimited reads r to its end, or fails with ErrSourceTooLarge as soon
// as it has read more than MaxSourceSize bytes (so that an endless input
// fails at once).
func readLimited(r io.Reader) ([]byte, error) {
	content, err := io.ReadAll(io.LimitReader(r, MaxSourceSize+1))
	switch {
	case err != nil:
		return nil, err
	case len(content) > MaxSourceSize:
		return nil, ErrSourceTooLarge
	}
	return content, nil
}
