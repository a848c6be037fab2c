import Synchronization

/// The last few models decoded, without their weights (`ProtoWire.withoutRawData`'s
/// stripped bytes), by those bytes: a client that sends one model again with new weights
/// or inputs (a training loop over `/backward`, gradients for a stream of batches) skips
/// swift-protobuf's decode of its structure, 0.1 ms of W2's 6 KB model, the larger part
/// of its import. The key is the whole byte string, compared in full, so a hit is the
/// model those bytes decode to and every answer stays a function of the request alone.
/// Bounded: `capacity` models, each of at most `maxBytes` stripped bytes; least recently
/// used first out.
final class ModelCache: Sendable {
    static let capacity = 8
    static let maxBytes = 1 << 20

    private let recent = Mutex<[(bytes: [UInt8], model: Onnx_ModelProto)]>([])

    /// The model `stripped` decodes to: the remembered one, or `decode`'s (remembered when
    /// it is one and small enough).
    func model(for stripped: [UInt8], decode: () -> Onnx_ModelProto?) -> Onnx_ModelProto? {
        guard stripped.count <= Self.maxBytes else { return decode() }
        let hit: Onnx_ModelProto? = recent.withLock { entries in
            guard let i = entries.firstIndex(where: { $0.bytes == stripped }) else { return nil }
            let entry = entries.remove(at: i)
            entries.insert(entry, at: 0)
            return entry.model
        }
        if let hit { return hit }
        guard let model = decode() else { return nil }
        recent.withLock { entries in
            guard !entries.contains(where: { $0.bytes == stripped }) else { return }
            entries.insert((stripped, model), at: 0)
            if entries.count > Self.capacity { entries.removeLast() }
        }
        return model
    }

    /// How many models are remembered (tests).
    var count: Int { recent.withLock { $0.count } }
}
