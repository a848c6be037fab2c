import AutogradGraph

/// `GET /`: the page that draws a graph with its gradients (issue 15). Its HTML, script,
/// stylesheet and icon are the files of Sources/AutogradServer/Web, compiled into the binary
/// as the spec is (`.embedInCode("Web")`); the examples are api/examples' request files,
/// reached through symlinks in Web/examples. The page and these files need no API key (the
/// graph routes it calls still do) and every answer carries a strict Content-Security-Policy:
/// no inline script or style, nothing from another origin (docs/web-page.md).
enum WebPage {
    /// Scripts, styles and fetches from this origin only; images from here or `data:`.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// One file the page is made of.
    struct Asset: Sendable {
        let contentType: String
        let body: [UInt8]
        /// A strong validator: the FNV-1a hash of the bytes, quoted.
        let etag: String

        init(_ contentType: String, _ body: [UInt8]) {
            self.contentType = contentType
            self.body = body
            etag = "\"" + WebPage.fnv1a(body) + "\""
        }
    }

    /// The request examples the page offers, in the order of its buttons: name, bytes, and
    /// what the button's tooltip says. `WebPageTests` checks this is every request file of
    /// api/examples.
    static let examples: [(name: String, body: [UInt8], summary: String)] = [
        ("seed-linear-mse", PackageResources.seed_linear_mse_json, "The README's example: linear layer and MSE loss"),
        ("mlp-train", PackageResources.mlp_train_json, "A two-layer MLP classifier, trained with Adam (POST /train)"),
        ("cnn-train", PackageResources.cnn_train_json, "A LeNet-style CNN on stripe images, trained with Adam (POST /train)"),
        ("transformer-block", PackageResources.transformer_block_json, "A pre-LN transformer block, float64"),
        ("gradient-penalty", PackageResources.gradient_penalty_json, "A WGAN-GP critic loss: the op grad inside the loss, differentiated again"),
        ("pinn-poisson-train", PackageResources.pinn_poisson_train_json, "A physics-informed network for -u'' = f, u_xx by nested grad ops, trained with Adam (POST /train)"),
        ("newton-cg-hvp", PackageResources.newton_cg_hvp_json, "Logistic regression, the graph of a Newton-CG step (its vectors are for POST /hvp)"),
    ]

    static let examplesPath = "/web/examples"

    /// Path → file. Paths are relative to the page in its own links (`web/app.js`), so the
    /// page also works under a path prefix and over TLS.
    static let assets: [String: Asset] = {
        var assets: [String: Asset] = [
            "/": Asset("text/html; charset=utf-8", PackageResources.index_html),
            "/web/app.js": Asset("text/javascript; charset=utf-8", PackageResources.app_js),
            "/web/app.css": Asset("text/css; charset=utf-8", PackageResources.app_css),
            "/web/icon.svg": Asset("image/svg+xml", PackageResources.icon_svg),
            examplesPath: Asset("application/json", examplesList()),
        ]
        for example in examples {
            assets["\(examplesPath)/\(example.name).json"] = Asset("application/json", example.body)
        }
        return assets
    }()

    /// Every path of the page, for the router (read routes, served without the API key).
    static var paths: Set<String> { Set(assets.keys) }

    /// `GET /web/examples`: `{"examples": [{"name", "href", "summary"}]}`, `href` relative
    /// to the page.
    static func examplesList() -> [UInt8] {
        var w = JSONWriter(capacity: 512)
        w.raw("{\"examples\":[")
        for (i, example) in examples.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"name\":"); w.string(example.name)
            w.raw(",\"href\":"); w.string("web/examples/\(example.name).json")
            w.raw(",\"summary\":"); w.string(example.summary)
            w.raw("}")
        }
        w.raw("]}")
        return w.bytes
    }

    /// The answer for `path` (one of `paths`): 200 with the file, or 304 when
    /// `If-None-Match` names its ETag. Browsers revalidate each time (`no-cache`): the
    /// paths carry no version, and a 304 costs one round trip and no body.
    static func response(path: String, ifNoneMatch: String?) -> Response {
        guard let asset = assets[path] else { return HTTPProblems.notFound(path: path) }
        let headers: [(name: String, value: String)] = [
            (name: "ETag", value: asset.etag),
            (name: "Cache-Control", value: "no-cache"),
            (name: "Content-Security-Policy", value: contentSecurityPolicy),
            (name: "X-Content-Type-Options", value: "nosniff"),
            (name: "Referrer-Policy", value: "no-referrer"),
        ]
        if let ifNoneMatch, matches(ifNoneMatch, etag: asset.etag) {
            return Response(status: 304, contentType: asset.contentType, body: [], headers: headers)
        }
        return Response(status: 200, contentType: asset.contentType, body: asset.body, headers: headers)
    }

    /// RFC 9110 §13.1.2: `*`, or a list of entity tags compared weakly (`W/` ignored).
    static func matches(_ ifNoneMatch: String, etag: String) -> Bool {
        for candidate in ifNoneMatch.split(separator: ",") {
            var tag = candidate.trimmingWhitespace()
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
            if tag == etag[...] { return true }
            // The ETag of the gzip-compressed form (`ContentCoding.encode`).
            if tag == etag.dropLast() + ContentCoding.gzipETagSuffix + "\"" { return true }
        }
        return false
    }

    /// 64-bit FNV-1a, as 16 hex digits: a content hash for the ETag (not a security measure).
    static func fnv1a(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            hash ^= UInt64(b)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
