// One worker's registers for a fused op, and the tile loops of each instruction. Every
// formula is the one its op's forward or vector-Jacobian product uses (Ops/*.swift), in
// the same order of operations, so fused and unfused results agree.

/// Tile-sized registers: values (one tile per register; one-element inputs and constants
/// filled once) and adjoints (one tile per register, plus one for partial contributions).
struct FusedScratch<T: Scalar> {
    let program: FusedElementwise
    let inputCount: Int
    let bases: [UnsafePointer<T>]
    let scalarInput: [Bool]
    let values: UnsafeMutablePointer<T>
    let adjoints: UnsafeMutablePointer<T>
    let tile: Int
    /// Which registers' adjoints hold a contribution in the current tile.
    private var written: [Bool]
    /// A register whose adjoint so far is another register's adjoint unchanged (an add's
    /// operands): that adjoint, read in place instead of copied. Cleared when a second
    /// contribution is added (the sum goes to the register's own tile) and, for inputs,
    /// copied to the gradient at the tile's end.
    private var alias: [UnsafePointer<T>?]
    /// The output register's adjoint tile holds `topValue` in its first `topFilled`
    /// elements (a fused sum's scalar upstream, the same for every tile; nothing else
    /// writes that tile, since no instruction contributes to the last register).
    private var topFilled = 0
    private var topValue: T = 0

    init(
        program: FusedElementwise, bases: [UnsafePointer<T>], scalarInput: [Bool],
        values: UnsafeMutablePointer<T>, adjoints: UnsafeMutablePointer<T>, tile: Int
    ) {
        self.program = program
        self.inputCount = program.inputCount
        self.bases = bases
        self.scalarInput = scalarInput
        self.values = values
        self.adjoints = adjoints
        self.tile = tile
        self.written = [Bool](repeating: false, count: program.inputCount + program.instructions.count)
        self.alias = [UnsafePointer<T>?](repeating: nil, count: program.inputCount + program.instructions.count)
        for i in 0..<inputCount where scalarInput[i] {
            (values + i * tile).initialize(repeating: bases[i][0], count: tile)
        }
        for (k, instruction) in program.instructions.enumerated() {
            if case .constant(let c) = instruction {
                (values + (inputCount + k) * tile).initialize(repeating: T(c), count: tile)
            }
        }
    }

    /// Register `r`'s values for the tile starting at `start`.
    @inline(__always)
    func value(_ r: Int, _ start: Int) -> UnsafePointer<T> {
        r < inputCount && !scalarInput[r] ? bases[r] + start : UnsafePointer(values + r * tile)
    }

    // MARK: forward

    /// Runs every instruction over elements `start..<end`; the last one writes to `out`
    /// when given, else to its register. Returns the last instruction's values.
    @discardableResult
    func evaluate(_ start: Int, _ end: Int, into out: UnsafeMutablePointer<T>?) -> UnsafePointer<T> {
        let m = end - start
        let last = program.instructions.count - 1
        for (k, instruction) in program.instructions.enumerated() {
            let r = inputCount + k
            let y = k == last ? (out ?? values + r * tile) : values + r * tile
            switch instruction {
            case .unary(let kind, let a):
                Self.unary(kind, value(a, start), y, m)
            case .binary(let kind, let a, let b):
                Self.binary(kind, value(a, start), value(b, start), y, m)
            case .constant(let c):
                if k == last, let out { out.initialize(repeating: T(c), count: m) }
            }
        }
        if let out { return UnsafePointer(out) }
        return value(inputCount + last, start)
    }

    static func unary(_ kind: FusedElementwise.Unary, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ m: Int) {
        switch kind {
        case .neg: for i in 0..<m { y[i] = -x[i] }
        case .exp: for i in 0..<m { y[i] = T.exp(x[i]) }
        case .log: for i in 0..<m { y[i] = T.log(x[i]) }
        case .sigmoid: CPUKernels.logistic(x, y, m)
        case .tanh: for i in 0..<m { y[i] = T.tanh(x[i]) }
        case .relu: CPUKernels.unary(CPUKernels.relu, x, y, m) { $0 < 0 ? 0 : $0 }
        case .sqrt: for i in 0..<m { y[i] = x[i].squareRoot() }
        case .abs: for i in 0..<m { y[i] = x[i].magnitude }
        case .softplus:
            let threshold = T(SoftplusOp.threshold)
            for i in 0..<m {
                let v = x[i]
                y[i] = v > threshold ? v : (v > 0 ? v : 0) + T.log(onePlus: T.exp(-v.magnitude))
            }
        case .leakyReLU(let slope):
            let s = T(slope)
            for i in 0..<m { y[i] = x[i] > 0 ? x[i] : x[i] * s }
        case .formula(let f): f.op.values(x, y, m)
        }
    }

    static func binary(
        _ kind: FusedElementwise.Binary, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>,
        _ m: Int
    ) {
        switch kind {
        case .add: CPUKernels.binary(CPUKernels.add, a, b, y, m) { $0 + $1 }
        case .sub: CPUKernels.binary(CPUKernels.subtract, a, b, y, m) { $0 - $1 }
        case .mul: CPUKernels.binary(CPUKernels.multiply, a, b, y, m) { $0 * $1 }
        case .div: CPUKernels.binary(CPUKernels.divide, a, b, y, m) { $0 / $1 }
        case .maximum: for i in 0..<m { y[i] = a[i] > b[i] || a[i].isNaN ? a[i] : b[i] }
        case .minimum: for i in 0..<m { y[i] = a[i] < b[i] || a[i].isNaN ? a[i] : b[i] }
        }
    }

    // MARK: backward

    /// Sends the tile's upstream gradient back through the instructions (whose values
    /// `evaluate` has just computed) into the inputs' gradients at `destinations` (nil for
    /// inputs not needed). An input no live instruction reaches in this tile gets zeros.
    mutating func differentiate(
        _ start: Int, _ end: Int, upstream: UnsafePointer<T>, upstreamIsScalar: Bool, live: [Bool],
        destinations: [UnsafeMutablePointer<T>?]
    ) {
        let m = end - start
        let count = program.instructions.count
        let lastRegister = inputCount + count - 1
        for r in written.indices {
            written[r] = false
            alias[r] = nil
        }
        let temp = adjoints + (inputCount + count) * tile
        // The output's adjoint: the upstream tile, or the scalar upstream of a fused sum.
        let top: UnsafePointer<T>
        if upstreamIsScalar {
            if topFilled < m || topValue != upstream[0] || topValue.sign != upstream[0].sign || topValue.isNaN {
                (adjoints + lastRegister * tile).initialize(repeating: upstream[0], count: m)
                topFilled = m
                topValue = upstream[0]
            }
            top = UnsafePointer(adjoints + lastRegister * tile)
        } else {
            top = upstream
        }
        written[lastRegister] = true

        for k in stride(from: count - 1, through: 0, by: -1) {
            let r = inputCount + k
            guard live[r] && written[r] else { continue }
            let g = alias[r] ?? (r == lastRegister ? top : UnsafePointer(adjoints + r * tile))
            let y = value(r, start)
            switch program.instructions[k] {
            case .unary(let kind, let a):
                guard live[a] else { continue }
                let (dst, accumulate) = target(a, start, destinations, temp)
                Self.unaryGradient(kind, g, value(a, start), y, dst, m)
                if accumulate { add(temp, into: a, start, destinations, m) }
            case .binary(let kind, let a, let b):
                if live[a] { contribute(kind, first: true, a, b, g, y, start, m, destinations, temp) }
                if live[b] { contribute(kind, first: false, a, b, g, y, start, m, destinations, temp) }
            case .constant:
                break
            }
        }
        for i in 0..<inputCount {
            guard let d = destinations[i]?.advanced(by: start) else { continue }
            if !written[i] {
                d.initialize(repeating: 0, count: m)
            } else if let a = alias[i] {
                d.initialize(from: a, count: m)
            }
        }
    }

    /// Where register `r`'s adjoint lives for this tile.
    @inline(__always)
    private func adjoint(_ r: Int, _ start: Int, _ destinations: [UnsafeMutablePointer<T>?]) -> UnsafeMutablePointer<T> {
        if r < inputCount, let d = destinations[r] { return d + start }
        return adjoints + r * tile
    }

    /// Where a contribution to `r` is written: its adjoint itself when it is the first,
    /// else `temp`, to be added.
    @inline(__always)
    private mutating func target(
        _ r: Int, _ start: Int, _ destinations: [UnsafeMutablePointer<T>?], _ temp: UnsafeMutablePointer<T>
    ) -> (UnsafeMutablePointer<T>, Bool) {
        if written[r] { return (temp, true) }
        written[r] = true
        return (adjoint(r, start, destinations), false)
    }

    /// The contribution of a binary instruction with adjoint `g` to its first (`first`)
    /// or second operand. An add passes `g` on unchanged (a sub to its first operand): the
    /// operand's adjoint is then `g` itself, read in place, not a copy.
    @inline(__always)
    private mutating func contribute(
        _ kind: FusedElementwise.Binary, first: Bool, _ a: Int, _ b: Int, _ g: UnsafePointer<T>, _ y: UnsafePointer<T>,
        _ start: Int, _ m: Int, _ destinations: [UnsafeMutablePointer<T>?], _ temp: UnsafeMutablePointer<T>
    ) {
        let operand = first ? a : b
        if kind == .add || (kind == .sub && first) {
            if written[operand] {
                add(g, into: operand, start, destinations, m)
            } else {
                written[operand] = true
                alias[operand] = g
            }
            return
        }
        let (dst, accumulate) = target(operand, start, destinations, temp)
        Self.binaryGradient(kind, first: first, g, value(a, start), value(b, start), y, dst, m)
        if accumulate { add(temp, into: operand, start, destinations, m) }
    }

    /// Adds the contribution `x` to `r`'s adjoint, which has one already: in place, or, when
    /// that one is an alias, their sum (in the same order) into `r`'s own tile.
    @inline(__always)
    private mutating func add(
        _ x: UnsafePointer<T>, into r: Int, _ start: Int, _ destinations: [UnsafeMutablePointer<T>?], _ m: Int
    ) {
        let d = adjoint(r, start, destinations)
        if let prior = alias[r] {
            CPUKernels.binary(CPUKernels.add, prior, x, d, m) { $0 + $1 }
            alias[r] = nil
        } else {
            CPUKernels.accumulate(x, into: d, m)
        }
    }

    static func unaryGradient(
        _ kind: FusedElementwise.Unary, _ g: UnsafePointer<T>, _ x: UnsafePointer<T>, _ y: UnsafePointer<T>,
        _ d: UnsafeMutablePointer<T>, _ m: Int
    ) {
        switch kind {
        case .neg: for i in 0..<m { d[i] = -g[i] }
        case .exp: for i in 0..<m { d[i] = g[i] * y[i] }
        case .log: for i in 0..<m { d[i] = g[i] / x[i] }
        case .sigmoid: CPUKernels.binary(CPUKernels.sigmoidGradient, g, y, d, m) { g, y in g * (1 - y) * y }
        case .tanh: for i in 0..<m { d[i] = g[i] * (1 - y[i] * y[i]) }
        case .relu: CPUKernels.binary(CPUKernels.reluGradient, g, y, d, m) { g, y in y <= 0 ? 0 : g }
        case .sqrt: for i in 0..<m { d[i] = g[i] / (2 * y[i]) }
        case .abs: for i in 0..<m { d[i] = g[i] * (x[i] > 0 ? 1 : x[i] < 0 ? -1 : 0) }
        case .softplus:
            let threshold = T(SoftplusOp.threshold)
            for i in 0..<m { d[i] = x[i] > threshold ? g[i] : g[i] * T.sigmoid(x[i]) }
        case .leakyReLU(let slope):
            let s = T(slope)
            for i in 0..<m { d[i] = x[i] > 0 ? g[i] : g[i] * s }
        case .formula(let f): f.op.derivatives(g, x, y, d, m)
        }
    }

    /// The contribution to the first (`first`) or second operand.
    static func binaryGradient(
        _ kind: FusedElementwise.Binary, first: Bool, _ g: UnsafePointer<T>, _ a: UnsafePointer<T>,
        _ b: UnsafePointer<T>, _ y: UnsafePointer<T>, _ d: UnsafeMutablePointer<T>, _ m: Int
    ) {
        switch (kind, first) {
        case (.add, _), (.sub, true): d.initialize(from: g, count: m)
        case (.sub, false): for i in 0..<m { d[i] = -g[i] }
        case (.mul, true): CPUKernels.binary(CPUKernels.multiply, g, b, d, m) { $0 * $1 }
        case (.mul, false): CPUKernels.binary(CPUKernels.multiply, g, a, d, m) { $0 * $1 }
        case (.div, true): CPUKernels.binary(CPUKernels.divide, g, b, d, m) { $0 / $1 }
        case (.div, false): for i in 0..<m { d[i] = -g[i] * (y[i] / b[i]) }
        case (.maximum, true): for i in 0..<m { d[i] = a[i] == b[i] ? g[i] / 2 : a[i] < b[i] ? 0 : g[i] }
        case (.maximum, false): for i in 0..<m { d[i] = a[i] == b[i] ? g[i] / 2 : a[i] > b[i] ? 0 : g[i] }
        case (.minimum, true): for i in 0..<m { d[i] = a[i] == b[i] ? g[i] / 2 : a[i] > b[i] ? 0 : g[i] }
        case (.minimum, false): for i in 0..<m { d[i] = a[i] == b[i] ? g[i] / 2 : a[i] < b[i] ? 0 : g[i] }
        }
    }
}
