/// 2-D max pooling, as `torch.nn.functional.max_pool2d`: padding is -infinity, a NaN in a
/// window wins it, and the gradient goes to the window's first maximum (row-major), as
/// torch's index-based backward does.
public struct MaxPool2dOp: Operator {
    public static let signature = OpSignature(
        name: "max_pool2d", arity: .exactly(1), inputs: ["x"],
        attributes: [
            Pooling.kernelAttribute, Pooling.strideAttribute, Pooling.paddingAttribute,
            AttributeSpec("dilation", .intOrInts, default: .int(1), "spacing between window elements"),
            Pooling.ceilAttribute,
        ],
        summary: "maximum over kernel_size windows of x [N, C, H, W]; the gradient goes to each window's first maximum")

    let pooling: Pooling

    /// Max pooling; throws for a non-positive kernel, stride or dilation, or padding over
    /// half the kernel. `stride` nil means the kernel size.
    public init(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0], dilation: [Int] = [1], ceilMode: Bool = false) throws(OpError) {
        pooling = try Pooling(kernel: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }

    public init(attributes: Attributes) throws(OpError) {
        pooling = try Pooling(attributes: attributes)
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        try pooling.outputShape(inputs[0], name: Self.signature.name)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let g = try? pooling.geometry(x[0].shape, name: ""), let shape = try? outputShape([x[0].shape]) else { return x[0] }
        return poolPlanes(x[0], to: shape, g, fromOutput: false) { src, dst in
            forEachWindow(g) { o, first in
                let i = first(src)
                dst[o] = i >= 0 ? src[i] : -T.infinity
            }
        }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let g = try? pooling.geometry(x[0].shape, name: "") else { return [nil] }
        // The windows' argmaxes are found again from x rather than kept from the forward
        // pass: a pass over x costs less than an index array's allocation and traffic.
        var dx = [T](repeating: 0, count: x[0].count)
        x[0].data.withUnsafeBufferPointer { xs in
            grad.data.withUnsafeBufferPointer { gs in
                dx.withUnsafeMutableBufferPointer { ds in
                    guard let xp = xs.baseAddress, let gp = gs.baseAddress, let dp = ds.baseAddress else { return }
                    let grads = UncheckedSendable(gp)
                    g.forEachPlane(xp, inStride: g.inArea, dp, outStride: g.inArea) { src, dst in
                        let plane = (src - xp) / g.inArea
                        let gy = grads.value + plane * g.outArea
                        forEachWindow(g) { o, first in
                            let i = first(src)
                            if i >= 0 { dst[i] += gy[o] }
                        }
                    }
                }
            }
        }
        return [NDArray(shape: x[0].shape, data: dx)]
    }

    /// Calls `body(o, argmax)` for every output position `o` of a plane, where
    /// `argmax(plane)` is the index in the plane of its window's first maximum (a NaN wins),
    /// or -1 for a window that meets no input element (dilation can skip it all).
    @inline(__always)
    private func forEachWindow<T: Scalar>(_ g: PoolGeometry, _ body: (Int, (UnsafePointer<T>) -> Int) -> Void) {
        let p = pooling
        for oh in 0..<g.outH {
            let h0 = oh * p.stride[0] - p.padding[0]
            for ow in 0..<g.outW {
                let w0 = ow * p.stride[1] - p.padding[1]
                body(oh * g.outW + ow) { src in
                    var best = -1
                    var m = -T.infinity
                    for i in 0..<p.kernel[0] {
                        let h = h0 + i * p.dilation[0]
                        guard h >= 0 && h < g.inH else { continue }
                        for j in 0..<p.kernel[1] {
                            let w = w0 + j * p.dilation[1]
                            guard w >= 0 && w < g.inW else { continue }
                            let v = src[h * g.inW + w]
                            if best < 0 || v > m || v.isNaN {
                                m = v
                                best = h * g.inW + w
                                if v.isNaN { return best }
                            }
                        }
                    }
                    return best
                }
            }
        }
    }
}
