package nn

import (
	"fmt"

	"github.com/seqnn/seqnn/kernels"
)

// The three models of the tutorial "Predicting Cryptocurrency Price With Tensorflow and
// Keras" (2017), each mapping 256 half-hour steps of one scaled price to the next 16:
//
//	cnn   Conv1D(8, 20, strides=3, relu) → Dropout(0.5) → Conv1D(1, 16, strides=4)
//	      (256, 1) → (79, 8) → (79, 8) → (16, 1)
//	lstm  LSTM(50) → Dropout(0.8) → Dense(16) → LeakyReLU()   (Keras's slope 0.3)
//	      (256, 1) → (50) → (50) → (16) → (16)
//	gru   GRU(50) → Activation(tanh) → Dropout(0.2) → Dense(16) → Activation(relu)
//	      (256, 1) → (50) → (50) → (50) → (16) → (16)
//
// Weights are initialised from seed, and each Dropout layer's masks are drawn from seed
// too (kernels.DropoutMask keys them by seed and step, not by the weights' generator).

// TutorialShape is the per-sample input of the tutorial's models: 256 steps, 1 feature.
var TutorialShape = Shape{256, 1}

// TutorialModels lists the names TutorialModel accepts.
var TutorialModels = []string{"cnn", "lstm", "gru"}

// TutorialCNN returns the tutorial's convolutional model for batches of up to maxB.
func TutorialCNN[T Float](maxB int, seed uint64) (*Sequential[T], error) {
	return TutorialModel[T]("cnn", TutorialShape, maxB, seed)
}

// TutorialLSTM returns the tutorial's LSTM model for batches of up to maxB.
func TutorialLSTM[T Float](maxB int, seed uint64) (*Sequential[T], error) {
	return TutorialModel[T]("lstm", TutorialShape, maxB, seed)
}

// TutorialGRU returns the tutorial's GRU model for batches of up to maxB.
func TutorialGRU[T Float](maxB int, seed uint64) (*Sequential[T], error) {
	return TutorialModel[T]("gru", TutorialShape, maxB, seed)
}

// TutorialModel returns the tutorial model called name ("cnn", "lstm" or "gru") on
// samples of shape in, which is TutorialShape in the tutorial; tests use shorter inputs.
// The CNN needs at least 79 steps for its second convolution to have a full window.
func TutorialModel[T Float](name string, in Shape, maxB int, seed uint64) (*Sequential[T], error) {
	var layers []Layer[T]
	switch name {
	case "cnn":
		layers = []Layer[T]{
			NewConv1D[T](8, 20, 3, kernels.ReLU),
			NewDropout[T](0.5, seed),
			NewConv1D[T](1, 16, 4, kernels.Linear),
		}
	case "lstm":
		layers = []Layer[T]{
			NewLSTM[T](50),
			NewDropout[T](0.8, seed),
			NewDense[T](16, kernels.Linear),
			NewLeakyReLU[T](0.3),
		}
	case "gru":
		layers = []Layer[T]{
			NewGRU[T](50),
			NewActivation[T](kernels.Tanh),
			NewDropout[T](0.2, seed),
			NewDense[T](16, kernels.Linear),
			NewActivation[T](kernels.ReLU),
		}
	default:
		return nil, fmt.Errorf("nn: unknown tutorial model %q (want one of %v)",
			name, TutorialModels)
	}
	m, err := NewSequential(in, maxB, seed, layers...)
	if err != nil {
		return nil, fmt.Errorf("nn: tutorial model %s: %w", name, err)
	}
	return m, nil
}
