package par

import (
	"sync/atomic"
	"testing"
)

// Every index is visited exactly once, whatever the number of workers.
func TestForVisitsEachIndexOnce(t *testing.T) {
	for _, workers := range []int{0, 1, 2, 3, 8} {
		for _, n := range []int{0, 1, 5, 100} {
			counts := make([]atomic.Int32, n)
			For(workers, n, func(i int) { counts[i].Add(1) })
			for i := range counts {
				if c := counts[i].Load(); c != 1 {
					t.Fatalf("workers %d, n %d: index %d visited %d times", workers, n, i, c)
				}
			}
		}
	}
}

// ForEach calls start once per goroutine: one in order with one worker, at
// most workers otherwise.
func TestForEachStartsPerGoroutine(t *testing.T) {
	for _, workers := range []int{1, 4} {
		var starts atomic.Int32
		var sum atomic.Int64
		ForEach(workers, 50, func() func(int) {
			starts.Add(1)
			return func(i int) { sum.Add(int64(i)) }
		})
		if s := starts.Load(); s < 1 || int(s) > max(workers, 1) {
			t.Errorf("workers %d: %d starts", workers, s)
		}
		if got := sum.Load(); got != 49*50/2 {
			t.Errorf("workers %d: sum %d, want %d", workers, got, 49*50/2)
		}
	}
}
