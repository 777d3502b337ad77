package bench

import (
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

// row is one line of the results table.
type row struct {
	measure string // what was measured
	via     string // "engine" (internal/shift + internal/awsapi against moto) or "terraform"
	result  string
	target  string
	met     *bool // nil: no target (context only)
}

// report collects the table and the details sections behind it, in the order measured.
type report struct {
	mu      sync.Mutex
	rows    []row
	details []string
}

var results report

func (r *report) add(rw row) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rows = append(r.rows, rw)
}

func (r *report) detail(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.details = append(r.details, fmt.Sprintf(format, args...))
}

func verdict(ok bool) *bool { return &ok }

func (r *report) markdown() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	b.WriteString("| measure | via | result | target | met |\n| --- | --- | --- | --- | --- |\n")
	for _, rw := range r.rows {
		met := "–"
		if rw.met != nil {
			met = "yes"
			if !*rw.met {
				met = "**no**"
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", rw.measure, rw.via, rw.result, rw.target, met)
	}
	if len(r.details) > 0 {
		b.WriteString("\n## Details\n\n")
		b.WriteString(strings.Join(r.details, "\n\n"))
		b.WriteString("\n")
	}
	return b.String()
}

func (r *report) write() error {
	out := os.Getenv(envOut)
	if out == "" {
		fmt.Print(r.markdown())
		return nil
	}
	return os.WriteFile(out, []byte(r.markdown()), 0o644)
}

// median of a sample (the mean of the middle two for an even count).
func median(d []time.Duration) time.Duration {
	s := sorted(d)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// percentile is the nearest-rank percentile: the smallest value with at least p% of the
// sample at or below it.
func percentile(d []time.Duration, p float64) time.Duration {
	s := sorted(d)
	if len(s) == 0 {
		return 0
	}
	k := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(k, len(s)-1))]
}

func sorted(d []time.Duration) []time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s
}

// ms formats a duration in milliseconds, one decimal under 10 ms.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	if v < 10 {
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.0f ms", v)
}

// secs formats a duration in seconds with two decimals.
func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// callList prints call counts sorted by operation: "Lambda.GetAlias 3, Lambda.UpdateAlias 1".
func callList(calls map[string]int) string {
	keys := make([]string, 0, len(calls))
	for k, n := range calls {
		if n > 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, calls[k])
	}
	return strings.Join(parts, ", ")
}

// lambdaControlPlane sums the Lambda calls that are not Invoke (hooks are data plane).
func lambdaControlPlane(calls map[string]int) int {
	n := 0
	for k, v := range calls {
		if strings.HasPrefix(k, "Lambda.") && k != "Lambda.Invoke" {
			n += v
		}
	}
	return n
}
