package textfile

import (
	"errors"
	"testing"
)

// TestUTF8: UTF-16 is refused in either byte order; a UTF-8 byte-order mark is dropped,
// and only at the start.
func TestUTF8(t *testing.T) {
	for _, in := range []string{"\xFF\xFEa\x00", "\xFE\xFF\x00a"} {
		if _, err := UTF8([]byte(in)); !errors.Is(err, ErrUTF16) {
			t.Errorf("UTF8(%q): %v, want ErrUTF16", in, err)
		}
	}
	for in, want := range map[string]string{
		"":                     "",
		"a,b\n":                "a,b\n",
		"\xEF\xBB\xBFa,b\n":    "a,b\n",
		"a\xEF\xBB\xBF,b\n":    "a\xEF\xBB\xBF,b\n",
		"\xEF\xBB\xBF\xEF\xBB": "\xEF\xBB",
	} {
		got, err := UTF8([]byte(in))
		if err != nil || string(got) != want {
			t.Errorf("UTF8(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// TestLineEnds: CRLF and a lone CR each end one line, as LF does, wherever they stand.
func TestLineEnds(t *testing.T) {
	for in, want := range map[string]string{
		"":             "",
		"a\nb":         "a\nb",
		"a\r\nb\r\n":   "a\nb\n",
		"a\rb\r":       "a\nb\n",
		"a\r\r\nb\n\r": "a\n\nb\n\n",
		"\r":           "\n",
	} {
		got := string(LineEnds([]byte(in)))
		if got != want {
			t.Errorf("LineEnds(%q) = %q, want %q", in, got, want)
		}
	}
}
