// Package par runs the iterations of a loop on several goroutines.
package par

import (
	"sync"
	"sync/atomic"
)

// For calls f(0), ..., f(n-1) on workers goroutines, each taking the next
// index nobody has taken yet, and returns when every call has returned.
// With workers below 2 it calls them in order on the calling goroutine.
func For(workers, n int, f func(i int)) {
	ForEach(workers, n, func() func(int) { return f })
}

// ForEach is For with per-goroutine state: each goroutine calls start once
// and then the function it returns for the indices it takes.
func ForEach(workers, n int, start func() func(i int)) {
	if workers < 2 {
		f := start()
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := start()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		}()
	}
	wg.Wait()
}
