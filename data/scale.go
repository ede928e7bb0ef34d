package data

import (
	"fmt"
	"math"
)

// MinMax scales values linearly into [0, 1], the form of scikit-learn's MinMaxScaler with
// its default feature_range (0, 1) that the tutorial uses:
//
//	scaled = (v - Min) / (Max - Min)
//	v      = scaled*(Max - Min) + Min
//
// Fit it on the training closes only (train.X and train.Y) so that nothing from the
// validation period leaks into training; validation values may then fall outside [0, 1].
//
// Min must lie below Max, with a finite Max - Min, as FitMinMax ensures. The zero value
// does not: it has no range to scale by, and Scale and Unscale panic on it (and on any
// MinMax without such a range) rather than return ±Inf, NaN or Min for every value.
type MinMax struct {
	Min, Max float64
}

// FitMinMax returns the range of values. It fails when values is empty, holds a NaN or an
// infinity, is constant (Max == Min leaves nothing to scale by), or spans a range whose
// square is not a normal float64: errors in value units are of the order of Max - Min, so
// a wider range makes their squares +Inf, and a narrower one makes them 0 or subnormal.
// Prices the reader accepts (see MinPrice and MaxPrice) always pass.
func FitMinMax(values []float64) (MinMax, error) {
	if len(values) == 0 {
		return MinMax{}, fmt.Errorf("min-max scaling: no values to fit: pass at least two " +
			"different values")
	}
	m := MinMax{Min: values[0], Max: values[0]}
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return MinMax{}, fmt.Errorf("min-max scaling: value %d is %v: remove non-finite "+
				"values before fitting", i, v)
		}
		m.Min = math.Min(m.Min, v)
		m.Max = math.Max(m.Max, v)
	}
	if m.Max == m.Min {
		all := fmt.Sprintf("all %d values are", len(values))
		if len(values) == 1 {
			all = "the only value is"
		}
		return MinMax{}, fmt.Errorf("min-max scaling: %s %v, so there is no range to scale "+
			"by: use a series whose prices move", all, m.Min)
	}
	d := m.Max - m.Min
	if sq := d * d; math.IsInf(sq, 0) {
		return MinMax{}, fmt.Errorf("min-max scaling: range %v to %v overflows float64 when "+
			"squared, so errors in price units would be +Inf: check the prices, or rescale "+
			"them first", m.Min, m.Max)
	} else if sq < minNormal {
		return MinMax{}, fmt.Errorf("min-max scaling: range %v to %v is too narrow: its "+
			"square %v is not a normal float64, so errors in price units would vanish: "+
			"check the prices, or rescale them first", m.Min, m.Max, sq)
	}
	return m, nil
}

// minNormal is the smallest positive normal float64, 2^-1022.
const minNormal = 0x1p-1022

// Scale returns (v - Min) / (Max - Min). It panics when m has no range (see MinMax).
func (m MinMax) Scale(v float64) float64 {
	m.mustRange("Scale")
	return (v - m.Min) / (m.Max - m.Min)
}

// Unscale returns v*(Max - Min) + Min, the inverse of Scale. It panics when m has no
// range (see MinMax).
func (m MinMax) Unscale(v float64) float64 {
	m.mustRange("Unscale")
	return v*(m.Max-m.Min) + m.Min
}

// mustRange panics, naming the method op, unless Min < Max and Max - Min is finite.
func (m MinMax) mustRange(op string) {
	if !(m.Max > m.Min) || math.IsInf(m.Max-m.Min, 0) {
		panic(fmt.Sprintf("data: MinMax.%s: range [%v, %v] has no finite width to scale "+
			"by (a zero MinMax?): make the scaler with FitMinMax", op, m.Min, m.Max))
	}
}

// ScaleTo writes Scale(src[i]) into dst[i]. dst and src may be the same slice; it panics
// when their lengths differ, or when m has no range.
func (m MinMax) ScaleTo(dst, src []float64) {
	if len(dst) != len(src) {
		panic("data: ScaleTo: dst and src lengths differ")
	}
	for i, v := range src {
		dst[i] = m.Scale(v)
	}
}

// UnscaleTo writes Unscale(src[i]) into dst[i]. dst and src may be the same slice; it
// panics when their lengths differ, or when m has no range.
func (m MinMax) UnscaleTo(dst, src []float64) {
	if len(dst) != len(src) {
		panic("data: UnscaleTo: dst and src lengths differ")
	}
	for i, v := range src {
		dst[i] = m.Unscale(v)
	}
}
