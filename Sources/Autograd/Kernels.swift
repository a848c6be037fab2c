// The elementwise and reduction loops every op is built from. They run over unsafe
// buffer pointers; the element function is a closure literal at each call site, which
// `@inline(__always)` lets the optimiser inline into the loop. (They stay on one thread:
// handing such a loop to Dispatch makes the closure escape, and it is then called per
// element instead of inlined. Reductions, which take no closure, use `Parallel`.)

extension NDArray {
    /// Applies `f` to every element.
    @inline(__always)
    public func map(_ f: (T) -> T) -> NDArray<T> {
        let n = count
        return data.withUnsafeBufferPointer { src in
            NDArray(shape: shape) { dst in
                for i in 0..<n { dst[i] = f(src[i]) }
            }
        }
    }

    /// Combines two arrays of the same shape element by element.
    @inline(__always)
    public func zip(_ other: NDArray<T>, _ f: (T, T) -> T) -> NDArray<T> {
        let n = count
        return data.withUnsafeBufferPointer { a in
            other.data.withUnsafeBufferPointer { b in
                NDArray(shape: shape) { dst in
                    for i in 0..<n { dst[i] = f(a[i], b[i]) }
                }
            }
        }
    }

    /// Combines three arrays of the same shape element by element.
    @inline(__always)
    public func zip(_ b: NDArray<T>, _ c: NDArray<T>, _ f: (T, T, T) -> T) -> NDArray<T> {
        let n = count
        return data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                c.data.withUnsafeBufferPointer { pc in
                    NDArray(shape: shape) { dst in
                        for i in 0..<n { dst[i] = f(pa[i], pb[i], pc[i]) }
                    }
                }
            }
        }
    }

    /// NumPy-broadcasting elementwise combination; `shape` is the broadcast shape of the
    /// two operands (the caller has checked they broadcast).
    @inline(__always)
    public static func broadcast(
        _ a: NDArray<T>, _ b: NDArray<T>, to shape: [Int], _ f: (T, T) -> T
    ) -> NDArray<T> {
        if a.shape == shape && b.shape == shape { return a.zip(b, f) }
        let n = Shape.count(shape) ?? 0
        return a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                NDArray(shape: shape) { dst in
                    if b.count == 1 && a.count == n {
                        let s = pb[0]
                        for i in 0..<n { dst[i] = f(pa[i], s) }
                    } else if a.count == 1 && b.count == n {
                        let s = pa[0]
                        for i in 0..<n { dst[i] = f(s, pb[i]) }
                    } else {
                        var walk = StridedWalk(
                            shape: shape,
                            strides: [Shape.broadcastStrides(a.shape, to: shape),
                                      Shape.broadcastStrides(b.shape, to: shape)])
                        var o = 0
                        let inner = walk.innerCount
                        let sa = walk.innerStride(0), sb = walk.innerStride(1)
                        while o < n {
                            var ia = walk.offset(0), ib = walk.offset(1)
                            for j in 0..<inner {
                                dst[o + j] = f(pa[ia], pb[ib])
                                ia &+= sa
                                ib &+= sb
                            }
                            o &+= inner
                            walk.advanceOuter()
                        }
                    }
                }
            }
        }
    }

    /// This array broadcast to `target` (which it must broadcast to).
    /// Rows of `target`'s innermost axis are copied whole where this array has them,
    /// filled with one value where it is broadcast along that axis: the bias gradients of
    /// a Hessian-vector product broadcast [512] to [128, 512] this way (W8).
    public func broadcast(to target: [Int]) -> NDArray<T> {
        if shape == target { return self }
        let n = Shape.count(target) ?? 0
        if n == 0 { return NDArray(shape: target, data: []) }
        // One value everywhere (a mean's upstream gradient): no strided walk to set up,
        // which for W1's 2×2 cost ten times the copy.
        if data.count == 1 { return NDArray(repeating: data[0], shape: target) }
        // A trailing part of `target` (a bias's gradient back over the batch): whole copies
        // of the array one after another, split over the computation's threads when large.
        if target.count > shape.count && target.suffix(shape.count).elementsEqual(shape) {
            let row = data.count
            let result = data.withUnsafeBufferPointer { src in
                [T](unsafeUninitializedCapacity: n) { dst, initialized in
                    let p = UncheckedSendable((src.baseAddress!, dst.baseAddress!))
                    Parallel.forEachRange(n / row, parallelFrom: Swift.max(2, Parallel.minimumElements / row), alignment: 1) {
                        first, end in
                        for r in first..<end { (p.value.1 + r * row).initialize(from: p.value.0, count: row) }
                    }
                    initialized = n
                }
            }
            return NDArray(shape: target, data: result)
        }
        var walk = StridedWalk(shape: target, strides: [Shape.broadcastStrides(shape, to: target)])
        let inner = walk.innerCount
        let stride = walk.innerStride(0)
        let result = data.withUnsafeBufferPointer { src in
            [T](unsafeUninitializedCapacity: n) { dst, initialized in
                var i = 0
                while i < n {
                    let o = walk.offset(0)
                    if stride == 1 {
                        (dst.baseAddress! + i).initialize(from: src.baseAddress! + o, count: inner)
                    } else if stride == 0 {
                        (dst.baseAddress! + i).initialize(repeating: src[o], count: inner)
                    } else {
                        for j in 0..<inner { (dst.baseAddress! + i + j).initialize(to: src[o + j * stride]) }
                    }
                    i += inner
                    walk.advanceOuter()
                }
                initialized = n
            }
        }
        return NDArray(shape: target, data: result)
    }

    /// Sums this array down to `target`, a shape it broadcasts to: the un-broadcasting
    /// step of every backward pass, and the kernel of `sum`. Leading axes missing from
    /// `target` and axes where `target` has 1 are summed over.
    public func sum(to target: [Int]) -> NDArray<T> {
        if shape == target { return self }
        let n = count
        let outCount = Shape.count(target) ?? 0
        // Read the result through strides that are 0 along the summed axes.
        let outStrides = Shape.broadcastStrides(target, to: shape)
        var result = [T](repeating: 0, count: outCount)
        if n == 0 { return NDArray(shape: target, data: result) }
        data.withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                if outCount == 1 {
                    dst[0] = NDArray.total(src)
                    return
                }
                var walk = StridedWalk(shape: shape, strides: [outStrides])
                let inner = walk.innerCount
                let so = walk.innerStride(0)
                var i = 0
                while i < n {
                    var io = walk.offset(0)
                    if so == 0 {
                        var acc: T = 0
                        for j in 0..<inner { acc += src[i + j] }
                        dst[io] += acc
                    } else if so == 1 {
                        // Row by row in the same order as the loop below: the same bits.
                        CPUKernels.accumulate(src.baseAddress! + i, into: dst.baseAddress! + io, inner)
                    } else {
                        for j in 0..<inner {
                            dst[io] += src[i + j]
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
}

extension NDArray {
    /// The sum of all of `src`. Small arrays add left to right (the order the fixtures
    /// were checked in); large ones add fixed blocks with eight interleaved accumulators
    /// (so the loop vectorises), concurrently, and combine the block sums in order: the
    /// same bytes on any number of threads.
    static func total(_ src: UnsafeBufferPointer<T>) -> T {
        let n = src.count
        guard n >= Parallel.minimumElements else {
            var acc: T = 0
            for i in 0..<n { acc += src[i] }
            return acc
        }
        let block = Parallel.reductionBlock
        let blocks = (n + block - 1) / block
        var partial = [T](repeating: 0, count: blocks)
        partial.withUnsafeMutableBufferPointer { out in
            Parallel.forEachRange(blocks, parallelFrom: 2, alignment: 1) { first, last in
                for k in first..<last {
                    let start = k * block, end = Swift.min(n, start + block)
                    var sum = BlockSum<T>()
                    sum.add(UnsafeBufferPointer(rebasing: src[start..<end]))
                    out[k] = sum.total
                }
            }
        }
        var total: T = 0
        for p in partial { total += p }
        return total
    }
}

/// Walks the outer axes of a row-major shape (all but the last) like an odometer, keeping
/// the matching offsets into operands read through their own strides. The innermost axis
/// is left to the caller's tight loop.
@usableFromInline
struct StridedWalk {
    let shape: [Int]
    let strides: [[Int]]
    var index: [Int]
    var offsets: [Int]

    @usableFromInline
    init(shape: [Int], strides: [[Int]]) {
        self.shape = shape.isEmpty ? [1] : shape
        self.strides = shape.isEmpty ? strides.map { _ in [0] } : strides
        self.index = [Int](repeating: 0, count: self.shape.count)
        self.offsets = [Int](repeating: 0, count: strides.count)
    }

    @usableFromInline var innerCount: Int { shape[shape.count - 1] }
    @usableFromInline func innerStride(_ k: Int) -> Int { strides[k][shape.count - 1] }
    @usableFromInline func offset(_ k: Int) -> Int { offsets[k] }

    /// Moves to the next row of the innermost axis.
    @usableFromInline
    mutating func advanceOuter() {
        var axis = shape.count - 2
        while axis >= 0 {
            index[axis] += 1
            for k in 0..<offsets.count { offsets[k] &+= strides[k][axis] }
            if index[axis] < shape[axis] { return }
            for k in 0..<offsets.count { offsets[k] &-= strides[k][axis] &* shape[axis] }
            index[axis] = 0
            axis -= 1
        }
    }
}
