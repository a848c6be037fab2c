// The fused op's execution. Elements are taken in tiles of `tile`; each instruction runs
// as one tight loop over a tile held in a per-thread scratch buffer (so it stays in cache
// and vectorises), and tiles are grouped in the reduction blocks of `NDArray.total`, which
// are split over the thread budget: a fused sum adds exactly the values, in exactly the
// order, that the unfused `sum` would.

struct FusedKernel<T: Scalar> {
    let program: FusedElementwise
    let inputs: [NDArray<T>]
    /// Elements in the element shape.
    let count: Int

    /// Elements per tile: a multiple of 8 (the reduction's accumulator stride) that keeps
    /// a program's registers within L1/L2; no more than a small array needs, since each
    /// worker's registers are allocated per call.
    let tile: Int

    init(_ program: FusedElementwise, inputs: [NDArray<T>], count: Int) {
        self.program = program
        self.inputs = inputs
        self.count = count
        self.tile = Swift.min(1024, Swift.max(8, (count + 7) / 8 * 8))
    }

    var registerCount: Int { program.inputCount + program.instructions.count }

    // MARK: forward

    func forward(shape: [Int]) -> NDArray<T> {
        let n = count
        if program.sumsOutput {
            return NDArray(scalar: sum())
        }
        let data = [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            if n > 0, let base = buffer.baseAddress { evaluate(into: base) }
            initialized = n
        }
        return NDArray(shape: shape, data: data)
    }

    /// Every element of the output into `out`. Not inlined: inlined into the specialised
    /// `FusedElementwise.forward`, Swift 6.3.1's optimiser trips over the ownership of
    /// the nested closures (a compiler crash in CopyPropagation).
    @inline(never)
    private func evaluate(into out: UnsafeMutablePointer<T>) {
        let shared = UncheckedSendable(out)
        run(blocks: Self.blockCount(count)) { scratch, blockStart, blockEnd in
            var start = blockStart
            while start < blockEnd {
                let end = Swift.min(blockEnd, start + tile)
                scratch.evaluate(start, end, into: shared.value + start)
                start = end
            }
        }
    }

    /// The sum of the last instruction over every element.
    private func sum() -> T {
        sumOfTiles { scratch, start, end in
            UnsafeBufferPointer(start: scratch.evaluate(start, end, into: nil), count: end - start)
        }
    }

    /// The sum of the values `tileValues` returns for every tile, added as `NDArray.total`
    /// adds an array: left to right below `Parallel.minimumElements`, else per reduction
    /// block with eight interleaved accumulators, block sums in order.
    private func sumOfTiles(
        _ tileValues: (inout FusedScratch<T>, Int, Int) -> UnsafeBufferPointer<T>
    ) -> T {
        let n = count
        if n == 0 { return 0 }
        if n < Parallel.minimumElements {
            var acc: T = 0
            withScratch { scratch in
                var start = 0
                while start < n {
                    let end = Swift.min(n, start + tile)
                    for x in tileValues(&scratch, start, end) { acc += x }
                    start = end
                }
            }
            return acc
        }
        let blocks = Self.blockCount(n)
        var partial = [T](repeating: 0, count: blocks)
        partial.withUnsafeMutableBufferPointer { out in
            let shared = UncheckedSendable(out)
            run(blocks: blocks) { scratch, blockStart, blockEnd in
                var acc = BlockSum<T>()
                var start = blockStart
                while start < blockEnd {
                    let end = Swift.min(blockEnd, start + tile)
                    acc.add(tileValues(&scratch, start, end))
                    start = end
                }
                shared.value[blockStart / Parallel.reductionBlock] = acc.total
            }
        }
        var total: T = 0
        for p in partial { total += p }
        return total
    }

    // MARK: forward and backward in one pass

    /// The sum (added exactly as `sum()` adds it) and the gradients of the inputs in
    /// `needs` for an upstream gradient of 1 (exactly what `backward` computes for it),
    /// each tile evaluated once for both.
    func sumWithGradients(needs: [Bool], shape: [Int]) -> (T, [NDArray<T>?]) {
        let n = count
        let wanted = (0..<program.inputCount).filter { $0 < needs.count && needs[$0] }
        let live = program.liveRegisters(needs: needs)
        let unit: [T] = [1]
        var total: T = 0
        let arrays = Self.uninitializedArrays(wanted.count, elements: n) { pointers in
            var destinations = [UnsafeMutablePointer<T>?](repeating: nil, count: program.inputCount)
            for (j, i) in wanted.enumerated() { destinations[i] = pointers[j] }
            unit.withUnsafeBufferPointer { one in
                guard let upstream = one.baseAddress else { return }
                // Each tile's values are summed, and its adjoints computed from the same values.
                total = sumOfTiles { scratch, start, end in
                    let v = scratch.evaluate(start, end, into: nil)
                    scratch.differentiate(
                        start, end, upstream: upstream, upstreamIsScalar: true, live: live, destinations: destinations)
                    return UnsafeBufferPointer(start: v, count: end - start)
                }
            }
        }
        var results = [NDArray<T>?](repeating: nil, count: needs.count)
        for (j, i) in wanted.enumerated() { results[i] = NDArray(shape: shape, data: arrays[j]) }
        return (total, results)
    }

    // MARK: backward

    func backward(_ grad: NDArray<T>, needs: [Bool], shape: [Int]) -> [NDArray<T>?] {
        let n = count
        let wanted = (0..<program.inputCount).filter { $0 < needs.count && needs[$0] }
        let live = program.liveRegisters(needs: needs)
        let scalarUpstream = program.sumsOutput
        let arrays = Self.uninitializedArrays(wanted.count, elements: n) { pointers in
            guard n > 0 else { return }
            var destinations = [UnsafeMutablePointer<T>?](repeating: nil, count: program.inputCount)
            for (j, i) in wanted.enumerated() { destinations[i] = pointers[j] }
            let targets = UncheckedSendable(destinations)
            grad.data.withUnsafeBufferPointer { g in
                guard let gBase = g.baseAddress else { return }
                let up = UncheckedSendable(gBase)
                run(blocks: Self.blockCount(n)) { scratch, blockStart, blockEnd in
                    var start = blockStart
                    while start < blockEnd {
                        let end = Swift.min(blockEnd, start + tile)
                        _ = scratch.evaluate(start, end, into: nil)
                        scratch.differentiate(
                            start, end, upstream: scalarUpstream ? up.value : up.value + start,
                            upstreamIsScalar: scalarUpstream, live: live, destinations: targets.value)
                        start = end
                    }
                }
            }
        }
        var results = [NDArray<T>?](repeating: nil, count: needs.count)
        for (j, i) in wanted.enumerated() { results[i] = NDArray(shape: shape, data: arrays[j]) }
        return results
    }

    /// `k` arrays of `n` elements, every element written by `body` through their base
    /// addresses (all alive at once).
    private static func uninitializedArrays(
        _ k: Int, elements n: Int, _ body: ([UnsafeMutablePointer<T>]) -> Void
    ) -> [[T]] {
        if n == 0 { return [[T]](repeating: [], count: k) }
        // Nested so that every buffer is alive while `body` runs; the innermost array is
        // finished first, so each level puts its own in front.
        var arrays: [[T]] = []
        arrays.reserveCapacity(k)
        func nest(_ j: Int, _ pointers: [UnsafeMutablePointer<T>]) {
            guard j < k else { return body(pointers) }
            let array = [T](unsafeUninitializedCapacity: n) { buffer, initialized in
                if let base = buffer.baseAddress { nest(j + 1, pointers + [base]) }
                initialized = n
            }
            arrays.insert(array, at: 0)
        }
        nest(0, [])
        return arrays
    }

    // MARK: scheduling

    static func blockCount(_ n: Int) -> Int { (n + Parallel.reductionBlock - 1) / Parallel.reductionBlock }

    /// Calls `body(scratch, start, end)` for every reduction block's element range, the
    /// blocks shared out over the thread budget (`Parallel.forEachItem`), each with scratch
    /// of its own.
    private func run(blocks: Int, _ body: (inout FusedScratch<T>, Int, Int) -> Void) {
        let n = count
        let parallelFrom = Parallel.minimumElements / Parallel.reductionBlock
        withInputBases { bases in
            Parallel.forEachItem(blocks, parallelFrom: parallelFrom) { b in
                withScratch(bases) { scratch in
                    let start = b * Parallel.reductionBlock
                    body(&scratch, start, Swift.min(n, start + Parallel.reductionBlock))
                }
            }
        }
    }

    /// The inputs' base addresses, valid while `body` runs.
    private func withInputBases(_ body: ([UnsafePointer<T>]) -> Void) {
        func nest(_ j: Int, _ bases: [UnsafePointer<T>]) {
            guard j < inputs.count else { return body(bases) }
            inputs[j].data.withUnsafeBufferPointer { buffer in
                if let base = buffer.baseAddress { nest(j + 1, bases + [base]) }
            }
        }
        nest(0, [])
    }

    private func withScratch(_ bases: [UnsafePointer<T>], _ body: (inout FusedScratch<T>) -> Void) {
        let tile = self.tile
        // A tile per register for values, one per register and one more for adjoints.
        // Never read before written: instructions write their registers before later ones
        // read them, and an adjoint is assigned at its first contribution.
        let registers = registerCount
        let values = UnsafeMutablePointer<T>.allocate(capacity: registers * tile)
        let adjoints = UnsafeMutablePointer<T>.allocate(capacity: (registers + 1) * tile)
        defer {
            values.deallocate()
            adjoints.deallocate()
        }
        var scratch = FusedScratch(
            program: program, bases: bases, scalarInput: inputs.map { $0.count == 1 && count != 1 },
            values: values, adjoints: adjoints, tile: tile)
        body(&scratch)
    }

    /// Adapter for the single-threaded small sum.
    private func withScratch(_ body: (inout FusedScratch<T>) -> Void) {
        withInputBases { bases in withScratch(bases, body) }
    }
}

/// `NDArray.total`'s block sum, fed a tile at a time: eight interleaved accumulators over
/// the block's elements in order, the last (n mod 8) elements added separately. The
/// eight run as one vector (`CPUKernels.sum8`): the baseline target's Swift loop
/// vectorised only to 128 bits, with shuffles, and took about a fifth of W3's
/// instructions.
struct BlockSum<T: Scalar> {
    private var lanes: (T, T, T, T, T, T, T, T) = (0, 0, 0, 0, 0, 0, 0, 0)
    private var tail: T = 0

    /// Adds `src`; every call but a block's last must pass a multiple of 8 elements.
    @inline(__always)
    mutating func add(_ src: UnsafeBufferPointer<T>) {
        guard let base = src.baseAddress else { return }
        let end = src.count
        let whole = end & ~7
        if whole > 0 {
            withUnsafeMutablePointer(to: &lanes) { lanes in
                lanes.withMemoryRebound(to: T.self, capacity: 8) { CPUKernels.sum8(base, into: $0, whole) }
            }
        }
        for i in whole..<end { tail += base[i] }
    }

    var total: T {
        ((lanes.0 + lanes.1) + (lanes.2 + lanes.3)) + ((lanes.4 + lanes.5) + (lanes.6 + lanes.7)) + tail
    }
}

extension FusedElementwise {
    /// Registers whose adjoint reaches a needed input.
    func liveRegisters(needs: [Bool]) -> [Bool] {
        var live = [Bool](repeating: false, count: inputCount + instructions.count)
        for i in 0..<inputCount where i < needs.count { live[i] = needs[i] }
        for (k, instruction) in instructions.enumerated() {
            switch instruction {
            case .unary(_, let a): live[inputCount + k] = live[a]
            case .binary(_, let a, let b): live[inputCount + k] = live[a] || live[b]
            case .constant: break
            }
        }
        return live
    }
}
