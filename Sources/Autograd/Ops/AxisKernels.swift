// Axis arithmetic and loops shared by the ops that work along axes: softmax, log_softmax,
// amax, amin, transpose, concat and slice.

extension Shape {
    /// `axis` normalised against `rank` (negatives count from the end), or an attribute
    /// error at `name`. With `scalarAllowed`, a rank-0 shape accepts axis 0 and -1, as
    /// PyTorch's softmax does.
    static func resolveAxis(
        _ axis: Int, rank: Int, name: String = "axis", scalarAllowed: Bool = false
    ) throws(OpError) -> Int {
        let r = scalarAllowed ? max(rank, 1) : rank
        guard axis >= -r && axis < r else {
            throw .attribute(name: name, detail: "axis \(axis) is out of range for a tensor of rank \(rank)")
        }
        return rank == 0 ? 0 : (axis < 0 ? axis + rank : axis)
    }

    /// `shape` read as `[outer, n, inner]` around `axis`, which must be a valid axis
    /// (a rank-0 shape is `[1, 1, 1]`).
    static func split(_ shape: [Int], at axis: Int) -> (outer: Int, n: Int, inner: Int) {
        guard !shape.isEmpty else { return (1, 1, 1) }
        return (
            shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *)
        )
    }

    /// `shape` with `axis` set to 1 (unchanged when rank 0).
    static func keeping(_ shape: [Int], axis: Int) -> [Int] {
        var kept = shape
        if !kept.isEmpty { kept[axis] = 1 }
        return kept
    }
}

extension NDArray {
    /// Reduces this array down to `target` with `combine`, as `sum(to:)` does with `+`:
    /// every output element starts at `initial` and folds in its group in row-major order.
    @inline(__always)
    func reduce(to target: [Int], initial: T, _ combine: (T, T) -> T) -> NDArray<T> {
        if shape == target { return self }
        let n = count
        var result = [T](repeating: initial, count: Shape.count(target) ?? 0)
        if n == 0 { return NDArray(shape: target, data: result) }
        let outStrides = Shape.broadcastStrides(target, to: shape)
        data.withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                var walk = StridedWalk(shape: shape, strides: [outStrides])
                let inner = walk.innerCount
                let so = walk.innerStride(0)
                var i = 0
                while i < n {
                    var io = walk.offset(0)
                    if so == 0 {
                        var acc = dst[io]
                        for j in 0..<inner { acc = combine(acc, src[i + j]) }
                        dst[io] = acc
                    } else {
                        for j in 0..<inner {
                            dst[io] = combine(dst[io], src[i + j])
                            io &+= so
                        }
                    }
                    i &+= inner
                    walk.advanceOuter()
                }
            }
        }
        return NDArray(shape: target, data: result)
    }

    /// The largest element of each group of `target` (NaN wins, as in PyTorch).
    func reducedMax(to target: [Int]) -> NDArray<T> {
        reduce(to: target, initial: -.infinity) { acc, v in v > acc || v.isNaN ? v : acc }
    }

    /// The smallest element of each group of `target` (NaN wins, as in PyTorch).
    func reducedMin(to target: [Int]) -> NDArray<T> {
        reduce(to: target, initial: .infinity) { acc, v in v < acc || v.isNaN ? v : acc }
    }

    /// The last two axes swapped (a matrix transpose per leading index), in 32×32 tiles:
    /// walking a whole column of the source touches a new cache line per element, a tile
    /// keeps its 32 lines in L1 (an ONNX Gemm's transB weight is transposed every step).
    func swappedLastAxes() -> NDArray<T> {
        let r = shape.count
        let rows = shape[r - 2], cols = shape[r - 1]
        var outShape = shape
        outShape.swapAt(r - 2, r - 1)
        let plane = rows * cols
        guard plane > 0 else { return NDArray(shape: outShape, data: []) }
        let planes = count / plane
        let tile = 32
        return data.withUnsafeBufferPointer { src in
            NDArray(shape: outShape) { dst in
                for b in 0..<planes {
                    let s = src.baseAddress! + b * plane
                    let d = dst.baseAddress! + b * plane
                    var i0 = 0
                    while i0 < rows {
                        let i1 = Swift.min(i0 + tile, rows)
                        var j0 = 0
                        while j0 < cols {
                            let j1 = Swift.min(j0 + tile, cols)
                            for j in j0..<j1 {
                                for i in i0..<i1 { d[j * rows + i] = s[i * cols + j] }
                            }
                            j0 = j1
                        }
                        i0 = i1
                    }
                }
            }
        }
    }

    /// The array with its axes reordered: output axis `i` is input axis `perm[i]`
    /// (`perm` a permutation of `0..<rank`). A strided copy.
    func permuted(_ perm: [Int]) -> NDArray<T> {
        let outShape = perm.map { shape[$0] }
        if perm == Array(0..<perm.count) { return self }
        let r = perm.count
        if r >= 2 && perm[r - 2] == r - 1 && perm[r - 1] == r - 2 && perm[..<(r - 2)].elementsEqual(0..<(r - 2)) {
            return swappedLastAxes()
        }
        let own = Shape.strides(shape)
        let srcStrides = perm.map { own[$0] }
        let n = count
        if perm[r - 1] == r - 1 && shape[r - 1] >= 8 && n > 0 {
            return permutedRows(outShape, Array(srcStrides.dropLast()))
        }
        return data.withUnsafeBufferPointer { src in
            NDArray(shape: outShape) { dst in
                guard n > 0 else { return }
                var walk = StridedWalk(shape: outShape, strides: [srcStrides])
                let inner = walk.innerCount
                let s = walk.innerStride(0)
                var o = 0
                while o < n {
                    var i = walk.offset(0)
                    for j in 0..<inner {
                        dst[o + j] = src[i]
                        i &+= s
                    }
                    o &+= inner
                    walk.advanceOuter()
                }
            }
        }
    }

    /// `permuted` when the last axis stays last (attention's heads, `[B, T, H, E]` to
    /// `[B, H, T, E]` and back): whole rows of the last axis copied, rows split over the
    /// threads. `outer` is the source stride of each output axis but the last.
    private func permutedRows(_ outShape: [Int], _ outer: [Int]) -> NDArray<T> {
        let inner = outShape[outShape.count - 1], rows = count / inner
        let dims = Array(outShape.dropLast())
        return data.withUnsafeBufferPointer { src in
            NDArray(shape: outShape) { (dst: inout UnsafeMutableBufferPointer<T>) in
                guard let from = src.baseAddress, let to = dst.baseAddress else { return }
                let (s, d) = (UncheckedSendable(from), UncheckedSendable(to))
                Parallel.forEachRange(rows, parallelFrom: Swift.max(2, Parallel.minimumElements / inner), alignment: 1) { lo, hi in
                    // The source offset of row `lo`, then an odometer over the outer axes.
                    var index = [Int](repeating: 0, count: dims.count)
                    var offset = 0, rest = lo
                    for a in stride(from: dims.count - 1, through: 0, by: -1) {
                        index[a] = rest % dims[a]
                        rest /= dims[a]
                        offset += index[a] * outer[a]
                    }
                    for row in lo..<hi {
                        let o = d.value + row * inner, i = s.value + offset
                        for j in 0..<inner { o[j] = i[j] }
                        var a = dims.count - 1
                        while a >= 0 {
                            index[a] += 1
                            offset += outer[a]
                            if index[a] < dims[a] { break }
                            offset -= outer[a] * dims[a]
                            index[a] = 0
                            a -= 1
                        }
                    }
                }
            }
        }
    }
}
