package cli

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// defaultMaxHistory is --max-history when it is not given.
const defaultMaxHistory = "1GiB"

// minMaxHistory is the smallest --max-history accepted: below it the WAL
// and the journal alone would take most of it.
const minMaxHistory = 4_000_000

// sizeUnits are the units --max-history accepts, longest first so "MiB"
// is not read as "B".
var sizeUnits = []struct {
	suffix string
	bytes  float64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"k", 1e3}, {"m", 1e6}, {"g", 1e9}, {"t", 1e12},
	{"b", 1},
}

// parseSize reads a size such as 500MB, 1GiB, 1.5G or 1048576 (bytes).
// MB, GB and the like are powers of 1000, MiB and GiB powers of 1024.
// 0 means no limit.
func parseSize(flag, v string) (int64, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	mult := 1.0
	for _, u := range sizeUnits {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(rest), u.bytes
			break
		}
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < 0 || math.IsInf(n, 0) || math.IsNaN(n) || n*mult > math.MaxInt64 {
		return 0, usagef("hooklab dev: %s %q: write a size such as 500MB or 1GiB (0: no limit)", flag, v)
	}
	b := int64(n * mult)
	if b > 0 && b < minMaxHistory {
		return 0, usagef("hooklab dev: %s %q is too small to keep a useful history: give at least 4MB (0: no limit)", flag, v)
	}
	return b, nil
}

// parseAge reads a duration such as 90m, 12h or 7d (days); 0 or "off"
// means no limit.
func parseAge(flag, v string) (time.Duration, error) {
	s := strings.TrimSpace(v)
	if s == "" || s == "0" || strings.EqualFold(s, "off") {
		return 0, nil
	}
	bad := usagef("hooklab dev: %s %q: write a duration such as 90m, 12h or 7d (0: keep everything)", flag, v)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || n <= 0 || n > 100000 {
			return 0, bad
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, bad
	}
	if d > 0 && d < time.Minute {
		return 0, usagef("hooklab dev: %s %q is too short: runs would be pruned while you look at them; give at least 1m", flag, v)
	}
	return d, nil
}
