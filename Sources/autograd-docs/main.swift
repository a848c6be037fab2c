import AutogradGraph
import Foundation

// `make docs`: writes docs/ops.md from the op definitions (`OpReference.markdown()`).
//
//     autograd-docs [PATH]    (default docs/ops.md, relative to the working directory)
//
// The file is rewritten only when its text changes, so a tree with nothing new stays clean.
let path = CommandLine.arguments.dropFirst().first ?? "docs/ops.md"
let text = OpReference.markdown()
let current = try? String(contentsOfFile: path, encoding: .utf8)
if current == text {
    print("\(path): up to date")
} else {
    do {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        print("\(path): written")
    } catch {
        FileHandle.standardError.write(Data("autograd-docs: cannot write \(path): \(error)\n".utf8))
        exit(1)
    }
}
