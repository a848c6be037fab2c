/// Every op the engine offers, in the order `GET /ops` and docs/ops.md list them.
/// The graph format, the op listing and the fixture coverage check all read this list.
public enum Operators {
    public static let all: [any Operator.Type] = [
        Add.self, Sub.self, Mul.self, Div.self, Neg.self,
        MatMul.self, LinearOp.self,
        Sum.self, Mean.self,
        MSELoss.self,
        // elementwise and activations
        Pow.self, Exp.self, Log.self, Sqrt.self, Abs.self, Maximum.self, Minimum.self,
        ReLUOp.self, SigmoidOp.self, TanhOp.self, GELUOp.self, LeakyReLUOp.self, SoftplusOp.self,
        // softmax, reductions and shape ops
        Softmax.self, LogSoftmax.self, Amax.self, Amin.self,
        Reshape.self, Transpose.self, Concat.self, SliceOp.self,
        // losses
        CrossEntropy.self, BinaryCrossEntropy.self, BinaryCrossEntropyWithLogits.self,
        // issue 10, ops-elem: elementwise math (UnaryElementwise declarations)
        Sin.self, Cos.self, Erf.self, Log1p.self, Expm1.self, Rsqrt.self, Square.self, Sign.self,
        SiLU.self, ELU.self, Clamp.self,
        Greater.self, GreaterEqual.self, Less.self, LessEqual.self, Equal.self, NotEqual.self, Where.self,
        Cumsum.self, LogSumExp.self, Var.self, Std.self, Norm.self, ArgMax.self, ArgMin.self, CosineSimilarity.self,
        // issue 10, indexing and losses (ops-index)
        Squeeze.self, Unsqueeze.self, BroadcastTo.self, Stack.self, Pad.self, Flip.self,
        Take.self, Gather.self, EmbeddingOp.self, DropoutOp.self,
        // convolution and pooling (issue 10)
        Conv1dOp.self, Conv2dOp.self, ConvTranspose2dOp.self,
        MaxPool2dOp.self, AvgPool2dOp.self, AdaptiveAvgPool2dOp.self,
    ]

    private static let byName: [String: any Operator.Type] = Dictionary(
        uniqueKeysWithValues: all.map { ($0.signature.name, $0) })

    /// The op with this wire name.
    public static func named(_ name: String) -> (any Operator.Type)? { byName[name] }
}
