package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/seqnn/seqnn/optim"
)

// TestCPUSessionMatchesLoop: three training steps of the tutorial LSTM through a CPU
// session give bit for bit the weights, losses and moments of the same steps written out
// with Forward, MSE, Backward and optim.Adam.
func TestCPUSessionMatchesLoop(t *testing.T) {
	const B = 3
	a, err := TutorialModel[float32]("lstm", Shape{32, 1}, B, 7)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := TutorialModel[float32]("lstm", Shape{32, 1}, B, 7)

	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, B*32)
	y := make([]float32, B*16)
	for i := range x {
		x[i] = rng.Float32()
	}
	for i := range y {
		y[i] = rng.Float32()
	}

	sess, err := CPU[float32]{}.Open(a)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	optA := optim.NewAdam(optim.DefaultAdam(), weights(a))
	optB := optim.NewAdam(optim.DefaultAdam(), weights(b))
	dy := make([]float32, len(y))
	for step := uint64(0); step < 3; step++ {
		lossA, err := sess.TrainStep(x, y, B, step, optA.Advance())
		if err != nil {
			t.Fatal(err)
		}
		b.SetTraining(true)
		b.SetStep(step)
		lossB := MSE(dy, b.Forward(x, B), y)
		b.ZeroGrad()
		b.Backward(dy, B)
		optB.Update(weights(b), grads(b))
		if lossA != lossB {
			t.Fatalf("step %d: session loss %v, loop loss %v", step, lossA, lossB)
		}
	}
	if err := sess.Pull(optA.M, optA.V); err != nil {
		t.Fatal(err)
	}
	pb := b.Params()
	for i, p := range a.Params() {
		for j := range p.W {
			if p.W[j] != pb[i].W[j] || optA.M[i][j] != optB.M[i][j] || optA.V[i][j] != optB.V[i][j] {
				t.Fatalf("%s[%d]: session and loop differ", p.Name, j)
			}
		}
	}

	// Push then Pull returns the moments unchanged; a wrong shape is an error.
	if err := sess.Push(optB.M, optB.V); err != nil {
		t.Fatal(err)
	}
	if err := sess.Push(optB.M[:1], nil); err == nil {
		t.Error("Push accepted moments for one tensor of five")
	}
}

func weights[T Float](m *Sequential[T]) [][]T {
	var w [][]T
	for _, p := range m.Params() {
		w = append(w, p.W)
	}
	return w
}

func grads[T Float](m *Sequential[T]) [][]T {
	var g [][]T
	for _, p := range m.Params() {
		g = append(g, p.DW)
	}
	return g
}
