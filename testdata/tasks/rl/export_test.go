package addition

// NewSamplingEvalTask returns a Task whose Eval decodes with rl.Sample, in T passes.
func NewSamplingEvalTask() *Task { return &Task{sampleEval: true} }
