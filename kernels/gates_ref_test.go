package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The gate kernels as they were before their activations were applied a run at a time
// (actSlice, mulDeriv): one Apply or Deriv per element. The tests below demand the same
// bits from the kernels for every recurrent activation and activation pair.

func refLSTMGatesForward[T Float](gates, c, actC, h []T, cPrev, bias []T, B, H int,
	ra, act Activation) {
	bi, bf, bc, bo := bias[:H], bias[H:2*H], bias[2*H:3*H], bias[3*H:4*H]

	for b := range B {
		g := gates[b*4*H : (b+1)*4*H]
		gi, gf, gc, gO := g[:H], g[H:2*H], g[2*H:3*H], g[3*H:4*H]
		cb, ab, hb, cp := c[b*H:(b+1)*H], actC[b*H:(b+1)*H], h[b*H:(b+1)*H], cPrev[b*H:(b+1)*H]
		for j := range H {
			i := Apply(ra, gi[j]+bi[j], 0)
			f := Apply(ra, gf[j]+bf[j], 0)
			cc := Apply(act, gc[j]+bc[j], 0)
			o := Apply(ra, gO[j]+bo[j], 0)
			gi[j], gf[j], gc[j], gO[j] = i, f, cc, o

			ct := f*cp[j] + i*cc
			a := Apply(act, ct, 0)
			cb[j], ab[j], hb[j] = ct, a, o*a
		}
	}
}

func refLSTMGatesBackward[T Float](dgates, dc []T, dh, gates, cPrev, actC []T, B, H int,
	ra, act Activation) {

	for b := range B {
		g := gates[b*4*H : (b+1)*4*H]
		gi, gf, gc, gO := g[:H], g[H:2*H], g[2*H:3*H], g[3*H:4*H]
		d := dgates[b*4*H : (b+1)*4*H]
		di, df, dcc, dO := d[:H], d[H:2*H], d[2*H:3*H], d[3*H:4*H]
		dcb, dhb := dc[b*H:(b+1)*H], dh[b*H:(b+1)*H]
		cp, ab := cPrev[b*H:(b+1)*H], actC[b*H:(b+1)*H]
		for j := range H {
			i, f, cc, o, a := gi[j], gf[j], gc[j], gO[j], ab[j]
			e := flushTiny(dhb[j]) // see flushTiny
			dct := flushTiny(dcb[j] + e*o*Deriv(act, a, 0))
			dO[j] = e * a * Deriv(ra, o, 0)
			di[j] = dct * cc * Deriv(ra, i, 0)
			df[j] = dct * cp[j] * Deriv(ra, f, 0)
			dcc[j] = dct * i * Deriv(act, cc, 0)
			dcb[j] = dct * f
		}
	}
}

func refGRUForwardZR[T Float](gates, rh []T, hPrev, bias []T, B, H int, ra Activation) {
	bz, br := bias[:H], bias[H:2*H]

	for b := range B {
		gz, gr := gates[b*3*H:b*3*H+H], gates[b*3*H+H:b*3*H+2*H]
		rhb, hp := rh[b*H:(b+1)*H], hPrev[b*H:(b+1)*H]
		for j := range H {
			gz[j] = Apply(ra, gz[j]+bz[j], 0)
			gr[j] = Apply(ra, gr[j]+br[j], 0)
			rhb[j] = gr[j] * hp[j]
		}
	}
}

func refGRUForwardH[T Float](gates, h []T, hPrev, bias []T, B, H int, act Activation) {
	bh := bias[2*H : 3*H]

	for b := range B {
		gz, gh := gates[b*3*H:b*3*H+H], gates[b*3*H+2*H:b*3*H+3*H]
		hb, hp := h[b*H:(b+1)*H], hPrev[b*H:(b+1)*H]
		for j := range H {
			hh := Apply(act, gh[j]+bh[j], 0)
			gh[j] = hh
			hb[j] = gz[j]*hp[j] + (1-gz[j])*hh
		}
	}
}

func refGRUBackwardH[T Float](dgates, dhPrev []T, dh, gates, hPrev []T, B, H int,
	ra, act Activation) {

	for b := range B {
		g, d := gates[b*3*H:(b+1)*3*H], dgates[b*3*H:(b+1)*3*H]
		gz, gh, dz, dhh := g[:H], g[2*H:3*H], d[:H], d[2*H:3*H]
		dhb, dp, hp := dh[b*H:(b+1)*H], dhPrev[b*H:(b+1)*H], hPrev[b*H:(b+1)*H]
		for j := range H {
			z, hh, e := gz[j], gh[j], flushTiny(dhb[j])
			dz[j] = e * (hp[j] - hh) * Deriv(ra, z, 0)
			dhh[j] = e * (1 - z) * Deriv(act, hh, 0)
			dp[j] = e * z
		}
	}
}

func refGRUBackwardR[T Float](dgates, dhPrev []T, drh, gates, hPrev []T, B, H int,
	ra Activation) {

	for b := range B {
		gr, dr := gates[b*3*H+H:b*3*H+2*H], dgates[b*3*H+H:b*3*H+2*H]
		drb, dp, hp := drh[b*H:(b+1)*H], dhPrev[b*H:(b+1)*H], hPrev[b*H:(b+1)*H]
		for j := range H {
			r, e := gr[j], flushTiny(drb[j])
			dr[j] = e * hp[j] * Deriv(ra, r, 0)
			dp[j] += e * r
		}
	}
}

func refGRUResetAfterForward[T Float](gates, recH, h []T, rec, hPrev, bias []T, B, H int,
	ra, act Activation) {
	bz, br, bh := bias[:H], bias[H:2*H], bias[2*H:3*H]
	bz2, br2, bh2 := bias[3*H:4*H], bias[4*H:5*H], bias[5*H:6*H]

	for b := range B {
		g, u := gates[b*3*H:(b+1)*3*H], rec[b*3*H:(b+1)*3*H]
		gz, gr, gh := g[:H], g[H:2*H], g[2*H:3*H]
		uz, ur, uh := u[:H], u[H:2*H], u[2*H:3*H]
		rh, hb, hp := recH[b*H:(b+1)*H], h[b*H:(b+1)*H], hPrev[b*H:(b+1)*H]
		for j := range H {
			z := Apply(ra, gz[j]+bz[j]+uz[j]+bz2[j], 0)
			r := Apply(ra, gr[j]+br[j]+ur[j]+br2[j], 0)
			rh[j] = uh[j] + bh2[j]
			hh := Apply(act, gh[j]+bh[j]+r*rh[j], 0)
			gz[j], gr[j], gh[j] = z, r, hh
			hb[j] = z*hp[j] + (1-z)*hh
		}
	}
}

func refGRUResetAfterBackward[T Float](dgates, drec, dhPrev []T, dh, gates, recH, hPrev []T,
	B, H int, ra, act Activation) {

	for b := range B {
		g, d, du := gates[b*3*H:(b+1)*3*H], dgates[b*3*H:(b+1)*3*H], drec[b*3*H:(b+1)*3*H]
		rh, dhb := recH[b*H:(b+1)*H], dh[b*H:(b+1)*H]
		dp, hp := dhPrev[b*H:(b+1)*H], hPrev[b*H:(b+1)*H]
		for j := range H {
			z, r, hh, e := g[j], g[H+j], g[2*H+j], dhb[j]
			e = flushTiny(e)
			dz := e * (hp[j] - hh) * Deriv(ra, z, 0)
			dhh := e * (1 - z) * Deriv(act, hh, 0)
			dr := dhh * rh[j] * Deriv(ra, r, 0)
			d[j], d[H+j], d[2*H+j] = dz, dr, dhh
			du[j], du[H+j], du[2*H+j] = dz, dr, dhh*r
			dp[j] = e * z
		}
	}
}

// gateActs are the (recurrent activation, activation) pairs checked: the tutorial's
// (hard_sigmoid, tanh) and PyTorch's (sigmoid, tanh) on their specialised paths, and
// pairs that take actSlice's and mulDeriv's other cases.
var gateActs = [][2]Activation{{HardSigmoid, Tanh}, {Sigmoid, Tanh}, {Sigmoid, ReLU},
	{HardSigmoid, Linear}, {Tanh, LeakyReLU}}

func TestGateKernelsMatchPerElement(t *testing.T) {
	for _, a := range gateActs {
		testGates[float32](t, a[0], a[1])
		testGates[float64](t, a[0], a[1])
	}
}

// gateFill returns n values spread over [-4, 4), past hard_sigmoid's kinks at ±2.5, with
// every seventh one below 1e-30 so that flushTiny's cut is crossed too.
func gateFill[T Float](rng *rand.Rand, n int) []T {
	v := make([]T, n)
	for i := range v {
		v[i] = T(8*rng.Float64() - 4)
		if i%7 == 3 {
			v[i] *= 1e-31
		}
	}
	return v
}

func testGates[T Float](t *testing.T, ra, act Activation) {
	t.Helper()
	const B, H = 3, 13
	rng := rand.New(rand.NewPCG(uint64(ra), uint64(act)))
	fill := func(n int) []T { return gateFill[T](rng, n) }
	same := func(what string, got, want []T) {
		t.Helper()
		for i := range want {
			if math.Float64bits(float64(got[i])) != math.Float64bits(float64(want[i])) &&
				!(got[i] != got[i] && want[i] != want[i]) {
				t.Fatalf("%T %v/%v %s[%d] = %g, per element %g", got[0], ra, act, what, i,
					got[i], want[i])
			}
		}
	}
	clone := func(s []T) []T { return append([]T(nil), s...) }

	// LSTM.
	pre, cPrev, bias := fill(B*4*H), fill(B*H), fill(4*H)
	g1, g2 := clone(pre), clone(pre)
	c1, c2, a1, a2 := make([]T, B*H), make([]T, B*H), make([]T, B*H), make([]T, B*H)
	h1, h2 := make([]T, B*H), make([]T, B*H)
	LSTMGatesForward(g1, c1, a1, h1, cPrev, bias, B, H, ra, act)
	refLSTMGatesForward(g2, c2, a2, h2, cPrev, bias, B, H, ra, act)
	same("lstm gates", g1, g2)
	same("lstm c", c1, c2)
	same("lstm actC", a1, a2)
	same("lstm h", h1, h2)
	dh, dc := fill(B*H), fill(B*H)
	dg1, dg2, dc1, dc2 := make([]T, B*4*H), make([]T, B*4*H), clone(dc), clone(dc)
	LSTMGatesBackward(dg1, dc1, dh, g1, cPrev, a1, B, H, ra, act)
	refLSTMGatesBackward(dg2, dc2, dh, g2, cPrev, a2, B, H, ra, act)
	same("lstm dgates", dg1, dg2)
	same("lstm dc", dc1, dc2)

	// GRU, reset before; dhPrev is dh, as nn.GRU calls it.
	pre, hPrev, bias := fill(B*3*H), fill(B*H), fill(3*H)
	g1, g2 = clone(pre), clone(pre)
	rh1, rh2 := make([]T, B*H), make([]T, B*H)
	GRUForwardZR(g1, rh1, hPrev, bias, B, H, ra)
	refGRUForwardZR(g2, rh2, hPrev, bias, B, H, ra)
	same("gru zr", g1, g2)
	same("gru rh", rh1, rh2)
	GRUForwardH(g1, h1, hPrev, bias, B, H, act)
	refGRUForwardH(g2, h2, hPrev, bias, B, H, act)
	same("gru gates", g1, g2)
	same("gru h", h1, h2)
	dh = fill(B * H)
	dh1, dh2 := clone(dh), clone(dh)
	dg1, dg2 = make([]T, B*3*H), make([]T, B*3*H)
	GRUBackwardH(dg1, dh1, dh1, g1, hPrev, B, H, ra, act)
	refGRUBackwardH(dg2, dh2, dh2, g2, hPrev, B, H, ra, act)
	same("gru dgates (h)", dg1, dg2)
	same("gru dhPrev (h)", dh1, dh2)
	drh := fill(B * H)
	GRUBackwardR(dg1, dh1, drh, g1, hPrev, B, H, ra)
	refGRUBackwardR(dg2, dh2, drh, g2, hPrev, B, H, ra)
	same("gru dgates (r)", dg1, dg2)
	same("gru dhPrev (r)", dh1, dh2)

	// GRU, reset after.
	pre, rec, biasA := fill(B*3*H), fill(B*3*H), fill(6*H)
	g1, g2 = clone(pre), clone(pre)
	ha1, ha2 := make([]T, B*H), make([]T, B*H)
	GRUResetAfterForward(g1, rh1, ha1, rec, hPrev, biasA, B, H, ra, act)
	refGRUResetAfterForward(g2, rh2, ha2, rec, hPrev, biasA, B, H, ra, act)
	same("gru-after gates", g1, g2)
	same("gru-after recH", rh1, rh2)
	same("gru-after h", ha1, ha2)
	dh1, dh2 = clone(dh), clone(dh)
	dr1, dr2 := make([]T, B*3*H), make([]T, B*3*H)
	GRUResetAfterBackward(dg1, dr1, dh1, dh1, g1, rh1, hPrev, B, H, ra, act)
	refGRUResetAfterBackward(dg2, dr2, dh2, dh2, g2, rh2, hPrev, B, H, ra, act)
	same("gru-after dgates", dg1, dg2)
	same("gru-after drec", dr1, dr2)
	same("gru-after dhPrev", dh1, dh2)
}
