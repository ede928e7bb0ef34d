package train

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LogBest returns the epoch (counted from 1) with the lowest val_loss in the model's
// log, <outDir>/<model>-log.csv, over every epoch it records, those of earlier runs a
// resumed one continued included; among equal losses, the earliest, as BestCheckpoint.
// It is the best a user compares, where a History holds only the epochs of one call
// to Fit. A log that is not this program's, or holds no epoch, is an error.
func LogBest(outDir, model string) (epoch int, valLoss float64, err error) {
	path := filepath.Join(outDir, model+"-log.csv")
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	text := string(b)
	if !strings.HasPrefix(text, logHeader) {
		return 0, 0, fmt.Errorf("%s: does not start with %q; it is not this program's log",
			path, strings.TrimSpace(logHeader))
	}
	lines := strings.SplitAfter(text[len(logHeader):], "\n")
	for i, r := range lines {
		if r == "" {
			continue
		}
		if err := checkLogRow(r, i); err != nil {
			return 0, 0, fmt.Errorf("%s: line %d is %q: %v", path, i+2,
				strings.TrimSpace(r), err)
		}
		v, _ := strconv.ParseFloat(strings.Split(strings.TrimSpace(r), ",")[2], 64)
		if epoch == 0 || v < valLoss {
			epoch, valLoss = i+1, v
		}
	}
	if epoch == 0 {
		return 0, 0, fmt.Errorf("%s: no epoch logged", path)
	}
	return epoch, valLoss, nil
}
