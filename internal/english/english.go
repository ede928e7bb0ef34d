// Package english writes the counts and lists in seqnn's messages: "1 row", "2 rows",
// "0 batches", "a, b and c".
package english

import (
	"strconv"
	"strings"
)

// Count is n and the noun, in the plural unless n is 1: an -es ending after s, x, z, ch
// and sh ("2 batches"), -s otherwise ("0 rows") and after a hard ch ("2 epochs"). Nouns
// with other plurals are not used. For a phrase, the last word takes the ending:
// Count(3, "training window").
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + plural(noun)
}

// plural is the noun's plural by the rule of Count.
func plural(noun string) string {
	if len(noun) >= 5 && noun[len(noun)-5:] == "epoch" { // the one hard ch in use
		return noun + "s"
	}
	for _, end := range []string{"s", "x", "z", "ch", "sh"} {
		if len(noun) >= len(end) && noun[len(noun)-len(end):] == end {
			return noun + "es"
		}
	}
	return noun + "s"
}

// And lists words as prose: "a", "a and b", "a, b and c"; no words are "".
func And(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
