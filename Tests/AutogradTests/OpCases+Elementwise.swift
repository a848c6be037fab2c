import Autograd

/// Op-table rows for the Elementwise ops.
let elementwiseCases: [OpCase] = []
