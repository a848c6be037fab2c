import Autograd

/// Op-table rows for the Loss ops.
let lossCases: [OpCase] = []
