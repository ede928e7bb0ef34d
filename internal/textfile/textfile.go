// Package textfile readies the bytes of a text file to be read line by line: UTF-16 is
// refused, a UTF-8 byte-order mark dropped, and every line end made "\n", so that line
// numbers count the lines an editor shows. The two steps are apart because a reader
// may look at the content between them (train's windows refuse binary content, naming
// its line, before line ends change).
package textfile

import (
	"bytes"
	"errors"
)

// ErrUTF16 is UTF8's error for content that starts with a UTF-16 byte-order mark.
// Callers put the file's name in front.
var ErrUTF16 = errors.New("the file is UTF-16: save it as UTF-8")

// UTF8 returns b without a leading UTF-8 byte-order mark, or ErrUTF16 when b starts with
// a UTF-16 one, in either byte order.
func UTF8(b []byte) ([]byte, error) {
	if bytes.HasPrefix(b, []byte{0xFF, 0xFE}) || bytes.HasPrefix(b, []byte{0xFE, 0xFF}) {
		return nil, ErrUTF16
	}
	return bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF")), nil
}

// LineEnds returns b with every line end made "\n": CRLF (Windows) and a lone CR (old
// Mac OS) alike. b itself is returned when it holds no CR.
func LineEnds(b []byte) []byte {
	if bytes.IndexByte(b, '\r') < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] != '\r':
			out = append(out, b[i])
		case i+1 < len(b) && b[i+1] == '\n':
			// The '\n' that follows ends the line.
		default:
			out = append(out, '\n')
		}
	}
	return out
}
