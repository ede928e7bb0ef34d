package english

import "testing"

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n    int
		noun string
		want string
	}{
		{0, "row", "0 rows"}, {1, "row", "1 row"}, {2, "batch", "2 batches"},
		{1, "batch", "1 batch"}, {3, "gap", "3 gaps"}, {2, "bus", "2 buses"},
		{5, "training window", "5 training windows"}, {0, "epoch", "0 epochs"},
		{2, "30m candle", "2 30m candles"}, {1, "exact duplicate", "1 exact duplicate"},
	} {
		if got := Count(c.n, c.noun); got != c.want {
			t.Errorf("Count(%d, %q) = %q, want %q", c.n, c.noun, got, c.want)
		}
	}
}

func TestAnd(t *testing.T) {
	for _, c := range []struct {
		words []string
		want  string
	}{
		{nil, ""}, {[]string{"a"}, "a"}, {[]string{"a", "b"}, "a and b"},
		{[]string{"a", "b", "c"}, "a, b and c"},
	} {
		if got := And(c.words); got != c.want {
			t.Errorf("And(%q) = %q, want %q", c.words, got, c.want)
		}
	}
}
